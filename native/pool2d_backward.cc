// Backward of pool2d_forward (same geometry, windows from pool2d_window.h), dx overwritten.
//   max: each dy goes to the tap pool2d_forward picked: the first NaN tap of the window if any,
//        else its first maximal in-bounds tap in scan order (kh, then kw); ties never split the
//        gradient. An empty window (wholly in the padding) sends nothing.
//   avg: each dy is spread over the in-bounds taps, divided (in double) by the in-bounds count
//        (exclusive) or by KH * KW.
// Planes (n, c) are split across threads; a plane's dx is written by one thread in a fixed
// order, so overlapping windows accumulate identically for any thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "pool2d_window.h"
#include "threadpool.h"

namespace sp {

void pool2d_backward(const float* x, const float* dy, float* dx, const int32_t* p) {
  const PoolWindows win(p);
  const int64_t planes = (int64_t)p[PG_N] * p[PG_C];
  const int64_t H = p[PG_H], W = p[PG_W], OH = p[PG_OH], OW = p[PG_OW];
  const bool is_max = p[PG_KIND] == 0, exclusive = p[PG_EXCLUSIVE] != 0;
  const double full = (double)p[PG_KH] * (double)p[PG_KW];
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* xp = x + q * H * W;
      const float* gp = dy + q * OH * OW;
      float* dp = dx + q * H * W;
      std::memset(dp, 0, sizeof(float) * (size_t)(H * W));
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = win.h0(oh), h1 = win.h1(oh);
        if (h0 >= h1) continue;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = win.w0(ow), w1 = win.w1(ow);
          if (w0 >= w1) continue;
          const float g = gp[oh * OW + ow];
          if (is_max) {
            int64_t best = h0 * W + w0;
            float m = xp[best];
            bool nan = m != m;
            for (int64_t h = h0; h < h1 && !nan; ++h)
              for (int64_t w = w0; w < w1; ++w) {
                const int64_t at = h * W + w;
                const float v = xp[at];
                if (v != v) {
                  best = at;
                  nan = true;
                  break;
                }
                if (v > m) {
                  m = v;
                  best = at;
                }
              }
            dp[best] += g;
          } else {
            const float v = (float)((double)g / (exclusive ? (double)((h1 - h0) * (w1 - w0)) : full));
            for (int64_t h = h0; h < h1; ++h) {
              float* row = dp + h * W;
              for (int64_t w = w0; w < w1; ++w) row[w] += v;
            }
          }
        }
      }
    }
  });
}

}  // namespace sp
