// Sampling plan shared by roi_align_forward.cc and roi_align_backward.cc (geometry p =
// {N, C, H, W, R, PH, PW, sampling_ratio}, float spatial_scale; see src/backend/kernels.ts).
//
// A roi (x1, y1, x2, y2 in input pixels) is scaled by spatial_scale, its width and height are
// clamped to at least 1, and it is cut into PH x PW bins; each bin holds gh x gw samples
// (sampling_ratio, or ceil(roi_h / PH) x ceil(roi_w / PW) when it is 0) at
//   y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh   (x alike).
// A sample is bilinear in the map with two border rules: one beyond -1 or H (W) on either axis
// contributes nothing; otherwise its coordinate is clamped at 0 and at H-1 (W-1).
// The sample positions depend on (ph, iy) for rows and (pw, ix) for columns only, so the plan
// keeps taps per row sample and per column sample instead of one per bin sample. Sample positions
// grow with iy (ix), so the samples of a bin inside [-1, H] ([-1, W]) are one run, found by
// bisection (roi_in_range); only those get taps and are visited. The others contribute 0 but still
// count in the divisor gh*gw, so a roi far larger than the map with sampling_ratio 0 (gh, gw up
// to 2^25) costs what its part over the map costs. Geometry is computed in double, the same way
// as the float64 reference, so every backend makes the same border and grid decisions for the
// same inputs. roi_sample, roi_in_range and roi_tap are SP_HD: the CUDA kernels
// (native/cuda/roi_align.cuh) call the same definitions on the device.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "host_device.h"
#include "kernels.h"

namespace sp {

enum RoiGeom { RG_N, RG_C, RG_H, RG_W, RG_R, RG_PH, RG_PW, RG_SR, RG_COUNT };

// One sample coordinate along one axis: the two neighbours and their weights (lo gets h, hi gets l).
struct RoiTap {
  int32_t lo, hi;
  float l, h;
  bool in;
};

// The in-range samples of one bin along one axis: n taps from offset `tap` of the tap table.
struct RoiSpan {
  size_t tap;
  int32_t n;
};

struct RoiPlan {
  bool ok;        // false: a scaled coordinate is not finite or beyond 2^24 (the roi gives zeros)
  int32_t gh, gw;
  float count;    // gh * gw, the divisor of every bin
  size_t rows, cols;  // offsets of the PH row spans and PW column spans in the span table
};

// Sample i of the g samples of a bin that starts at `start` and is `bin` long, on one axis.
SP_HD inline double roi_sample(double start, double bin, int g, int i) { return start + (i + 0.5) * bin / g; }

// [*first, *end): the samples of that bin inside [-1, size]. roi_sample never decreases with i
// (each of its operations is monotonic), so they are one run; two bisections find its ends.
SP_HD inline void roi_in_range(double start, double bin, int g, int size, int* first, int* end) {
  int lo = 0, hi = g;
  while (lo < hi) {
    const int m = lo + (hi - lo) / 2;
    if (roi_sample(start, bin, g, m) >= -1.0) hi = m; else lo = m + 1;
  }
  *first = lo;
  hi = g;
  while (lo < hi) {
    const int m = lo + (hi - lo) / 2;
    if (roi_sample(start, bin, g, m) > (double)size) hi = m; else lo = m + 1;
  }
  *end = lo;
}

SP_HD inline RoiTap roi_tap(double v, int size) {
  RoiTap t{0, 0, 0.f, 0.f, false};
  if (!(v >= -1.0 && v <= (double)size)) return t;  // also false for NaN
  if (v <= 0) v = 0;
  int lo = (int)v, hi;
  if (lo >= size - 1) {
    hi = lo = size - 1;
    v = (double)lo;
  } else {
    hi = lo + 1;
  }
  const double l = v - lo;
  t.lo = lo;
  t.hi = hi;
  t.l = (float)l;
  t.h = (float)(1.0 - l);
  t.in = true;
  return t;
}

// The span of bin `bin_index` along one axis, its taps appended to `taps` when `taps` is given.
inline RoiSpan roi_axis_span(double origin, double bin, int g, int bin_index, int size, size_t at,
                             std::vector<RoiTap>* taps) {
  const double start = origin + bin_index * bin;
  int first = 0, end = 0;
  roi_in_range(start, bin, g, size, &first, &end);
  if (taps)
    for (int i = first; i < end; ++i) (*taps)[at + (i - first)] = roi_tap(roi_sample(start, bin, g, i), size);
  return RoiSpan{at, end - first};
}

// The plans of a call's rois with their span and tap tables.
struct RoiTables {
  std::vector<RoiPlan> plans;
  std::vector<RoiSpan> spans;
  std::vector<RoiTap> taps;

  // The in-range taps of bin row ph (bin column pw) of a roi: *n of them.
  const RoiTap* rows(const RoiPlan& pl, int ph, int* n) const { return run(pl.rows + ph, n); }
  const RoiTap* cols(const RoiPlan& pl, int pw, int* n) const { return run(pl.cols + pw, n); }

 private:
  const RoiTap* run(size_t span, int* n) const {
    *n = spans[span].n;
    return taps.data() + spans[span].tap;
  }
};

// Builds the plan of every roi, their spans and their taps. Throws ScratchLimit when the tables
// would exceed the scratch limit.
inline void roi_align_plan(const float* rois, const int32_t* p, float spatial_scale, RoiTables& t) {
  const int H = p[RG_H], W = p[RG_W], R = p[RG_R], PH = p[RG_PH], PW = p[RG_PW], sr = p[RG_SR];
  std::vector<RoiPlan>& plans = t.plans;
  std::vector<RoiSpan>& spans = t.spans;
  std::vector<RoiTap>& taps = t.taps;
  const double lim = 16777216.0, s = (double)spatial_scale;
  plans.assign(R, RoiPlan{false, 0, 0, 1.f, 0, 0});
  check_scratch((double)R * ((double)PH + PW), sizeof(RoiSpan));
  spans.resize((size_t)R * (PH + PW));
  // First pass: the grid and the spans of each roi (the tap offsets as if packed in order).
  size_t total = 0, sp = 0;
  for (int r = 0; r < R; ++r) {
    const float* b = rois + (int64_t)r * 4;
    const double x1 = b[0] * s, y1 = b[1] * s, x2 = b[2] * s, y2 = b[3] * s;
    if (!(std::fabs(x1) <= lim && std::fabs(y1) <= lim && std::fabs(x2) <= lim && std::fabs(y2) <= lim)) continue;
    const double rh = std::fmax(y2 - y1, 1.0), rw = std::fmax(x2 - x1, 1.0);
    RoiPlan& pl = plans[r];
    pl.ok = true;
    pl.gh = sr > 0 ? sr : (int32_t)std::ceil(rh / PH);
    pl.gw = sr > 0 ? sr : (int32_t)std::ceil(rw / PW);
    pl.count = (float)((double)pl.gh * pl.gw);
    const double bh = rh / PH, bw = rw / PW;
    pl.rows = sp;
    for (int ph = 0; ph < PH; ++ph, ++sp) total += (spans[sp] = roi_axis_span(y1, bh, pl.gh, ph, H, total, nullptr)).n;
    pl.cols = sp;
    for (int pw = 0; pw < PW; ++pw, ++sp) total += (spans[sp] = roi_axis_span(x1, bw, pl.gw, pw, W, total, nullptr)).n;
  }
  check_scratch((double)total, sizeof(RoiTap));
  taps.resize(total);
  // Second pass: the taps, at the offsets the first pass gave.
  for (int r = 0; r < R; ++r) {
    const RoiPlan& pl = plans[r];
    if (!pl.ok) continue;
    const float* b = rois + (int64_t)r * 4;
    const double x1 = b[0] * s, y1 = b[1] * s, x2 = b[2] * s, y2 = b[3] * s;
    const double bh = std::fmax(y2 - y1, 1.0) / PH, bw = std::fmax(x2 - x1, 1.0) / PW;
    for (int ph = 0; ph < PH; ++ph) roi_axis_span(y1, bh, pl.gh, ph, H, spans[pl.rows + ph].tap, &taps);
    for (int pw = 0; pw < PW; ++pw) roi_axis_span(x1, bw, pl.gw, pw, W, spans[pl.cols + pw].tap, &taps);
  }
}

}  // namespace sp
