/**
 * Softmax along the middle axis of [outer, len, inner] and its gradient:
 *   y[o, l, i] = exp(x[o, l, i] - m) / sum_l' exp(x[o, l', i] - m),  m = max_l x[o, l, i]
 *   (subtracting the max keeps exp from overflowing and does not change the result);
 *   dx = y * (dy - sum_l(dy * y)).
 * p = [outer, len, inner]; outputs overwritten.
 */
import type { F64, Geom } from './types';

export function softmax_forward(x: F64, y: F64, p: Geom): void {
  const outer = p[0], len = p[1], inner = p[2];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let m = -Infinity;
      for (let l = 0; l < len; l++) m = Math.max(m, x[at(l)]);
      let s = 0;
      for (let l = 0; l < len; l++) {
        y[at(l)] = Math.exp(x[at(l)] - m);
        s += y[at(l)];
      }
      for (let l = 0; l < len; l++) y[at(l)] /= s;
    }
  }
}

export function softmax_backward(y: F64, dy: F64, dx: F64, p: Geom): void {
  const outer = p[0], len = p[1], inner = p[2];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let s = 0;
      for (let l = 0; l < len; l++) s += dy[at(l)] * y[at(l)];
      for (let l = 0; l < len; l++) dx[at(l)] = y[at(l)] * (dy[at(l)] - s);
    }
  }
}
