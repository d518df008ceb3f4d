// Backward of gather_axis: dx[o, idx[j], i] += dy[o, j, i] over dy = [outer, count, inner],
// dx = [outer, axis, inner] (accumulated; idx may repeat). Work is split over (o, block of i):
// every dx element is owned by one task, which adds its contributions in j order, so repeated
// indices give the same sums for any thread count.
#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void scatter_add_axis(const float* dy, const int32_t* idx, float* dx, const int32_t* p) {
  const int64_t outer = p[0], axis = p[1], inner = p[2], count = p[3];
  if (!inner || !count) return;
  const int64_t blk = 1024, nblk = (inner + blk - 1) / blk;
  parallel_for(outer * nblk, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, i1 = std::min(inner, i0 + blk);
      for (int64_t j = 0; j < count; ++j) {
        const float* s = dy + (o * count + j) * inner;
        float* d = dx + (o * axis + idx[j]) * inner;
        for (int64_t i = i0; i < i1; ++i) d[i] += s[i];
      }
    }
  }, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, count * std::min(inner, blk))));
}

}  // namespace sp
