// The sampling plan of RoIAlign on the device (private to native/cuda/roi_align_*.cu), the rules
// of native/roi_align_common.h: a roi (x1, y1, x2, y2) is scaled by spatial_scale, its height and
// width clamped to at least 1, cut into PH x PW bins of gh x gw samples (sampling_ratio, or
// ceil(roi_h / PH) x ceil(roi_w / PW) when 0) at y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh
// (x alike). A sample beyond -1 or H (W) contributes nothing; otherwise it is clamped at 0 and at
// H-1 (W-1), and only the samples inside the map are visited (the others add 0 but count in the
// divisor). Geometry in double with the CPU's expressions, and the samples found and placed by the
// CPU's own roi_in_range and roi_tap (roi_align_common.h, host and device), so both make the same
// border and grid decisions. A roi whose scaled coordinates are not finite or beyond 2^24 is not ok (zeros).
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

// The samples of bin row ph (bin column pw) inside the map: [first, end), and the tap of one of
// them. The CPU's functions (roi_align_common.h), so both visit the same samples.
struct RoiRun {
  double start;  // where the bin starts on its axis
  int first, end;
};
__device__ __forceinline__ RoiRun roi_rows(const RoiBox& b, int ph, int H) {
  RoiRun r{b.y1 + ph * b.bh, 0, 0};
  roi_in_range(r.start, b.bh, b.gh, H, &r.first, &r.end);
  return r;
}
__device__ __forceinline__ RoiRun roi_cols(const RoiBox& b, int pw, int W) {
  RoiRun r{b.x1 + pw * b.bw, 0, 0};
  roi_in_range(r.start, b.bw, b.gw, W, &r.first, &r.end);
  return r;
}
__device__ __forceinline__ RoiTap roi_run_tap(const RoiRun& r, double bin, int g, int i, int size) {
  return roi_tap(roi_sample(r.start, bin, g, i), size);
}

}  // namespace cuda
}  // namespace sp
