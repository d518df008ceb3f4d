/**
 * Elementwise sigmoid cross entropy with logits x and targets z:
 *   loss = max(x, 0) - x * z + log(1 + exp(-|x|))   (= -z log s - (1-z) log(1-s), s = sigmoid(x),
 *   in a form that never overflows);  dx = dloss * (sigmoid(x) - z).
 * p = [n]; outputs overwritten.
 */
import type { F64, Geom } from './types';

export function sigmoid_bce_forward(x: F64, label: F64, loss: F64, p: Geom): void {
  const n = p[0];
  for (let i = 0; i < n; i++) loss[i] = Math.max(x[i], 0) - x[i] * label[i] + Math.log1p(Math.exp(-Math.abs(x[i])));
}

export function sigmoid_bce_backward(x: F64, label: F64, dloss: F64, dx: F64, p: Geom): void {
  const n = p[0];
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    dx[i] = dloss[i] * (s - label[i]);
  }
}
