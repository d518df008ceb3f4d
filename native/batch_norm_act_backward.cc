// batch_norm_act_backward: the backward of y = act(batch_norm_train(x)) over [N, C, HW], p = {N,
// C, HW, act} (fused_act.h; ACT_NONE: no activation, which is batch_norm_backward, and y may be
// null), float alpha. From x (the batch norm's input), y (the activation's output) and dy (dL/dy):
// dz = dy * act'(from y), then with xhat = (x - mean) * invstd and M = N*HW:
//   dbias = sum dz, dscale = sum dz * xhat, dx = scale * invstd / M * (M * dz - dbias - xhat * dscale)
// (the mean and variance depend on x, hence the two correction terms). All outputs overwritten.
// dz is written into dx row by row and rewritten into dx in place while the rows of one channel
// are still in cache, so the activation's gradient tensor is never a buffer of its own (with
// ACT_NONE dz is read from dy directly); the sums and the dx expression are the same with and
// without an activation, so the result is bit for bit that of activation_backward followed by
// batch_norm_backward.
// Channels are split across threads; each channel's sums are made by one thread in a fixed order
// (double accumulators, sum_util.h), so results do not depend on the thread count.
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int kind = p[3];
  const int64_t M = N * HW;
  const float* dz = kind == ACT_NONE ? dy : dx;  // where dz rows are read from
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float mean = saved_mean[c], invstd = saved_invstd[c];
      double sdy = 0, sdyx = 0;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t o = (n * C + c) * HW;
        if (kind != ACT_NONE) fused_act_grad(y + o, dy + o, dx + o, HW, kind, alpha);
        sdy += sum_f32(dz + o, HW);
        sdyx += dot_dev_f32(dz + o, x + o, HW, mean);
      }
      const double ds = sdyx * invstd;  // sum dz * xhat
      dbias[c] = (float)sdy;
      dscale[c] = (float)ds;
      if (!M) continue;
      // dx = k * (dz - mdy - xhat * mdsx), k = scale * invstd, mdy = dbias / M, mdsx = dscale / M.
      const float k = scale[c] * invstd;
      const float mdy = (float)(sdy / (double)M), mds = (float)(ds / (double)M);
      for (int64_t n = 0; n < N; ++n) {
        const float* xp = x + (n * C + c) * HW;
        const float* gp = dz + (n * C + c) * HW;
        float* dp = dx + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; ++i) dp[i] = k * (gp[i] - mdy - (xp[i] - mean) * invstd * mds);
      }
    }
  });
}

}  // namespace sp
