// Backward of roi_align_forward with respect to x (rois get no gradient): every dy[r, c, ph, pw]
// is spread over its bin's samples, each sample's share dy / (gh*gw) going to its four bilinear
// taps in x's gradient with the forward's weights (roi_align_common.h; only the samples inside
// the map are visited, the others have no taps). dx accumulated: the caller zeroes it for a
// plain gradient.
// Channels go to the threads: one thread owns a channel of every image and walks the rois in
// order, so overlapping rois never race and any thread count gives the same sums.
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "roi_align_common.h"
#include "threadpool.h"

namespace sp {

void roi_align_backward(const float* dy, const float* rois, const int32_t* batch, float* dx, const int32_t* p,
                        float spatial_scale) {
  const int C = p[RG_C], H = p[RG_H], W = p[RG_W], R = p[RG_R], PH = p[RG_PH], PW = p[RG_PW];
  RoiTables t;
  roi_align_plan(rois, p, spatial_scale, t);
  const int64_t plane = (int64_t)PH * PW;
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      for (int r = 0; r < R; ++r) {
        const RoiPlan& pl = t.plans[r];
        if (!pl.ok) continue;
        float* dp = dx + ((int64_t)batch[r] * C + c) * H * W;
        const float* g = dy + ((int64_t)r * C + c) * plane;
        for (int ph = 0; ph < PH; ++ph) {
          int nr;
          const RoiTap* rt = t.rows(pl, ph, &nr);
          for (int pw = 0; pw < PW; ++pw) {
            int nc;
            const RoiTap* ct = t.cols(pl, pw, &nc);
            const float gv = g[ph * PW + pw];
            for (int iy = 0; iy < nr; ++iy) {
              const RoiTap ty = rt[iy];
              float* r0 = dp + (int64_t)ty.lo * W;
              float* r1 = dp + (int64_t)ty.hi * W;
              for (int ix = 0; ix < nc; ++ix) {
                const RoiTap tx = ct[ix];
                r0[tx.lo] += gv * (ty.h * tx.h) / pl.count;
                r0[tx.hi] += gv * (ty.h * tx.l) / pl.count;
                r1[tx.lo] += gv * (ty.l * tx.h) / pl.count;
                r1[tx.hi] += gv * (ty.l * tx.l) / pl.count;
              }
            }
          }
        }
      }
    }
  }, 1);
}

}  // namespace sp
