// Gather along one axis: x viewed as [outer, axis, inner], y as [outer, count, inner];
// y[o, j, :] = x[o, idx[j], :]. Used to slice pruned channels out of weights and activations.
// The N-API layer has checked every idx[j] in [0, axis). Rows (o, j) are split across threads.
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void gather_axis(const float* x, const int32_t* idx, float* y, const int32_t* p) {
  const int64_t outer = p[0], axis = p[1], inner = p[2], count = p[3];
  if (!inner) return;
  parallel_for(outer * count, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / count, j = r % count;
      std::memcpy(y + r * inner, x + (o * axis + idx[j]) * inner, (size_t)inner * sizeof(float));
    }
  }, inner >= 4096 ? 1 : 4096 / inner);
}

}  // namespace sp
