// batch_norm_act_train_forward: y = act(batch_norm_train_forward(x)) over [N, C, HW]; p = {N, C,
// HW, act} (fused_act.cuh), floats eps, momentum, alpha. Statistics, saved and running values as
// batch_norm_train_forward.cu, whose kernel applies the activation as it writes y.
#include "batch_norm_reduce.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

void batch_norm_act_train_forward(const float* x, const float* scale, const float* bias, float* y,
                                  float* saved_mean, float* saved_invstd, float* running_mean, float* running_var,
                                  const int32_t* p, float eps, float momentum, float alpha) {
  bn_train_forward_act(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum, p[3],
                       alpha);
}

}  // namespace cuda
}  // namespace sp
