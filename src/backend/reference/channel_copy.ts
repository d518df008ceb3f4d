/**
 * Copy of a channel range between two tensors, the forward and backward of concat and split:
 *   src [outer, srcC, inner], dst [outer, dstC, inner],
 *   dst[o, dstOff + c, i] = src[o, srcOff + c, i] for c < count   (accumulate: +=).
 * Concat's backward is a split and split's a concat, so this kernel is its own gradient.
 * p = [outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate]. Channels of dst outside the
 * range are left alone.
 */
import type { F64, Geom } from './types';

export function channel_copy(src: F64, dst: F64, p: Geom): void {
  const [outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate] = Array.from(p);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < count; c++) {
      const s = (o * srcC + srcOff + c) * inner, d = (o * dstC + dstOff + c) * inner;
      for (let i = 0; i < inner; i++) dst[d + i] = (accumulate ? dst[d + i] : 0) + src[s + i];
    }
  }
}
