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
// (double accumulators, sum_util.h), so results do not depend on the thread count. The channel
// loop (norm_impl.h) runs in its AVX-512 or AVX2 build where the CPU has one (the double loops
// ran at 5-7 GB/s as SSE2), with the same bits.
#include <cstdint>

#include "cpu.h"
#include "kernels.h"
#include "norm_impl.h"
#include "threadpool.h"

SP_NORM_DEFINE(generic)

namespace sp {

void batch_norm_act_train_forward(const float* x, const float* scale, const float* bias, float* y,
                                  float* saved_mean, float* saved_invstd, float* running_mean, float* running_var,
                                  const int32_t* p, float eps, float momentum, float alpha) {
  static const auto fn = SP_NORM_PICK(bn_act_train_channels);
  parallel_for(p[1], [&](int64_t c0, int64_t c1) {
    fn(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum, alpha, c0, c1);
  });
}

}  // namespace sp
