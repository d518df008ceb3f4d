// batch_norm_infer_forward over [N, C, HW] with given statistics:
// y = (x - mean) / sqrt(var + eps) * scale + bias, computed as y = x * k + off per channel.
import { gi, fa } from './util';

export function batch_norm_infer_forward(x: usize, scale: usize, bias: usize, mean: usize, variance: usize, y: usize, p: usize, eps: f32): void {
  const N = gi(p, 0), C = gi(p, 1), HW = gi(p, 2);
  for (let c = 0; c < C; c++) {
    const k = <f64>load<f32>(fa(scale, c)) / Math.sqrt(<f64>load<f32>(fa(variance, c)) + <f64>eps);
    const kf = <f32>k;
    const off = <f32>(<f64>load<f32>(fa(bias, c)) - <f64>load<f32>(fa(mean, c)) * k);
    const kv = f32x4.splat(kf), ov = f32x4.splat(off);
    for (let n = 0; n < N; n++) {
      const xr = fa(x, (n * C + c) * HW), yr = fa(y, (n * C + c) * HW);
      let i = 0;
      for (; i + 4 <= HW; i += 4) v128.store(fa(yr, i), f32x4.add(f32x4.mul(v128.load(fa(xr, i)), kv), ov));
      for (; i < HW; i++) store<f32>(fa(yr, i), load<f32>(fa(xr, i)) * kf + off);
    }
  }
}
