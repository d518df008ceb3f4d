// Backward of upsample_forward: each dy[oh, ow] is scattered to the source taps with the forward
// weights (nearest: one tap, weight 1; bilinear: four taps). dx overwritten. Planes go to the
// threads; a plane's dx is accumulated by one thread in a fixed order, so any thread count gives
// the same sums.
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "threadpool.h"
#include "upsample_common.h"

namespace sp {

void upsample_backward(const float* dy, float* dx, const int32_t* p) {
  const int64_t planes = (int64_t)p[UG_N] * p[UG_C];
  const int H = p[UG_H], W = p[UG_W], OH = p[UG_OH], OW = p[UG_OW];
  const bool bil = p[UG_MODE] == 1, align = p[UG_ALIGN] != 0;
  const UpsampleAxis ah = upsample_axis(H, OH, bil, align), aw = upsample_axis(W, OW, bil, align);
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* gp = dy + q * OH * OW;
      float* dp = dx + q * H * W;
      std::memset(dp, 0, sizeof(float) * (size_t)H * W);
      for (int oh = 0; oh < OH; ++oh) {
        const float* g = gp + (int64_t)oh * OW;
        float* r0 = dp + (int64_t)ah.i0[oh] * W;
        if (!bil) {
          for (int ow = 0; ow < OW; ++ow) r0[aw.i0[ow]] += g[ow];
          continue;
        }
        float* r1 = dp + (int64_t)ah.i1[oh] * W;
        const float lh = ah.w1[oh];
        for (int ow = 0; ow < OW; ++ow) {
          const int w0 = aw.i0[ow], w1 = aw.i1[ow];
          const float lw = aw.w1[ow];
          const float top = (1.f - lh) * g[ow], bot = lh * g[ow];
          r0[w0] += (1.f - lw) * top;
          r0[w1] += lw * top;
          r1[w0] += (1.f - lw) * bot;
          r1[w1] += lw * bot;
        }
      }
    }
  }, OH * OW >= 4096 ? 1 : 4096 / (OH * OW));
}

}  // namespace sp
