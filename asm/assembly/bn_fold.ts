// bn_fold: folds an inference batch norm into the conv before it. With f = scale / sqrt(var + eps):
//   w_out[oc, k] = w[oc, k] * f[oc];  b_out[oc] = ((b ? b[oc] : 0) - mean[oc]) * f[oc] + offset[oc]
// w viewed as [OC, K]; w_out may be w itself.
import { gi, fa, scaleF } from './util';

export function bn_fold(w: usize, b: usize, scale: usize, offset: usize, mean: usize, variance: usize, wOut: usize, bOut: usize, p: usize, eps: f32): void {
  const OC = gi(p, 0), K = gi(p, 1);
  for (let oc = 0; oc < OC; oc++) {
    const f = <f64>load<f32>(fa(scale, oc)) / Math.sqrt(<f64>load<f32>(fa(variance, oc)) + <f64>eps);
    scaleF(fa(wOut, oc * K), fa(w, oc * K), K, <f32>f);
    const bv: f64 = b ? <f64>load<f32>(fa(b, oc)) : 0;
    store<f32>(fa(bOut, oc), <f32>((bv - <f64>load<f32>(fa(mean, oc))) * f + <f64>load<f32>(fa(offset, oc))));
  }
}
