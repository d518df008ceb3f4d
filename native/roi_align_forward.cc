// RoIAlign forward (the non-aligned variant of PaddleDetection's roi_align), geometry p =
// {N, C, H, W, R, PH, PW, sampling_ratio}, float spatial_scale:
//   y[r, c, ph, pw] = (1 / (gh*gw)) * sum over the bin's samples (iy, ix) of
//                     bilinear(x[batch[r], c], y_s, x_s)
// with the sampling plan of roi_align_common.h (only the samples inside the map are visited; the
// others add 0 but count in gh*gw). y overwritten; a roi whose plan is not ok gives 0.
// The (roi, channel) planes go to the threads; each output is summed by one thread in a fixed
// order (samples row by row, the four taps in the order lo/lo, lo/hi, hi/lo, hi/hi).
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "roi_align_common.h"
#include "threadpool.h"

namespace sp {

void roi_align_forward(const float* x, const float* rois, const int32_t* batch, float* y, const int32_t* p,
                       float spatial_scale) {
  const int C = p[RG_C], H = p[RG_H], W = p[RG_W], R = p[RG_R], PH = p[RG_PH], PW = p[RG_PW];
  RoiTables t;
  roi_align_plan(rois, p, spatial_scale, t);
  const int64_t plane = (int64_t)PH * PW;
  parallel_for((int64_t)R * C, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t r = q / C, c = q % C;
      const RoiPlan& pl = t.plans[r];
      float* out = y + q * plane;
      if (!pl.ok) {
        for (int64_t i = 0; i < plane; ++i) out[i] = 0.f;
        continue;
      }
      const float* xp = x + ((int64_t)batch[r] * C + c) * H * W;
      for (int ph = 0; ph < PH; ++ph) {
        int nr;
        const RoiTap* rt = t.rows(pl, ph, &nr);
        for (int pw = 0; pw < PW; ++pw) {
          int nc;
          const RoiTap* ct = t.cols(pl, pw, &nc);
          float acc = 0.f;
          for (int iy = 0; iy < nr; ++iy) {
            const RoiTap ty = rt[iy];
            const float* r0 = xp + (int64_t)ty.lo * W;
            const float* r1 = xp + (int64_t)ty.hi * W;
            for (int ix = 0; ix < nc; ++ix) {
              const RoiTap tx = ct[ix];
              acc += ty.h * tx.h * r0[tx.lo];
              acc += ty.h * tx.l * r0[tx.hi];
              acc += ty.l * tx.h * r1[tx.lo];
              acc += ty.l * tx.l * r1[tx.hi];
            }
          }
          out[ph * PW + pw] = acc / pl.count;
        }
      }
    }
  }, plane >= 4096 ? 1 : 4096 / plane);
}

}  // namespace sp
