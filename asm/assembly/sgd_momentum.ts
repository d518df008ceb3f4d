// sgd_momentum (Paddle's Momentum with L2Decay): v = momentum * v + (grad + l2 * param);
// param -= lr * v. param and velocity updated in place. p = [n]; floats lr, momentum, l2.
import { gi, fa } from './util';

export function sgd_momentum(param: usize, grad: usize, velocity: usize, p: usize, lr: f32, momentum: f32, l2: f32): void {
  const n = gi(p, 0);
  const lrv = f32x4.splat(lr), mv = f32x4.splat(momentum), l2v = f32x4.splat(l2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = v128.load(fa(param, i));
    const v = f32x4.add(f32x4.mul(mv, v128.load(fa(velocity, i))), f32x4.add(v128.load(fa(grad, i)), f32x4.mul(l2v, w)));
    v128.store(fa(velocity, i), v);
    v128.store(fa(param, i), f32x4.sub(w, f32x4.mul(lrv, v)));
  }
  for (; i < n; i++) {
    const w = load<f32>(fa(param, i));
    const v = momentum * load<f32>(fa(velocity, i)) + (load<f32>(fa(grad, i)) + l2 * w);
    store<f32>(fa(velocity, i), v);
    store<f32>(fa(param, i), w - lr * v);
  }
}
