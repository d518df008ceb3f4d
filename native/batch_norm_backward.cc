// Backward of training-mode batch norm (batch statistics) over [N, C, HW], M = N*HW per channel.
// With xhat = (x - mean) * invstd:
//   dbias[c]  = sum dy
//   dscale[c] = sum dy * xhat
//   dx        = scale * invstd / M * (M * dy - dbias - xhat * dscale)
// (the mean and variance depend on x, hence the two correction terms). All outputs overwritten.
// Channels are split across threads; each channel's sums are made by one thread in a fixed order
// (double accumulators, sum_util.h), so results do not depend on the thread count.
#include <cstdint>

#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

void batch_norm_backward(const float* x, const float* dy, const float* scale, const float* saved_mean,
                         const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int64_t M = N * HW;
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float mean = saved_mean[c], invstd = saved_invstd[c];
      double sdy = 0, sdyx = 0;
      for (int64_t n = 0; n < N; ++n) {
        const float* gp = dy + (n * C + c) * HW;
        sdy += sum_f32(gp, HW);
        sdyx += dot_dev_f32(gp, x + (n * C + c) * HW, HW, mean);
      }
      const double ds = sdyx * invstd;  // sum dy * xhat
      dbias[c] = (float)sdy;
      dscale[c] = (float)ds;
      if (!M) continue;
      // dx = k * (dy - mdy - xhat * mdsx), k = scale * invstd, mdy = dbias / M, mdsx = dscale / M.
      const float k = scale[c] * invstd;
      const float mdy = (float)(sdy / (double)M), mds = (float)(ds / (double)M);
      for (int64_t n = 0; n < N; ++n) {
        const float* xp = x + (n * C + c) * HW;
        const float* gp = dy + (n * C + c) * HW;
        float* dp = dx + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; ++i) dp[i] = k * (gp[i] - mdy - (xp[i] - mean) * invstd * mds);
      }
    }
  });
}

}  // namespace sp
