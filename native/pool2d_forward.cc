// 2-D pooling over NCHW planes, geometry p = POOL_GEOM (src/backend/kernels.ts). The window of
// output (oh, ow) starts at (oh*SH - PT, ow*SW - PL) and spans KH x KW; taps outside the input
// are padding.
//   kind 0, max: the largest in-bounds tap; padding never wins. A NaN tap makes the output NaN
//                (the first NaN in scan order wins, as in pool2d_backward). A window with no
//                in-bounds tap, possible only when padding >= kernel, gives 0.
//   kind 1, avg: the sum of in-bounds taps divided by the in-bounds count when exclusive, else by
//                KH * KW (padding counts as zeros); an empty window gives 0.
// Window bounds are computed in 64 bits (oh * SH can pass 2^31 within the documented limits);
// the sum is accumulated in double, so neither a huge window (KH * KW up to 2^48) nor a few
// taps near FLT_MAX overflow before the division; the result is rounded to float once.
// Planes (n, c) are split across threads; every output is computed by one thread.
#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "pool2d_window.h"
#include "threadpool.h"

namespace sp {

void pool2d_forward(const float* x, float* y, const int32_t* p) {
  const PoolWindows win(p);
  const int64_t planes = (int64_t)p[PG_N] * p[PG_C];
  const int64_t H = p[PG_H], W = p[PG_W], OH = p[PG_OH], OW = p[PG_OW];
  const bool is_max = p[PG_KIND] == 0, exclusive = p[PG_EXCLUSIVE] != 0;
  const double full = (double)p[PG_KH] * (double)p[PG_KW];
  parallel_for(planes, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* xp = x + q * H * W;
      float* yp = y + q * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = win.h0(oh), h1 = win.h1(oh);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = win.w0(ow), w1 = win.w1(ow);
          float out = 0.f;
          if (h0 < h1 && w0 < w1) {
            if (is_max) {
              float m = xp[h0 * W + w0];
              for (int64_t h = h0; h < h1 && m == m; ++h) {
                const float* row = xp + h * W;
                for (int64_t w = w0; w < w1; ++w) {
                  const float v = row[w];
                  if (v != v) { m = v; break; }  // NaN: propagates, first one wins
                  m = v > m ? v : m;
                }
              }
              out = m;
            } else {
              double s = 0.0;
              for (int64_t h = h0; h < h1; ++h) {
                const float* row = xp + h * W;
                for (int64_t w = w0; w < w1; ++w) s += row[w];
              }
              out = (float)(s / (exclusive ? (double)((h1 - h0) * (w1 - w0)) : full));
            }
          }
          yp[oh * OW + ow] = out;
        }
      }
    }
  });
}

}  // namespace sp
