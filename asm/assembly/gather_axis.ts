// gather_axis: x viewed as [outer, axis, inner], y as [outer, count, inner];
// y[o, j, i] = x[o, idx[j], i] (idx: int32, every entry in [0, axis), checked by the caller).
import { gi, fa, copyF } from './util';

export function gather_axis(x: usize, idx: usize, y: usize, p: usize): void {
  const outer = gi(p, 0), axis = gi(p, 1), inner = gi(p, 2), count = gi(p, 3);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const src = load<i32>(idx + (<usize>j << 2));
      copyF(fa(y, (o * count + j) * inner), fa(x, (o * axis + src) * inner), inner);
    }
  }
}
