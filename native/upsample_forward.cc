// Resize NCHW planes from H x W to OH x OW, geometry p = UPSAMPLE_GEOM (src/backend/kernels.ts).
// Nearest copies x[src_h, src_w]; bilinear blends the four neighbours:
//   y = (1-lh) * ((1-lw) x[h0,w0] + lw x[h0,w1]) + lh * ((1-lw) x[h1,w0] + lw x[h1,w1]).
// Source coordinates (upsample_common.h) are tabulated once per call; planes go to the threads.
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"
#include "upsample_common.h"

namespace sp {

void upsample_forward(const float* x, float* y, const int32_t* p) {
  const int64_t planes = (int64_t)p[UG_N] * p[UG_C];
  const int H = p[UG_H], W = p[UG_W], OH = p[UG_OH], OW = p[UG_OW];
  const bool bil = p[UG_MODE] == 1, align = p[UG_ALIGN] != 0;
  const UpsampleAxis ah = upsample_axis(H, OH, bil, align), aw = upsample_axis(W, OW, bil, align);
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* xp = x + q * H * W;
      float* yp = y + q * OH * OW;
      for (int oh = 0; oh < OH; ++oh) {
        float* row = yp + (int64_t)oh * OW;
        const float* r0 = xp + (int64_t)ah.i0[oh] * W;
        if (!bil) {
          for (int ow = 0; ow < OW; ++ow) row[ow] = r0[aw.i0[ow]];
          continue;
        }
        const float* r1 = xp + (int64_t)ah.i1[oh] * W;
        const float lh = ah.w1[oh];
        for (int ow = 0; ow < OW; ++ow) {
          const int w0 = aw.i0[ow], w1 = aw.i1[ow];
          const float lw = aw.w1[ow];
          const float top = (1.f - lw) * r0[w0] + lw * r0[w1];
          const float bot = (1.f - lw) * r1[w0] + lw * r1[w1];
          row[ow] = (1.f - lh) * top + lh * bot;
        }
      }
    }
  }, OH * OW >= 4096 ? 1 : 4096 / (OH * OW));
}

}  // namespace sp
