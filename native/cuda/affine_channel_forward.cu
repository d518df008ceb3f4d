// Per-channel affine map over x = [N, C, HW] (frozen batch norm, Paddle's affine_channel):
// y = x * scale[c] + bias[c]; p = {N, C, HW}. One thread per element.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void affine_channel_forward_kernel(const float* x, const float* scale, const float* bias, float* y,
                                              int64_t n, int C, int64_t HW) {
  SP_GRID_LOOP(i, n) {
    const int c = (int)((i / HW) % C);
    y[i] = fmaf(__ldg(x + i), __ldg(scale + c), __ldg(bias + c));
  }
}

}  // namespace

void affine_channel_forward(const float* x, const float* scale, const float* bias, float* y, const int32_t* p) {
  const int C = p[1];
  const int64_t HW = p[2], n = (int64_t)p[0] * C * HW;
  if (n == 0) return;
  SP_LAUNCH(affine_channel_forward_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), x, scale, bias, y,
            n, C, HW);
  check_launch("affine_channel_forward");
}

}  // namespace cuda
}  // namespace sp
