// Inference batch norm over x = [N, C, HW] with given statistics; p = {N, C, HW}:
// y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], folded per channel (in double, as
// native/batch_norm_infer_forward.cc does) into y = x * a[c] + b[c]. A first tiny kernel makes
// a and b (scratch, 2*C floats), then one thread per element does one multiply-add.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void bn_infer_coeffs_kernel(const float* scale, const float* bias, const float* mean, const float* var,
                                       float* ab, int C, float eps) {
  SP_GRID_LOOP(c, C) {
    const double a = (double)scale[c] / sqrt((double)var[c] + (double)eps);
    ab[c] = (float)a;
    ab[C + c] = (float)((double)bias[c] - (double)mean[c] * a);
  }
}

__global__ void bn_infer_apply_kernel(const float* x, const float* ab, float* y, int64_t n, int C, int64_t HW) {
  SP_GRID_LOOP(i, n) {
    const int c = (int)((i / HW) % C);
    y[i] = fmaf(__ldg(x + i), __ldg(ab + c), __ldg(ab + C + c));
  }
}

}  // namespace

void batch_norm_infer_forward(const float* x, const float* scale, const float* bias, const float* mean,
                              const float* var, float* y, const int32_t* p, float eps) {
  const int C = p[1];
  const int64_t HW = p[2], n = (int64_t)p[0] * C * HW;
  if (n == 0) return;
  float* ab = static_cast<float*>(scratch((size_t)2 * C * sizeof(float)));
  SP_LAUNCH(bn_infer_coeffs_kernel, dim3(blocks_for(C, 256)), dim3(256), 0, stream(), scale, bias, mean, var, ab, C,
            eps);
  check_launch("batch_norm_infer_forward");
  SP_LAUNCH(bn_infer_apply_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), x, ab, y, n, C, HW);
  check_launch("batch_norm_infer_forward");
}

}  // namespace cuda
}  // namespace sp
