// Softmax along the middle axis of x = [outer, len, inner]:
//   y[o, l, i] = exp(x[o, l, i] - m) / sum_l' exp(x[o, l', i] - m),  m = max_l x[o, l, i]
// (subtracting the max keeps exp finite). Sums in double. Tasks are (o, block of inner): for
// inner == 1 a task is a contiguous row; otherwise each block handles its columns together so
// the loops run along contiguous memory. Each output is computed by one task.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void softmax_forward(const float* x, float* y, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2];
  if (!outer || !len || !inner) return;
  constexpr int64_t blk = 64;
  const int64_t nblk = (inner + blk - 1) / blk;
  parallel_for(outer * nblk, [&](int64_t t0, int64_t t1) {
    float mx[blk];
    double sum[blk];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, m = std::min(inner - i0, blk);
      const float* xb = x + o * len * inner + i0;
      float* yb = y + o * len * inner + i0;
      for (int64_t i = 0; i < m; ++i) {
        mx[i] = xb[i];
        sum[i] = 0;
      }
      for (int64_t l = 1; l < len; ++l)
        for (int64_t i = 0; i < m; ++i) mx[i] = std::max(mx[i], xb[l * inner + i]);
      for (int64_t l = 0; l < len; ++l)
        for (int64_t i = 0; i < m; ++i) {
          const float e = std::exp(xb[l * inner + i] - mx[i]);
          yb[l * inner + i] = e;
          sum[i] += e;
        }
      for (int64_t i = 0; i < m; ++i) mx[i] = (float)(1.0 / sum[i]);  // reuse as 1/sum
      for (int64_t l = 0; l < len; ++l)
        for (int64_t i = 0; i < m; ++i) yb[l * inner + i] *= mx[i];
    }
  }, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, len * std::min(inner, blk))));
}

}  // namespace sp
