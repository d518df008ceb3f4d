// reduce_sum: y[o, i] = sum_l x[o, l, i] over x viewed as [outer, len, inner] (p = {outer, len,
// inner}); y overwritten. Sums in double, deterministic (no atomics):
//  - many outputs (outer * inner >= 1024): one thread per output, l in order, reads along i
//    contiguous across the threads of a warp;
//  - few outputs with long rows (bias and loss totals): one block per output, each thread a
//    strided partial sum, combined in a fixed tree (reduce.cuh).
#include "common.cuh"
#include "kernels_cuda.h"
#include "reduce.cuh"

namespace sp {
namespace cuda {
namespace {
__global__ void reduce_sum_thread_kernel(const float* x, float* y, int64_t outs, int64_t len, int64_t inner) {
  SP_GRID_LOOP(k, outs) {
    const int64_t i = k % inner, o = k / inner;
    const float* xp = x + o * len * inner + i;
    double s = 0;
    for (int64_t l = 0; l < len; ++l) s += xp[l * inner];
    y[k] = (float)s;
  }
}

// Block k (grid-strided over outputs) sums output k.
__global__ void reduce_sum_block_kernel(const float* x, float* y, int64_t outs, int64_t len, int64_t inner) {
  for (int64_t k = blockIdx.x; k < outs; k += gridDim.x) {
    const int64_t i = k % inner, o = k / inner;
    const float* xp = x + o * len * inner + i;
    double s = 0;
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x) s += xp[l * inner];
    s = block_sum(s);
    if (threadIdx.x == 0) y[k] = (float)s;
  }
}
}  // namespace

void reduce_sum(const float* x, float* y, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2], outs = outer * inner;
  if (outs <= 0) return;
  if (outs >= 1024 || len < 64) {
    SP_LAUNCH(reduce_sum_thread_kernel, blocks_for(outs, 256), 256, 0, stream(), x, y, outs, len, inner);
  } else {
    SP_LAUNCH(reduce_sum_block_kernel, (unsigned)outs, kReduceThreads, 0, stream(), x, y, outs, len, inner);
  }
  check_launch("reduce_sum");
}
}  // namespace cuda
}  // namespace sp
