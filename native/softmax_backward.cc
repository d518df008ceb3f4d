// Backward of softmax along the middle axis of [outer, len, inner]:
//   dx[o, l, i] = y[o, l, i] * (dy[o, l, i] - s[o, i]),  s[o, i] = sum_l dy * y  (double).
// dx overwritten. Tasks are (o, block of inner), as in softmax_forward.cc.
#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void softmax_backward(const float* y, const float* dy, float* dx, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2];
  if (!outer || !len || !inner) return;
  constexpr int64_t blk = 64;
  const int64_t nblk = (inner + blk - 1) / blk;
  parallel_for(outer * nblk, [&](int64_t t0, int64_t t1) {
    double s[blk];
    float sf[blk];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, m = std::min(inner - i0, blk);
      const int64_t base = o * len * inner + i0;
      for (int64_t i = 0; i < m; ++i) s[i] = 0;
      for (int64_t l = 0; l < len; ++l)
        for (int64_t i = 0; i < m; ++i) s[i] += (double)dy[base + l * inner + i] * (double)y[base + l * inner + i];
      for (int64_t i = 0; i < m; ++i) sf[i] = (float)s[i];
      for (int64_t l = 0; l < len; ++l)
        for (int64_t i = 0; i < m; ++i) {
          const int64_t k = base + l * inner + i;
          dx[k] = y[k] * (dy[k] - sf[i]);
        }
    }
  }, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, len * std::min(inner, blk))));
}

}  // namespace sp
