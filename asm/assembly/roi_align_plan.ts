// The sampling plan of one roi for roi_align_forward / roi_align_backward (geometry p =
// {N, C, H, W, R, PH, PW, sampling_ratio}, f32 spatial_scale), as in native/roi_align_common.h:
// the roi is scaled, its width and height clamped to at least 1, cut into PH x PW bins of
// gh x gw samples (sampling_ratio, or ceil(roi_h / PH) x ceil(roi_w / PW) when 0) at
// y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh (x alike). A sample beyond -1 or the map size on
// either axis contributes nothing (it still counts in the divisor gh*gw); otherwise it is clamped
// at 0 and at size - 1 and interpolated.
// Rows and columns are separable, and sample positions grow with iy (ix), so the samples of a bin
// inside the map are one run on each axis, found by bisection; only those get taps and are
// visited, so a roi far larger than the map costs what its part over the map costs. The plan is
// one block: PH row spans then PW column spans (8 bytes each: u32 byte offset of the span's first
// tap in the block, i32 tap count), then the taps (16 bytes each, a Tap).
// Geometry is computed in f64 like the reference, so the border and grid decisions agree.
import { alloc } from './mem';
import { outOfMemory } from './util';

/** One entry of the tap table: the two neighbours of a sample and their weights. */
@unmanaged export class Tap {
  lo: i32;
  hi: i32;
  l: f32; // weight of hi
  h: f32; // weight of lo
}

// The plan of the current roi, filled by planRoi.
export let planCount: f32 = 1;
/** the plan's block (0 when the roi's scaled coordinates are not finite or beyond 2^24: it gives zeros) */
export let planTaps: usize = 0;
/** the image of the roi (its entry of the batch buffer) */
export let planImage: i32 = 0;
let planCols: usize = 0;

/** The first tap of bin row ph's run and its length; likewise for bin column pw. */
@inline export function rowTaps(ph: i32): usize {
  return planTaps + <usize>load<u32>(planTaps + (<usize>ph << 3));
}
@inline export function rowCount(ph: i32): i32 {
  return load<i32>(planTaps + (<usize>ph << 3), 4);
}
@inline export function colTaps(pw: i32): usize {
  return planTaps + <usize>load<u32>(planCols + (<usize>pw << 3));
}
@inline export function colCount(pw: i32): i32 {
  return load<i32>(planCols + (<usize>pw << 3), 4);
}
/** Tap i of a run. */
@inline export function tapAt(run: usize, i: i32): Tap {
  return changetype<Tap>(run + (<usize>i << 4));
}

@inline function sample(start: f64, bin: f64, g: i32, i: i32): f64 {
  return start + (<f64>i + 0.5) * bin / <f64>g;
}

// The run of a bin's samples inside [-1, size]: runFirst, runEnd.
let runFirst: i32 = 0;
let runEnd: i32 = 0;
function inRange(start: f64, bin: f64, g: i32, size: i32): void {
  let lo = 0, hi = g;
  while (lo < hi) {
    const m = lo + ((hi - lo) >> 1);
    if (sample(start, bin, g, m) >= -1.0) hi = m;
    else lo = m + 1;
  }
  runFirst = lo;
  hi = g;
  while (lo < hi) {
    const m = lo + ((hi - lo) >> 1);
    if (sample(start, bin, g, m) > <f64>size) hi = m;
    else lo = m + 1;
  }
  runEnd = lo;
}

function tap(e: usize, v: f64, size: i32): void {
  if (v <= 0) v = 0;
  let lo = <i32>v, hi: i32;
  if (lo >= size - 1) {
    hi = lo = size - 1;
    v = <f64>lo;
  } else {
    hi = lo + 1;
  }
  const l = v - <f64>lo;
  store<i32>(e, lo);
  store<i32>(e, hi, 4);
  store<f32>(e, <f32>l, 8);
  store<f32>(e, <f32>(1.0 - l), 12);
}

/**
 * The runs of the `bins` bins of one axis (origin, bin length, g samples each, map size), written
 * as spans at `spans` with their taps from byte `at` of the block `t` on, when t is not 0.
 * Returns the number of taps.
 */
function axis(t: usize, spans: usize, at: usize, origin: f64, bin: f64, g: i32, bins: i32, size: i32): usize {
  let n: usize = 0;
  for (let k = 0; k < bins; k++) {
    const start = origin + <f64>k * bin;
    inRange(start, bin, g, size);
    if (t) {
      store<u32>(spans + (<usize>k << 3), <u32>(at + (n << 4)));
      store<i32>(spans + (<usize>k << 3), runEnd - runFirst, 4);
      for (let i = runFirst; i < runEnd; i++) tap(t + at + ((n + <usize>(i - runFirst)) << 4), sample(start, bin, g, i), size);
    }
    n += <usize>(runEnd - runFirst);
  }
  return n;
}

/** Plans roi r of the batch; the caller frees planTaps when it is not 0. */
export function planRoi(rois: usize, batch: usize, r: i32, p: usize, scale: f32): void {
  const H = load<i32>(p, 8), W = load<i32>(p, 12), PH = load<i32>(p, 20), PW = load<i32>(p, 24), sr = load<i32>(p, 28);
  const b = rois + (<usize>r << 4);
  const s = <f64>scale, lim = 16777216.0;
  const x1 = <f64>load<f32>(b) * s, y1 = <f64>load<f32>(b, 4) * s, x2 = <f64>load<f32>(b, 8) * s, y2 = <f64>load<f32>(b, 12) * s;
  planTaps = 0;
  if (!(Math.abs(x1) <= lim && Math.abs(y1) <= lim && Math.abs(x2) <= lim && Math.abs(y2) <= lim)) return;
  const rh = Math.max(y2 - y1, 1.0), rw = Math.max(x2 - x1, 1.0);
  const gh = sr > 0 ? sr : <i32>Math.ceil(rh / <f64>PH);
  const gw = sr > 0 ? sr : <i32>Math.ceil(rw / <f64>PW);
  planCount = <f32>(<f64>gh * <f64>gw);
  const bh = rh / <f64>PH, bw = rw / <f64>PW;
  // first the sizes, then the block
  const nr = axis(0, 0, 0, y1, bh, gh, PH, H), nc = axis(0, 0, 0, x1, bw, gw, PW, W);
  const head = (<f64>PH + <f64>PW) * 8;
  if (head + <f64>(nr + nc) * 16 > 1073741824.0) outOfMemory();
  const t = alloc(<usize>head + ((nr + nc) << 4));
  if (!t) outOfMemory();
  planCols = t + (<usize>PH << 3);
  axis(t, t, <usize>head, y1, bh, gh, PH, H);
  axis(t, planCols, <usize>head + (nr << 4), x1, bw, gw, PW, W);
  planTaps = t;
  planImage = load<i32>(batch + (<usize>r << 2));
}
