/**
 * Folds an inference batch norm into the convolution before it, so that
 * bn(conv(x, w, b)) == conv(x, w_out, b_out):
 *   f[oc] = scale[oc] / sqrt(var[oc] + eps)
 *   w_out[oc, k] = w[oc, k] * f[oc]          (w viewed as [OC, K], K = C/G * KH * KW)
 *   b_out[oc] = ((b ? b[oc] : 0) - mean[oc]) * f[oc] + offset[oc]
 * p = [OC, K]; floats: eps. Outputs overwritten (w_out may not alias w's other rows; same index is fine).
 */
import type { F64, Geom } from './types';

export function bn_fold(w: F64, b: F64 | null, scale: F64, offset: F64, mean: F64, variance: F64, w_out: F64, b_out: F64, p: Geom, eps: number): void {
  const OC = p[0], K = p[1];
  for (let oc = 0; oc < OC; oc++) {
    const f = scale[oc] / Math.sqrt(variance[oc] + eps);
    for (let k = 0; k < K; k++) w_out[oc * K + k] = w[oc * K + k] * f;
    b_out[oc] = ((b ? b[oc] : 0) - mean[oc]) * f + offset[oc];
  }
}
