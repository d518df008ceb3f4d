// Backward of roi_align_forward with respect to x (rois get no gradient); p = {N, C, H, W, R, PH,
// PW, sampling_ratio}, float spatial_scale: every dy[r, c, ph, pw] is spread over its bin's
// samples, each sample's share going to its four bilinear taps of dx[batch[r], c] with the
// forward's weights (roi_align.cuh), share = dy * weight / (gh*gw) as the CPU computes it.
// dx accumulated (the caller zeroes it for a plain gradient). One thread per dy value; bins of
// one roi and rois of one image overlap, so the taps are added with atomicAdd: the order of
// those additions (and so the last bits of dx) is up to the device.
#include "kernels_cuda.h"
#include "roi_align.cuh"

namespace sp {
namespace cuda {

namespace {

__global__ void roi_align_backward_kernel(const float* dy, const float* rois, const int32_t* batch, float* dx, int C,
                                          int H, int W, int R, int PH, int PW, int sr, float spatial_scale) {
  SP_GRID_LOOP(i, (int64_t)R * C * PH * PW) {
    const int pw = (int)(i % PW), ph = (int)((i / PW) % PH);
    const int64_t rc = i / ((int64_t)PH * PW);
    const int r = (int)(rc / C), c = (int)(rc % C);
    const RoiBox b = roi_box(rois + (int64_t)r * 4, spatial_scale, PH, PW, sr);
    if (!b.ok) continue;
    const float gv = dy[i];
    float* dp = dx + ((int64_t)batch[r] * C + c) * H * W;
    const RoiRun rows = roi_rows(b, ph, H), cols = roi_cols(b, pw, W);
    for (int iy = rows.first; iy < rows.end; ++iy) {
      const RoiTap ty = roi_run_tap(rows, b.bh, b.gh, iy, H);
      float* r0 = dp + (int64_t)ty.lo * W;
      float* r1 = dp + (int64_t)ty.hi * W;
      for (int ix = cols.first; ix < cols.end; ++ix) {
        const RoiTap tx = roi_run_tap(cols, b.bw, b.gw, ix, W);
        atomicAdd(r0 + tx.lo, gv * (ty.h * tx.h) / b.count);
        atomicAdd(r0 + tx.hi, gv * (ty.h * tx.l) / b.count);
        atomicAdd(r1 + tx.lo, gv * (ty.l * tx.h) / b.count);
        atomicAdd(r1 + tx.hi, gv * (ty.l * tx.l) / b.count);
      }
    }
  }
}

}  // namespace

void roi_align_backward(const float* dy, const float* rois, const int32_t* batch, float* dx, const int32_t* p,
                        float spatial_scale) {
  const int64_t n = (int64_t)p[4] * p[1] * p[5] * p[6];
  if (n == 0) return;
  SP_LAUNCH(roi_align_backward_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), dy, rois, batch, dx,
            p[1], p[2], p[3], p[4], p[5], p[6], p[7], spatial_scale);
  check_launch("roi_align_backward");
}

}  // namespace cuda
}  // namespace sp
