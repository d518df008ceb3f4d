// gather_axis: x viewed as [outer, axis, inner], y as [outer, count, inner] (p = {outer, axis,
// inner, count}); y[o, j, :] = x[o, idx[j], :] (slicing pruned channels out). idx is a device
// copy of the checked host array (every idx[j] in [0, axis)). y overwritten; one thread per
// output element.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void gather_axis_kernel(const float* x, const int32_t* idx, float* y, int64_t total, int64_t axis, int64_t inner,
                                   int64_t count) {
  SP_GRID_LOOP(k, total) {
    const int64_t i = k % inner, r = k / inner, j = r % count, o = r / count;
    y[k] = x[(o * axis + idx[j]) * inner + i];
  }
}
}  // namespace

void gather_axis(const float* x, const int32_t* idx, float* y, const int32_t* p) {
  const int64_t outer = p[0], axis = p[1], inner = p[2], count = p[3], total = outer * count * inner;
  if (total <= 0) return;
  SP_LAUNCH(gather_axis_kernel, blocks_for(total, 256), 256, 0, stream(), x, idx, y, total, axis, inner, count);
  check_launch("gather_axis");
}
}  // namespace cuda
}  // namespace sp
