/**
 * Batch normalisation over x viewed as [N, C, HW], per channel c.
 *
 * Training forward: mean_c and the biased variance var_c over the N*HW elements of channel c,
 *   invstd_c = 1 / sqrt(var_c + eps), y = (x - mean_c) * invstd_c * scale_c + bias_c,
 *   running = running * momentum + batch * (1 - momentum)   (Paddle's convention; the running
 *   variance takes the biased batch variance). saved_mean and saved_invstd feed the backward.
 * Inference forward: the same affine map with given mean and var.
 * Backward (batch statistics), with m = N*HW and xhat = (x - mean) * invstd:
 *   dbias = sum dy, dscale = sum dy * xhat,
 *   dx = scale * invstd / m * (m * dy - dbias - xhat * dscale).
 * p = [N, C, HW]; all outputs overwritten (running stats updated in place).
 */
import type { F64, Geom } from './types';

export function batch_norm_train_forward(
  x: F64, scale: F64, bias: F64, y: F64, saved_mean: F64, saved_invstd: F64, running_mean: F64, running_var: F64,
  p: Geom, eps: number, momentum: number,
): void {
  const N = p[0], C = p[1], HW = p[2], m = N * HW;
  for (let c = 0; c < C; c++) {
    // Two passes (mean, then squared deviations): exact enough to be the oracle.
    let sum = 0;
    for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * HW; i < HW; i++) sum += x[o + i];
    const mean = sum / m;
    let sq = 0;
    for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * HW; i < HW; i++) sq += (x[o + i] - mean) ** 2;
    const variance = sq / m;
    const invstd = 1 / Math.sqrt(variance + eps);
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) y[o + i] = (x[o + i] - mean) * invstd * scale[c] + bias[c];
    }
    saved_mean[c] = mean;
    saved_invstd[c] = invstd;
    running_mean[c] = running_mean[c] * momentum + mean * (1 - momentum);
    running_var[c] = running_var[c] * momentum + variance * (1 - momentum);
  }
}

export function batch_norm_infer_forward(x: F64, scale: F64, bias: F64, mean: F64, variance: F64, y: F64, p: Geom, eps: number): void {
  const N = p[0], C = p[1], HW = p[2];
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const f = scale[c] / Math.sqrt(variance[c] + eps);
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) y[o + i] = (x[o + i] - mean[c]) * f + bias[c];
    }
  }
}

export function batch_norm_backward(
  x: F64, dy: F64, scale: F64, saved_mean: F64, saved_invstd: F64, dx: F64, dscale: F64, dbias: F64, p: Geom,
): void {
  const N = p[0], C = p[1], HW = p[2], m = N * HW;
  for (let c = 0; c < C; c++) {
    const mean = saved_mean[c], invstd = saved_invstd[c];
    let sdy = 0, sdyx = 0;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) {
        sdy += dy[o + i];
        sdyx += dy[o + i] * (x[o + i] - mean) * invstd;
      }
    }
    const k = (scale[c] * invstd) / m;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) {
        const xhat = (x[o + i] - mean) * invstd;
        dx[o + i] = k * (m * dy[o + i] - sdy - xhat * sdyx);
      }
    }
    dbias[c] = sdy;
    dscale[c] = sdyx;
  }
}
