// binary_forward: y = a (op) b over a = [outer, C, inner] (p = {outer, C, inner, op, bmode}),
// op 0 add, 1 sub, 2 mul; b broadcast by bmode: 0 same shape as a, 1 one value per channel ([C]),
// 2 one scalar ([1]). y overwritten. One thread per element.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void binary_forward_kernel(const float* a, const float* b, float* y, int64_t n, int64_t C, int64_t inner, int op,
                                      int mode) {
  SP_GRID_LOOP(i, n) {
    const float bv = mode == 0 ? b[i] : mode == 1 ? b[(i / inner) % C] : b[0];
    const float av = a[i];
    y[i] = op == 0 ? av + bv : op == 1 ? av - bv : av * bv;
  }
}
}  // namespace

void binary_forward(const float* a, const float* b, float* y, const int32_t* p) {
  const int64_t outer = p[0], C = p[1], inner = p[2], n = outer * C * inner;
  if (n <= 0) return;
  SP_LAUNCH(binary_forward_kernel, blocks_for(n, 256), 256, 0, stream(), a, b, y, n, C, inner, (int)p[3], (int)p[4]);
  check_launch("binary_forward");
}
}  // namespace cuda
}  // namespace sp
