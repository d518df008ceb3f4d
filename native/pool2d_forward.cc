// 2-D pooling over NCHW planes, geometry p = POOL_GEOM (src/backend/kernels.ts). The window of
// output (oh, ow) starts at (oh*SH - PT, ow*SW - PL) and spans KH x KW; taps outside the input
// are padding.
//   kind 0, max: the largest in-bounds tap (padding never wins; a window with no in-bounds tap,
//                possible only with extreme padding, gives 0).
//   kind 1, avg: the sum of in-bounds taps divided by the in-bounds count when exclusive, else by
//                KH * KW (padding counts as zeros).
// Planes (n, c) are split across threads; every output is computed by one thread.
#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void pool2d_forward(const float* x, float* y, const int32_t* p) {
  const int64_t planes = (int64_t)p[PG_N] * p[PG_C];
  const int H = p[PG_H], W = p[PG_W], OH = p[PG_OH], OW = p[PG_OW], KH = p[PG_KH], KW = p[PG_KW];
  const int SH = p[PG_SH], SW = p[PG_SW], PT = p[PG_PT], PL = p[PG_PL];
  const bool is_max = p[PG_KIND] == 0, exclusive = p[PG_EXCLUSIVE] != 0;
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* xp = x + q * H * W;
      float* yp = y + q * OH * OW;
      for (int oh = 0; oh < OH; ++oh) {
        const int ih0 = oh * SH - PT;
        const int kh0 = std::max(0, -ih0), kh1 = std::min(KH, H - ih0);
        for (int ow = 0; ow < OW; ++ow) {
          const int iw0 = ow * SW - PL;
          const int kw0 = std::max(0, -iw0), kw1 = std::min(KW, W - iw0);
          float out = 0.f;
          if (kh0 < kh1 && kw0 < kw1) {
            if (is_max) {
              float m = xp[(ih0 + kh0) * W + iw0 + kw0];
              for (int kh = kh0; kh < kh1; ++kh) {
                const float* row = xp + (ih0 + kh) * W + iw0;
                for (int kw = kw0; kw < kw1; ++kw) m = row[kw] > m ? row[kw] : m;
              }
              out = m;
            } else {
              float s = 0.f;
              for (int kh = kh0; kh < kh1; ++kh) {
                const float* row = xp + (ih0 + kh) * W + iw0;
                for (int kw = kw0; kw < kw1; ++kw) s += row[kw];
              }
              out = exclusive ? s / (float)((kh1 - kh0) * (kw1 - kw0)) : s / (float)(KH * KW);
            }
          }
          yp[oh * OW + ow] = out;
        }
      }
    }
  });
}

}  // namespace sp
