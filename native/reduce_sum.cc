// y[o, i] = sum_l x[o, l, i] over x viewed as [outer, len, inner]; y overwritten (bias and
// broadcast gradients, loss totals). Sums are accumulated in double, each output by one task in
// l order. Tasks are (o, block of inner) so strided sums vectorise across i; for inner == 1 each
// row is one task, except a single long row, which is cut into fixed-size blocks whose partial
// sums are added in block order. None of this depends on the thread count.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

void reduce_sum(const float* x, float* y, const int32_t* p) {
  const int64_t outer = p[0], len = p[1], inner = p[2];
  if (!outer || !inner) return;
  if (inner == 1) {
    if (outer == 1 && len > 65536) {
      const int64_t blk = 16384, nblk = (len + blk - 1) / blk;
      std::vector<double> part(nblk, 0.0);
      parallel_for(nblk, [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k) {
          const int64_t l0 = k * blk;
          part[k] = sum_f32(x + l0, std::min(len, l0 + blk) - l0);
        }
      });
      double s = 0;
      for (double v : part) s += v;
      y[0] = (float)s;
      return;
    }
    parallel_for(outer, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        y[o] = (float)sum_f32(x + o * len, len);
      }
    }, len >= 4096 ? 1 : 4096 / std::max<int64_t>(len, 1));
    return;
  }
  constexpr int64_t blk = 256;
  const int64_t nblk = (inner + blk - 1) / blk;
  parallel_for(outer * nblk, [&](int64_t t0, int64_t t1) {
    double acc[blk];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, m = std::min(inner - i0, blk);
      for (int64_t i = 0; i < m; ++i) acc[i] = 0;
      for (int64_t l = 0; l < len; ++l) {
        const float* xp = x + (o * len + l) * inner + i0;
        for (int64_t i = 0; i < m; ++i) acc[i] += xp[i];
      }
      float* yp = y + o * inner + i0;
      for (int64_t i = 0; i < m; ++i) yp[i] = (float)acc[i];
    }
  }, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, len * std::min(inner, blk))));
}

}  // namespace sp
