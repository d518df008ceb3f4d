// Folds a batch norm into the conv before it. With f[oc] = scale[oc] / sqrt(var[oc] + eps):
//   w_out[oc, k] = w[oc, k] * f[oc]                      (w is [OC, K], K = C/G * KH * KW)
//   b_out[oc]    = ((b ? b[oc] : 0) - mean[oc]) * f[oc] + offset[oc]
// f is computed in double. Runs once per layer at export time, so it stays single-threaded.
#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace sp {

void bn_fold(const float* w, const float* b, const float* scale, const float* offset, const float* mean,
             const float* var, float* w_out, float* b_out, const int32_t* p, float eps) {
  const int64_t OC = p[0], K = p[1];
  for (int64_t oc = 0; oc < OC; ++oc) {
    const double fd = (double)scale[oc] / std::sqrt((double)var[oc] + (double)eps);
    const float f = (float)fd;
    const float* wp = w + oc * K;
    float* op = w_out + oc * K;
    for (int64_t k = 0; k < K; ++k) op[k] = wp[k] * f;
    b_out[oc] = (float)(((b ? (double)b[oc] : 0.0) - (double)mean[oc]) * fd + (double)offset[oc]);
  }
}

}  // namespace sp
