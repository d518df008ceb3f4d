// Source taps of upsample_forward / upsample_backward along one axis, computed once per call:
// for each output index d, a lower index i0, an upper index i1 and the weight l of the upper one.
//   nearest (mode 0), align_corners 0: i0 = i1 = min(floor(d * size / out), size - 1), l = 0
//   nearest, align_corners 1: i0 = i1 = floor(d * (size - 1) / (out - 1) + 1/2) (0 when out == 1),
//     ties rounding up; both in exact 64-bit integer arithmetic
//   bilinear, align_corners 0: src = max((d + 0.5) * size / out - 0.5, 0)
//   bilinear, align_corners 1: src = d * (size - 1) / (out - 1)  (0 when out == 1)
//   i0 = min(floor(src), size - 1), i1 = min(i0 + 1, size - 1), l = src - i0.
// Table layout: 3 x 4 bytes per output index (i32 i0, i32 i1, f32 l).
import { alloc } from './mem';
import { outOfMemory } from './util';

export function makeTaps(out: i32, size: i32, mode: i32, align: i32): usize {
  const t = alloc(<usize>out * 12);
  if (!t) outOfMemory();
  for (let d = 0; d < out; d++) {
    let i0: i32, i1: i32, l: f64;
    if (mode == 0) {
      const src: i64 = align == 0 ? (<i64>d * size) / out
        : out > 1 ? (2 * <i64>d * <i64>(size - 1) + <i64>(out - 1)) / (2 * <i64>(out - 1)) : 0;
      i0 = <i32>min<i64>(src, <i64>(size - 1));
      i1 = i0;
      l = 0;
    } else {
      let src: f64;
      if (align != 0) src = out > 1 ? (<f64>d * <f64>(size - 1)) / <f64>(out - 1) : 0;
      else src = Math.max(((<f64>d + 0.5) * <f64>size) / <f64>out - 0.5, 0); // one rounding, as every backend
      i0 = min(<i32>Math.floor(src), size - 1);
      i1 = min(i0 + 1, size - 1);
      l = src - <f64>i0;
    }
    const e = t + <usize>d * 12;
    store<i32>(e, i0);
    store<i32>(e, i1, 4);
    store<f32>(e, <f32>l, 8);
  }
  return t;
}
