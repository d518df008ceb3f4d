// The sampling plan of RoIAlign on the device (private to native/cuda/roi_align_*.cu), the rules
// of native/roi_align_common.h: a roi (x1, y1, x2, y2) is scaled by spatial_scale, its height and
// width clamped to at least 1, cut into PH x PW bins of gh x gw samples (sampling_ratio, or
// ceil(roi_h / PH) x ceil(roi_w / PW) when 0) at y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh
// (x alike). A sample beyond -1 or H (W) contributes nothing; otherwise it is clamped at 0 and at
// H-1 (W-1). Geometry in double with the CPU's expressions, and each sample placed by the CPU's
// own roi_tap (roi_align_common.h, host and device), so both make the same border and grid
// decisions. A roi whose scaled coordinates are not finite or beyond 2^24 is not ok (zeros).
#pragma once
#include "common.cuh"
#include "roi_align_common.h"

namespace sp {
namespace cuda {

struct RoiBox {
  bool ok;
  double x1, y1, bh, bw;  // scaled origin, bin height and width
  int gh, gw;
  float count;
};

__device__ __forceinline__ RoiBox roi_box(const float* b, float spatial_scale, int PH, int PW, int sr) {
  RoiBox r{false, 0, 0, 0, 0, 0, 0, 1.f};
  const double s = (double)spatial_scale, lim = 16777216.0;
  const double x1 = b[0] * s, y1 = b[1] * s, x2 = b[2] * s, y2 = b[3] * s;
  if (!(fabs(x1) <= lim && fabs(y1) <= lim && fabs(x2) <= lim && fabs(y2) <= lim)) return r;
  const double rh = fmax(y2 - y1, 1.0), rw = fmax(x2 - x1, 1.0);
  r.ok = true;
  r.gh = sr > 0 ? sr : (int)ceil(rh / PH);
  r.gw = sr > 0 ? sr : (int)ceil(rw / PW);
  r.count = (float)((double)r.gh * r.gw);
  r.x1 = x1;
  r.y1 = y1;
  r.bh = rh / PH;
  r.bw = rw / PW;
  return r;
}

// Row sample iy of bin ph, column sample ix of bin pw.
__device__ __forceinline__ RoiTap roi_row(const RoiBox& b, int ph, int iy, int H) {
  return roi_tap(b.y1 + ph * b.bh + (iy + 0.5) * b.bh / b.gh, H);
}
__device__ __forceinline__ RoiTap roi_col(const RoiBox& b, int pw, int ix, int W) {
  return roi_tap(b.x1 + pw * b.bw + (ix + 0.5) * b.bw / b.gw, W);
}

}  // namespace cuda
}  // namespace sp
