// Pooling windows clipped to the image, shared by pool2d_forward.ts and pool2d_backward.ts: the
// window of output o along one axis covers [o*S - P, o*S - P + K); clipped, [lo, hi), empty when
// lo >= hi (wholly in the padding). Computed in i64, since o*S and K may each approach 2^24 * 2^24
// within the documented limits; the clipped bounds always fit i32.

/** First in-bounds index of the window of output o (may exceed the size: empty window). */
@inline export function winLo(o: i32, s: i32, pad: i32): i32 {
  const v = <i64>o * <i64>s - <i64>pad;
  return <i32>(v < 0 ? 0 : v > 0x7fffffff ? 0x7fffffff : v);
}

/** One past the last in-bounds index of the window of output o (may be negative: empty window). */
@inline export function winHi(o: i32, s: i32, pad: i32, k: i32, size: i32): i32 {
  const v = <i64>o * <i64>s - <i64>pad + <i64>k;
  return <i32>(v > <i64>size ? <i64>size : v < -1 ? -1 : v);
}
