// axpy: y += alpha * x (gradient accumulation). p = [n]; floats alpha.
import { gi, fa } from './util';

export function axpy(x: usize, y: usize, p: usize, alpha: f32): void {
  const n = gi(p, 0);
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(y, i), f32x4.add(v128.load(fa(y, i)), f32x4.mul(av, v128.load(fa(x, i)))));
  for (; i < n; i++) store<f32>(fa(y, i), load<f32>(fa(y, i)) + alpha * load<f32>(fa(x, i)));
}
