// sigmoid_bce_backward: dx = dloss * (sigmoid(x) - z), f32x4 with the overflow-free sigmoid of
// vmath.ts. p = [n]; dx overwritten.
import { gi, fa } from './util';
import { vsigmoid, sigmoid } from './vmath';

export function sigmoid_bce_backward(x: usize, label: usize, dloss: usize, dx: usize, p: usize): void {
  const n = gi(p, 0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const s = vsigmoid(v128.load(fa(x, i)));
    v128.store(fa(dx, i), f32x4.mul(v128.load(fa(dloss, i)), f32x4.sub(s, v128.load(fa(label, i)))));
  }
  for (; i < n; i++) store<f32>(fa(dx, i), load<f32>(fa(dloss, i)) * (sigmoid(load<f32>(fa(x, i))) - load<f32>(fa(label, i))));
}
