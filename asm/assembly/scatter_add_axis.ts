// scatter_add_axis, the backward of gather_axis: dx[o, idx[j], i] += dy[o, j, i]
// (dx accumulated; repeated indices add up).
import { gi, fa, addF } from './util';

export function scatter_add_axis(dy: usize, idx: usize, dx: usize, p: usize): void {
  const outer = gi(p, 0), axis = gi(p, 1), inner = gi(p, 2), count = gi(p, 3);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const dst = load<i32>(idx + (<usize>j << 2));
      addF(fa(dx, (o * axis + dst) * inner), fa(dy, (o * count + j) * inner), inner);
    }
  }
}
