// RoIAlign forward (PaddleDetection's non-aligned roi_align); p = {N, C, H, W, R, PH, PW,
// sampling_ratio}, float spatial_scale; rois [R, 4] and batch [R] on the device:
//   y[r, c, ph, pw] = (1 / (gh*gw)) * sum over the bin's samples of bilinear(x[batch[r], c], y_s, x_s)
// with the sampling plan of roi_align.cuh; y overwritten (0 for a roi that is not ok). One thread
// per output value, summing in the CPU's order (samples row by row, the four taps lo/lo, lo/hi,
// hi/lo, hi/hi); consecutive threads take consecutive pw of one roi and channel.
#include "kernels_cuda.h"
#include "roi_align.cuh"

namespace sp {
namespace cuda {

namespace {

__global__ void roi_align_forward_kernel(const float* x, const float* rois, const int32_t* batch, float* y, int C, int H,
                                         int W, int R, int PH, int PW, int sr, float spatial_scale) {
  SP_GRID_LOOP(i, (int64_t)R * C * PH * PW) {
    const int pw = (int)(i % PW), ph = (int)((i / PW) % PH);
    const int64_t rc = i / ((int64_t)PH * PW);
    const int r = (int)(rc / C), c = (int)(rc % C);
    const RoiBox b = roi_box(rois + (int64_t)r * 4, spatial_scale, PH, PW, sr);
    if (!b.ok) {
      y[i] = 0.f;
      continue;
    }
    const float* xp = x + ((int64_t)batch[r] * C + c) * H * W;
    float acc = 0.f;
    const RoiRun rows = roi_rows(b, ph, H), cols = roi_cols(b, pw, W);
    for (int iy = rows.first; iy < rows.end; ++iy) {
      const RoiTap ty = roi_run_tap(rows, b.bh, b.gh, iy, H);
      const float* r0 = xp + (int64_t)ty.lo * W;
      const float* r1 = xp + (int64_t)ty.hi * W;
      for (int ix = cols.first; ix < cols.end; ++ix) {
        const RoiTap tx = roi_run_tap(cols, b.bw, b.gw, ix, W);
        acc += ty.h * tx.h * __ldg(r0 + tx.lo);
        acc += ty.h * tx.l * __ldg(r0 + tx.hi);
        acc += ty.l * tx.h * __ldg(r1 + tx.lo);
        acc += ty.l * tx.l * __ldg(r1 + tx.hi);
      }
    }
    y[i] = acc / b.count;
  }
}

}  // namespace

void roi_align_forward(const float* x, const float* rois, const int32_t* batch, float* y, const int32_t* p,
                       float spatial_scale) {
  const int64_t n = (int64_t)p[4] * p[1] * p[5] * p[6];
  if (n == 0) return;
  SP_LAUNCH(roi_align_forward_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), x, rois, batch, y, p[1],
            p[2], p[3], p[4], p[5], p[6], p[7], spatial_scale);
  check_launch("roi_align_forward");
}

}  // namespace cuda
}  // namespace sp
