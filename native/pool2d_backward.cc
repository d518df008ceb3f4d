// Backward of pool2d_forward (same geometry), dx overwritten.
//   max: each dy goes to the first maximal in-bounds tap of its window in scan order (kh, then
//        kw), the tap pool2d_forward picked; ties never split the gradient.
//   avg: each dy is spread over the in-bounds taps, divided by the in-bounds count (exclusive)
//        or by KH * KW.
// Planes (n, c) are split across threads; a plane's dx is written by one thread in a fixed
// order, so overlapping windows accumulate identically for any thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void pool2d_backward(const float* x, const float* dy, float* dx, const int32_t* p) {
  const int64_t planes = (int64_t)p[PG_N] * p[PG_C];
  const int H = p[PG_H], W = p[PG_W], OH = p[PG_OH], OW = p[PG_OW], KH = p[PG_KH], KW = p[PG_KW];
  const int SH = p[PG_SH], SW = p[PG_SW], PT = p[PG_PT], PL = p[PG_PL];
  const bool is_max = p[PG_KIND] == 0, exclusive = p[PG_EXCLUSIVE] != 0;
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* xp = x + q * H * W;
      const float* gp = dy + q * OH * OW;
      float* dp = dx + q * H * W;
      std::memset(dp, 0, sizeof(float) * (size_t)H * W);
      for (int oh = 0; oh < OH; ++oh) {
        const int ih0 = oh * SH - PT;
        const int kh0 = std::max(0, -ih0), kh1 = std::min(KH, H - ih0);
        if (kh0 >= kh1) continue;
        for (int ow = 0; ow < OW; ++ow) {
          const int iw0 = ow * SW - PL;
          const int kw0 = std::max(0, -iw0), kw1 = std::min(KW, W - iw0);
          if (kw0 >= kw1) continue;
          const float g = gp[oh * OW + ow];
          if (is_max) {
            int best = (ih0 + kh0) * W + iw0 + kw0;
            float m = xp[best];
            for (int kh = kh0; kh < kh1; ++kh)
              for (int kw = kw0; kw < kw1; ++kw) {
                const int at = (ih0 + kh) * W + iw0 + kw;
                if (xp[at] > m) {
                  m = xp[at];
                  best = at;
                }
              }
            dp[best] += g;
          } else {
            const float v = exclusive ? g / (float)((kh1 - kh0) * (kw1 - kw0)) : g / (float)(KH * KW);
            for (int kh = kh0; kh < kh1; ++kh) {
              float* row = dp + (ih0 + kh) * W + iw0;
              for (int kw = kw0; kw < kw1; ++kw) row[kw] += v;
            }
          }
        }
      }
    }
  });
}

}  // namespace sp
