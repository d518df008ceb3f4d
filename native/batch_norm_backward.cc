// Backward of training-mode batch norm (batch statistics) over [N, C, HW], M = N*HW per channel.
// With xhat = (x - mean) * invstd:
//   dbias[c]  = sum dy
//   dscale[c] = sum dy * xhat
//   dx        = scale * invstd / M * (M * dy - dbias - xhat * dscale)
// (the mean and variance depend on x, hence the two correction terms). All outputs overwritten.
// The code is batch_norm_act_backward.cc's with no activation (ACT_NONE: dz is dy itself), so
// the fused and the plain kernel cannot drift apart.
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"

namespace sp {

void batch_norm_backward(const float* x, const float* dy, const float* scale, const float* saved_mean,
                         const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p) {
  const int32_t q[4] = {p[0], p[1], p[2], ACT_NONE};
  batch_norm_act_backward(x, nullptr, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, q, 0.f);
}

}  // namespace sp
