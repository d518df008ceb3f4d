// Training-mode batch norm over x = [N, C, HW] (NCHW with the spatial dims flattened).
// Per channel c, over the M = N*HW values: mean = sum x / M, var = sum (x - mean)^2 / M (biased,
// two passes for accuracy), invstd = 1/sqrt(var + eps), y = (x - mean) * invstd * scale + bias (in double, rounded once).
// Running statistics use Paddle's convention: running = running * momentum + batch * (1 - momentum),
// and running_var takes the biased batch variance. saved_mean / saved_invstd feed the backward pass.
// The code is batch_norm_act_train_forward.cc's with no activation (ACT_NONE), so the fused and the
// plain kernel cannot drift apart.
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"

namespace sp {

void batch_norm_train_forward(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                              float* saved_invstd, float* running_mean, float* running_var, const int32_t* p,
                              float eps, float momentum) {
  const int32_t q[4] = {p[0], p[1], p[2], ACT_NONE};
  batch_norm_act_train_forward(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, q, eps, momentum,
                               0.f);
}

}  // namespace sp
