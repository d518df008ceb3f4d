/**
 * Gather along one axis and its gradient. x is viewed as [outer, axis, inner], y as
 * [outer, count, inner]:
 *   gather_axis:      y[o, j, i] = x[o, idx[j], i]            (y overwritten)
 *   scatter_add_axis: dx[o, idx[j], i] += dy[o, j, i]          (dx accumulated; repeated
 *                     indices add up, which is what the gradient of a repeated gather needs)
 * p = [outer, axis, inner, count]; idx is an Int32Array with every entry in [0, axis).
 */
import type { F64, Geom } from './types';

export function gather_axis(x: F64, idx: Int32Array, y: F64, p: Geom): void {
  const outer = p[0], axis = p[1], inner = p[2], count = p[3];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const src = (o * axis + idx[j]) * inner, dst = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) y[dst + i] = x[src + i];
    }
  }
}

export function scatter_add_axis(dy: F64, idx: Int32Array, dx: F64, p: Geom): void {
  const outer = p[0], axis = p[1], inner = p[2], count = p[3];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const dst = (o * axis + idx[j]) * inner, src = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) dx[dst + i] += dy[src + i];
    }
  }
}
