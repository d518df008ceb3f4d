// Backward of y = x * scale[c] + bias[c] over [N, C, HW]:
//   dx = dy * scale[c];  dscale[c] = sum_{n,i} dy * x;  dbias[c] = sum_{n,i} dy.
// Each output is optional (null: not computed) and overwritten. Channels are split across
// threads; each channel's sums are made by one thread in a fixed order (double accumulators,
// sum_util.h).
#include <cstdint>

#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

void affine_channel_backward(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                             float* dbias, const int32_t* p) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double sdy = 0, sdyx = 0;
      const float s = scale[c];
      for (int64_t n = 0; n < N; ++n) {
        const int64_t off = (n * C + c) * HW;
        const float* gp = dy + off;
        if (dx) {
          float* dp = dx + off;
          for (int64_t i = 0; i < HW; ++i) dp[i] = gp[i] * s;
        }
        if (dscale) sdyx += dot_dev_f32(gp, x + off, HW, 0.0);
        if (dbias) sdy += sum_f32(gp, HW);
      }
      if (dscale) dscale[c] = (float)sdyx;
      if (dbias) dbias[c] = (float)sdy;
    }
  });
}

}  // namespace sp
