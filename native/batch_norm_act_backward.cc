// batch_norm_act_backward: the backward of y = act(batch_norm_train(x)) over [N, C, HW], p = {N,
// C, HW, act} (fused_act.h; ACT_NONE: no activation, which is batch_norm_backward, and y may be
// null), float alpha. From x (the batch norm's input), y (the activation's output) and dy (dL/dy):
// dz = dy * act'(from y), then with xhat = (x - mean) * invstd and M = N*HW:
//   dbias = sum dz, dscale = sum dz * xhat, dx = scale * invstd / M * (M * dz - dbias - xhat * dscale)
// (the mean and variance depend on x, hence the two correction terms). All outputs overwritten.
// dz is written into dx row by row, in the same pass that sums dz and dz * (x - mean), and
// rewritten into dx in place while the rows of one channel are still in cache, so the
// activation's gradient tensor is never a buffer of its own (with ACT_NONE dz is read from dy
// directly); the sums (sum_util.h's lanes and order) and the dx expression are the same with and
// without an activation, so the result is bit for bit that of activation_backward followed by
// batch_norm_backward.
// Channels are split across threads; each channel's sums are made by one thread in a fixed order
// (double accumulators, sum_util.h), so results do not depend on the thread count. The channel
// loop (norm_impl.h) runs in its AVX-512 or AVX2 build where the CPU has one, with the same bits.
#include <cstdint>

#include "cpu.h"
#include "kernels.h"
#include "norm_impl.h"
#include "threadpool.h"

namespace sp {

void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha) {
  static const auto fn = SP_NORM_PICK(bn_act_backward_channels);
  parallel_for(p[1], [&](int64_t c0, int64_t c1) {
    fn(x, y, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p, alpha, c0, c1);
  });
}

}  // namespace sp
