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
// keeps one tap per row sample and one per column sample (PH*gh + PW*gw taps per roi) instead
// of one per bin sample. Geometry is computed in double, the same way as the float64 reference,
// so every backend makes the same border and grid decisions for the same inputs. roi_tap is
// SP_HD: the CUDA kernels (native/cuda/roi_align.cuh) call the same definition on the device.
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

struct RoiPlan {
  bool ok;        // false: a scaled coordinate is not finite or beyond 2^24 (the roi gives zeros)
  int32_t gh, gw;
  float count;    // gh * gw, the divisor of every bin
  size_t rows, cols;  // offsets of the PH*gh row taps and PW*gw column taps in the tap table
};

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

// Builds the plan of every roi and their taps. Throws ScratchLimit when the taps would exceed
// the scratch limit (rois far larger than the map with sampling_ratio 0).
inline void roi_align_plan(const float* rois, const int32_t* p, float spatial_scale, std::vector<RoiPlan>& plans,
                           std::vector<RoiTap>& taps) {
  const int H = p[RG_H], W = p[RG_W], R = p[RG_R], PH = p[RG_PH], PW = p[RG_PW], sr = p[RG_SR];
  const double lim = 16777216.0, s = (double)spatial_scale;
  plans.assign(R, RoiPlan{false, 0, 0, 1.f, 0, 0});
  double total = 0;
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
    total += (double)PH * pl.gh + (double)PW * pl.gw;
  }
  check_scratch(total, sizeof(RoiTap));
  taps.resize((size_t)total);
  size_t at = 0;
  for (int r = 0; r < R; ++r) {
    RoiPlan& pl = plans[r];
    if (!pl.ok) continue;
    const float* b = rois + (int64_t)r * 4;
    const double x1 = b[0] * s, y1 = b[1] * s, x2 = b[2] * s, y2 = b[3] * s;
    const double bh = std::fmax(y2 - y1, 1.0) / PH, bw = std::fmax(x2 - x1, 1.0) / PW;
    pl.rows = at;
    for (int ph = 0; ph < PH; ++ph)
      for (int iy = 0; iy < pl.gh; ++iy) taps[at++] = roi_tap(y1 + ph * bh + (iy + 0.5) * bh / pl.gh, H);
    pl.cols = at;
    for (int pw = 0; pw < PW; ++pw)
      for (int ix = 0; ix < pl.gw; ++ix) taps[at++] = roi_tap(x1 + pw * bw + (ix + 0.5) * bw / pl.gw, W);
  }
}

}  // namespace sp
