// batch_norm_act_backward: the backward of y = act(batch_norm_train(x)) over [N, C, HW]; p = {N, C,
// HW, act} (fused_act.cuh), float alpha. With dz = dy * act'(from y): dbias = sum dz, dscale = sum
// dz * xhat, dx = scale * invstd * (dz - dbias / M - xhat * dscale / M); dx, dscale, dbias
// overwritten. batch_norm_backward.cu's kernel, recomputing dz from y and dy in both of its
// passes, so the activation's gradient is never a tensor of its own.
#include "batch_norm_reduce.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha) {
  bn_backward_act(x, y, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p, p[3], alpha);
}

}  // namespace cuda
}  // namespace sp
