// channel_copy (concat / split): src [outer, srcC, inner], dst [outer, dstC, inner];
// dst[o, dstOff + c, i] = src[o, srcOff + c, i] for c < count (accumulate: +=). Channels of dst
// outside the range are left alone. The count*inner floats of each o are contiguous on both sides.
import { gi, fa, copyF, addF } from './util';

export function channel_copy(src: usize, dst: usize, p: usize): void {
  const outer = gi(p, 0), srcC = gi(p, 1), srcOff = gi(p, 2), dstC = gi(p, 3), dstOff = gi(p, 4);
  const count = gi(p, 5), inner = gi(p, 6), acc = gi(p, 7) != 0;
  for (let o = 0; o < outer; o++) {
    const s = fa(src, (o * srcC + srcOff) * inner), d = fa(dst, (o * dstC + dstOff) * inner);
    if (acc) addF(d, s, count * inner);
    else copyF(d, s, count * inner);
  }
}
