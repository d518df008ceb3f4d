// Folds a batch norm into the conv before it; p = {OC, K}. With f[oc] = scale[oc] / sqrt(var[oc] +
// eps) (in double, as native/bn_fold.cc):
//   w_out[oc, k] = w[oc, k] * f[oc]        (w is [OC, K], K = C/G * KH * KW)
//   b_out[oc]    = ((b ? b[oc] : 0) - mean[oc]) * f[oc] + offset[oc]
// Runs once per layer at export time: one thread per weight, f recomputed per thread.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void bn_fold_kernel(const float* w, const float* b, const float* scale, const float* offset,
                               const float* mean, const float* var, float* w_out, float* b_out, int64_t OC,
                               int64_t K, float eps) {
  SP_GRID_LOOP(i, OC * K) {
    const int64_t oc = i / K;
    const float f = (float)((double)scale[oc] / sqrt((double)var[oc] + (double)eps));
    w_out[i] = w[i] * f;
  }
  SP_GRID_LOOP(oc, OC) {
    const double fd = (double)scale[oc] / sqrt((double)var[oc] + (double)eps);
    b_out[oc] = (float)(((b ? (double)b[oc] : 0.0) - (double)mean[oc]) * fd + (double)offset[oc]);
  }
}

}  // namespace

void bn_fold(const float* w, const float* b, const float* scale, const float* offset, const float* mean,
             const float* var, float* w_out, float* b_out, const int32_t* p, float eps) {
  const int64_t OC = p[0], K = p[1];
  if (OC <= 0) return;
  SP_LAUNCH(bn_fold_kernel, dim3(blocks_for(OC * K > OC ? OC * K : OC, 256)), dim3(256), 0, stream(), w, b, scale,
            offset, mean, var, w_out, b_out, OC, K, eps);
  check_launch("bn_fold");
}

}  // namespace cuda
}  // namespace sp
