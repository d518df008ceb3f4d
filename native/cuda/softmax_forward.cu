// softmax_forward: softmax along the middle axis of x = [outer, len, inner] (p = {outer, len,
// inner}):  y[o, l, i] = exp(x[o, l, i] - m) / sum_l' exp(x[o, l', i] - m),  m = max_l x[o, l, i]
// (the max keeps exp finite); the sum in double. y overwritten. One thread per (o, i) column:
// neighbouring threads read neighbouring i, and each output is computed by one thread.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void softmax_forward_kernel(const float* x, float* y, int64_t cols, int64_t len, int64_t inner) {
  SP_GRID_LOOP(k, cols) {
    const int64_t i = k % inner, o = k / inner;
    const float* xp = x + o * len * inner + i;
    float* yp = y + o * len * inner + i;
    float m = xp[0];
    for (int64_t l = 1; l < len; ++l) m = fmaxf(m, xp[l * inner]);
    double s = 0;
    for (int64_t l = 0; l < len; ++l) {
      const float e = expf(xp[l * inner] - m);
      yp[l * inner] = e;
      s += e;
    }
    const float r = (float)(1.0 / s);
    for (int64_t l = 0; l < len; ++l) yp[l * inner] *= r;
  }
}
}  // namespace

void softmax_forward(const float* x, float* y, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2], cols = outer * inner;
  if (cols <= 0 || len <= 0) return;
  SP_LAUNCH(softmax_forward_kernel, blocks_for(cols, 256), 256, 0, stream(), x, y, cols, len, inner);
  check_launch("softmax_forward");
}
}  // namespace cuda
}  // namespace sp
