// scatter_add_axis: backward of gather_axis, dx[o, idx[j], i] += dy[o, j, i] over
// dy = [outer, count, inner], dx = [outer, axis, inner] (p = {outer, axis, inner, count});
// dx accumulated, idx may repeat. Ownership instead of atomics: one thread per (o, i) column
// walks j in order and adds into its own column of dx, so repeated indices sum in j order
// (as on the CPU) and every run gives the same bits. Threads along i read and write contiguous
// memory.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void scatter_add_axis_kernel(const float* dy, const int32_t* idx, float* dx, int64_t cols, int64_t axis,
                                        int64_t inner, int64_t count) {
  SP_GRID_LOOP(k, cols) {
    const int64_t i = k % inner, o = k / inner;
    const float* s = dy + o * count * inner + i;
    float* d = dx + o * axis * inner + i;
    for (int64_t j = 0; j < count; ++j) d[(int64_t)idx[j] * inner] += s[j * inner];
  }
}
}  // namespace

void scatter_add_axis(const float* dy, const int32_t* idx, float* dx, const int32_t* p) {
  const int64_t outer = p[0], axis = p[1], inner = p[2], count = p[3], cols = outer * inner;
  if (cols <= 0 || count <= 0) return;
  SP_LAUNCH(scatter_add_axis_kernel, blocks_for(cols, 256), 256, 0, stream(), dy, idx, dx, cols, axis, inner, count);
  check_launch("scatter_add_axis");
}
}  // namespace cuda
}  // namespace sp
