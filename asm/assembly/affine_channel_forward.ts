// affine_channel_forward: y = x * scale[c] + bias[c] over x viewed as [N, C, HW].
import { gi, fa } from './util';

export function affine_channel_forward(x: usize, scale: usize, bias: usize, y: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), HW = gi(p, 2);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = load<f32>(fa(scale, c)), o = load<f32>(fa(bias, c));
      const kv = f32x4.splat(k), ov = f32x4.splat(o);
      const xr = fa(x, (n * C + c) * HW), yr = fa(y, (n * C + c) * HW);
      let i = 0;
      for (; i + 4 <= HW; i += 4) v128.store(fa(yr, i), f32x4.add(f32x4.mul(v128.load(fa(xr, i)), kv), ov));
      for (; i < HW; i++) store<f32>(fa(yr, i), load<f32>(fa(xr, i)) * k + o);
    }
  }
}
