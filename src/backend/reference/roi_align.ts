/**
 * RoIAlign, forward and backward (PaddleDetection's roi_align, the non-aligned variant).
 *
 * x [N, C, H, W], rois [R, 4] = (x1, y1, x2, y2) in input-image pixels, batch [R] (image of each
 * roi), y [R, C, PH, PW]; p = ROI_GEOM = [N, C, H, W, R, PH, PW, sampling_ratio].
 * Per roi: scaled corners x1*s .. y2*s, roi_w = max(x2 - x1, 1), roi_h = max(y2 - y1, 1),
 * bins bin_h = roi_h / PH, bin_w = roi_w / PW, gh x gw samples per bin (sampling_ratio, or
 * ceil(roi_h / PH) x ceil(roi_w / PW) when 0), sample (iy, ix) of bin (ph, pw) at
 *   y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh,   x = x1 + pw * bin_w + (ix + 0.5) * bin_w / gw,
 * y[r, c, ph, pw] = sum of the samples' bilinear values / (gh * gw). A sample with y < -1, y > H,
 * x < -1 or x > W is 0; otherwise y (x) is clamped at 0, and a lower neighbour at H-1 (W-1) or
 * beyond pins the sample to that last row (column). A roi whose scaled coordinates are not finite
 * or beyond 2^24 gives 0.
 * Sample positions grow with iy (ix), so the samples of a bin inside [-1, H] ([-1, W]) are one run,
 * found by bisection; only those are visited (the others are 0), so a roi far larger than the map
 * with sampling_ratio 0 costs what its part over the map costs. The divisor stays gh * gw.
 * Backward: dx[batch[r], c] += dy * w / (gh * gw) on each sample's taps (dx accumulated).
 */
import type { F64, Geom } from './types';

/** One sample coordinate on one axis: the neighbours and their weights (the sample is inside). */
interface Tap { lo: number; hi: number; l: number; h: number }

function tap(v: number, size: number): Tap {
  if (v <= 0) v = 0;
  let lo = Math.trunc(v);
  let hi: number;
  if (lo >= size - 1) {
    hi = lo = size - 1;
    v = lo;
  } else {
    hi = lo + 1;
  }
  const l = v - lo;
  return { lo, hi, l, h: 1 - l };
}

/** The taps of the samples inside [-1, size] of each of `bins` bins of g samples on one axis. */
function axisTaps(origin: number, bin: number, g: number, bins: number, size: number): Tap[][] {
  const out: Tap[][] = [];
  for (let k = 0; k < bins; k++) {
    const start = origin + k * bin;
    const at = (i: number) => start + ((i + 0.5) * bin) / g;
    // first sample at or above -1, then the first above size (positions never decrease with i)
    let lo = 0, hi = g;
    while (lo < hi) {
      const m = lo + Math.floor((hi - lo) / 2);
      if (at(m) >= -1) hi = m;
      else lo = m + 1;
    }
    const first = lo;
    hi = g;
    while (lo < hi) {
      const m = lo + Math.floor((hi - lo) / 2);
      if (at(m) > size) hi = m;
      else lo = m + 1;
    }
    const taps: Tap[] = [];
    for (let i = first; i < lo; i++) taps.push(tap(at(i), size));
    out.push(taps);
  }
  return out;
}

/** Per bin row (column), the taps of its samples inside the map; count = gh * gw. */
interface Roi { b: number; ys: Tap[][]; xs: Tap[][]; count: number }

/** The sample taps of roi r, or null when it gives zeros. */
function plan(rois: F64, batch: Int32Array, r: number, p: Geom, scale: number): Roi | null {
  const H = p[2], W = p[3], PH = p[5], PW = p[6], sr = p[7];
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => rois[r * 4 + k] * scale);
  if (![x1, y1, x2, y2].every((v) => Math.abs(v) <= 2 ** 24)) return null;
  const rh = Math.max(y2 - y1, 1), rw = Math.max(x2 - x1, 1);
  const gh = sr > 0 ? sr : Math.ceil(rh / PH), gw = sr > 0 ? sr : Math.ceil(rw / PW);
  return { b: batch[r], ys: axisTaps(y1, rh / PH, gh, PH, H), xs: axisTaps(x1, rw / PW, gw, PW, W), count: gh * gw };
}

export function roi_align_forward(x: F64, rois: F64, batch: Int32Array, y: F64, p: Geom, spatialScale: number): void {
  const C = p[1], H = p[2], W = p[3], R = p[4], PH = p[5], PW = p[6];
  for (let r = 0; r < R; r++) {
    const pl = plan(rois, batch, r, p, spatialScale);
    for (let c = 0; c < C; c++) {
      const out = (r * C + c) * PH * PW;
      if (!pl) {
        y.fill(0, out, out + PH * PW);
        continue;
      }
      const base = (pl.b * C + c) * H * W;
      const at = (i: number, j: number) => x[base + i * W + j];
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          let acc = 0;
          for (const ty of pl.ys[ph]) {
            for (const tx of pl.xs[pw]) {
              acc += ty.h * tx.h * at(ty.lo, tx.lo) + ty.h * tx.l * at(ty.lo, tx.hi) + ty.l * tx.h * at(ty.hi, tx.lo) + ty.l * tx.l * at(ty.hi, tx.hi);
            }
          }
          y[out + ph * PW + pw] = acc / pl.count;
        }
      }
    }
  }
}

export function roi_align_backward(dy: F64, rois: F64, batch: Int32Array, dx: F64, p: Geom, spatialScale: number): void {
  const C = p[1], H = p[2], W = p[3], R = p[4], PH = p[5], PW = p[6];
  for (let r = 0; r < R; r++) {
    const pl = plan(rois, batch, r, p, spatialScale);
    if (!pl) continue;
    const count = pl.count;
    for (let c = 0; c < C; c++) {
      const base = (pl.b * C + c) * H * W;
      const add = (i: number, j: number, v: number) => { dx[base + i * W + j] += v; };
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          const g = dy[(r * C + c) * PH * PW + ph * PW + pw] / count;
          for (const ty of pl.ys[ph]) {
            for (const tx of pl.xs[pw]) {
              add(ty.lo, tx.lo, g * ty.h * tx.h);
              add(ty.lo, tx.hi, g * ty.h * tx.l);
              add(ty.hi, tx.lo, g * ty.l * tx.h);
              add(ty.hi, tx.hi, g * ty.l * tx.l);
            }
          }
        }
      }
    }
  }
}
