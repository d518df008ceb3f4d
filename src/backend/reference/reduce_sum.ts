/**
 * Sum over the middle axis: x viewed as [outer, len, inner], y[o, i] = sum_l x[o, l, i].
 * Its gradient is a broadcast (dx[o, l, i] = dy[o, i]), done by binary/channel kernels or the
 * graph layer, so there is no backward kernel. p = [outer, len, inner]; y overwritten.
 */
import type { F64, Geom } from './types';

export function reduce_sum(x: F64, y: F64, p: Geom): void {
  const outer = p[0], len = p[1], inner = p[2];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let l = 0; l < len; l++) s += x[(o * len + l) * inner + i];
      y[o * inner + i] = s;
    }
  }
}
