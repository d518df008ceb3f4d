// axpy: y += alpha * x over n = p[0] values (gradient accumulation); y accumulated.
// One thread per element in a grid-stride loop.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void axpy_kernel(const float* x, float* y, int64_t n, float alpha) {
  SP_GRID_LOOP(i, n) { y[i] += alpha * x[i]; }
}
}  // namespace

void axpy(const float* x, float* y, const int32_t* p, float alpha) {
  const int64_t n = p[0];
  if (n <= 0) return;
  SP_LAUNCH(axpy_kernel, blocks_for(n, 256), 256, 0, stream(), x, y, n, alpha);
  check_launch("axpy");
}
}  // namespace cuda
}  // namespace sp
