// The sampling plan of one roi for roi_align_forward / roi_align_backward (geometry p =
// {N, C, H, W, R, PH, PW, sampling_ratio}, f32 spatial_scale), as in native/roi_align_common.h:
// the roi is scaled, its width and height clamped to at least 1, cut into PH x PW bins of
// gh x gw samples (sampling_ratio, or ceil(roi_h / PH) x ceil(roi_w / PW) when 0) at
// y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh (x alike). A sample beyond -1 or the map size on
// either axis contributes nothing; otherwise it is clamped at 0 and at size - 1 and interpolated.
// Rows and columns are separable, so the plan holds PH*gh row taps then PW*gw column taps, each
// 16 bytes: i32 lo (-1 when the sample is outside), i32 hi, f32 l (weight of hi), f32 h (of lo).
// Geometry is computed in f64 like the reference, so the border and grid decisions agree.
import { alloc } from './mem';
import { outOfMemory } from './util';

/** One entry of the tap table: the two neighbours of a sample and their weights. */
@unmanaged export class Tap {
  lo: i32; // -1 when the sample is outside the map
  hi: i32;
  l: f32; // weight of hi
  h: f32; // weight of lo
}

// The plan of the current roi, filled by planRoi.
export let planGh: i32 = 0;
export let planGw: i32 = 0;
export let planCount: f32 = 1;
/** the tap table (0 when the roi's scaled coordinates are not finite or beyond 2^24: it gives zeros) */
export let planTaps: usize = 0;
/** the image of the roi (its entry of the batch buffer) */
export let planImage: i32 = 0;
let planCols: usize = 0;

/** The taps of row sample iy of bin row ph, and of column sample ix of bin column pw. */
@inline export function rowTap(ph: i32, iy: i32): Tap {
  return changetype<Tap>(planTaps + (<usize>(ph * planGh + iy) << 4));
}
@inline export function colTap(pw: i32, ix: i32): Tap {
  return changetype<Tap>(planCols + (<usize>(pw * planGw + ix) << 4));
}

function tap(e: usize, v: f64, size: i32): void {
  if (!(v >= -1.0 && v <= <f64>size)) {
    store<i32>(e, -1);
    return;
  }
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

/** Plans roi r of the batch; the caller frees planTaps when it is not 0. */
export function planRoi(rois: usize, batch: usize, r: i32, p: usize, scale: f32): void {
  const H = load<i32>(p, 8), W = load<i32>(p, 12), PH = load<i32>(p, 20), PW = load<i32>(p, 24), sr = load<i32>(p, 28);
  const b = rois + (<usize>r << 4);
  const s = <f64>scale, lim = 16777216.0;
  const x1 = <f64>load<f32>(b) * s, y1 = <f64>load<f32>(b, 4) * s, x2 = <f64>load<f32>(b, 8) * s, y2 = <f64>load<f32>(b, 12) * s;
  planTaps = 0;
  if (!(Math.abs(x1) <= lim && Math.abs(y1) <= lim && Math.abs(x2) <= lim && Math.abs(y2) <= lim)) return;
  const rh = Math.max(y2 - y1, 1.0), rw = Math.max(x2 - x1, 1.0);
  planGh = sr > 0 ? sr : <i32>Math.ceil(rh / <f64>PH);
  planGw = sr > 0 ? sr : <i32>Math.ceil(rw / <f64>PW);
  planCount = <f32>(<f64>planGh * <f64>planGw);
  const n = <f64>PH * <f64>planGh + <f64>PW * <f64>planGw;
  if (n * 16 > 1073741824.0) outOfMemory();
  const t = alloc(<usize>n * 16);
  if (!t) outOfMemory();
  const bh = rh / <f64>PH, bw = rw / <f64>PW;
  let e = t;
  for (let ph = 0; ph < PH; ph++) {
    for (let iy = 0; iy < planGh; iy++) {
      tap(e, y1 + <f64>ph * bh + (<f64>iy + 0.5) * bh / <f64>planGh, H);
      e += 16;
    }
  }
  for (let pw = 0; pw < PW; pw++) {
    for (let ix = 0; ix < planGw; ix++) {
      tap(e, x1 + <f64>pw * bw + (<f64>ix + 0.5) * bw / <f64>planGw, W);
      e += 16;
    }
  }
  planTaps = t;
  planCols = t + <usize>(PH * planGh) * 16;
  planImage = load<i32>(batch + (<usize>r << 2));
}
