// softmax_backward: along the middle axis of [outer, len, inner] (p = {outer, len, inner}):
//   dx[o, l, i] = y[o, l, i] * (dy[o, l, i] - s[o, i]),  s[o, i] = sum_l dy * y  (in double).
// dx overwritten. One thread per (o, i) column, as in softmax_forward.cu.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t cols, int64_t len, int64_t inner) {
  SP_GRID_LOOP(k, cols) {
    const int64_t i = k % inner, o = k / inner, base = o * len * inner + i;
    double s = 0;
    for (int64_t l = 0; l < len; ++l) s += (double)dy[base + l * inner] * (double)y[base + l * inner];
    const float sf = (float)s;
    for (int64_t l = 0; l < len; ++l) {
      const int64_t at = base + l * inner;
      dx[at] = y[at] * (dy[at] - sf);
    }
  }
}
}  // namespace

void softmax_backward(const float* y, const float* dy, float* dx, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2], cols = outer * inner;
  if (cols <= 0 || len <= 0) return;
  SP_LAUNCH(softmax_backward_kernel, blocks_for(cols, 256), 256, 0, stream(), y, dy, dx, cols, len, inner);
  check_launch("softmax_backward");
}
}  // namespace cuda
}  // namespace sp
