/**
 * One step of momentum SGD with L2 weight decay, as Paddle's Momentum optimizer with L2Decay:
 *   v = momentum * v + (grad + l2 * param);  param -= lr * v.
 * p = [n]; floats: lr, momentum, l2. param and velocity updated in place.
 */
import type { F64, Geom } from './types';

export function sgd_momentum(param: F64, grad: F64, velocity: F64, p: Geom, lr: number, momentum: number, l2: number): void {
  const n = p[0];
  for (let i = 0; i < n; i++) {
    velocity[i] = momentum * velocity[i] + (grad[i] + l2 * param[i]);
    param[i] -= lr * velocity[i];
  }
}
