// batch_norm_act_train_forward: y = act(batch_norm_train(x)) over x = [N, C, HW], p = {N, C, HW,
// act} (fused_act.h; ACT_NONE: no activation, which is batch_norm_train_forward), floats eps,
// momentum, alpha. Per channel c, over the M = N*HW values: mean = sum x / M, var = sum (x - mean)^2
// / M (biased, two passes in double for accuracy), invstd = 1/sqrt(var + eps), y = act((x - mean) *
// invstd * scale + bias) (the affine part in double, rounded once). Running statistics use Paddle's
// convention: running = running * momentum + batch * (1 - momentum), running_var taking the biased
// batch variance, updated only when M > 0. saved_mean / saved_invstd feed the backward pass.
// The activation is applied to each row while it is still in cache: one pass over the output
// instead of the normalise pass plus a separate activation op reading it back.
// Channels are split across threads; each channel's sums are made by one thread in a fixed order
// (double accumulators, sum_util.h), so results do not depend on the thread count.
#include <cmath>
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

void batch_norm_act_train_forward(const float* x, const float* scale, const float* bias, float* y,
                                  float* saved_mean, float* saved_invstd, float* running_mean, float* running_var,
                                  const int32_t* p, float eps, float momentum, float alpha) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int kind = p[3];
  const int64_t M = N * HW;
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) sum += sum_f32(x + (n * C + c) * HW, HW);
      const double mean = M ? sum / (double)M : 0.0;
      const float meanf = (float)mean;
      double ss = 0;
      for (int64_t n = 0; n < N; ++n) ss += sum_sq_dev_f32(x + (n * C + c) * HW, HW, mean);
      const double var = M ? ss / (double)M : 0.0;
      const double invstd = 1.0 / std::sqrt(var + (double)eps);
      saved_mean[c] = meanf;
      saved_invstd[c] = (float)invstd;
      if (M) {
        running_mean[c] = running_mean[c] * momentum + meanf * (1.0f - momentum);
        running_var[c] = running_var[c] * momentum + (float)var * (1.0f - momentum);
      }
      // x - mean in double: when a channel's spread is tiny next to its mean, subtracting the
      // float-rounded mean would leave mostly rounding error for invstd to amplify.
      const double a = invstd * (double)scale[c], b = bias[c];
      for (int64_t n = 0; n < N; ++n) {
        const float* xp = x + (n * C + c) * HW;
        float* yp = y + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; ++i) yp[i] = (float)(((double)xp[i] - mean) * a + b);
        fused_act_inplace(yp, HW, kind, alpha);
      }
    }
  });
}

}  // namespace sp
