// Gradients of binary_forward (y = a op b, b broadcast by p[4]) given dy; both outputs optional
// and overwritten:
//   da = dy (add, sub) or dy * b (mul), shaped like a;
//   db = dy (add), -dy (sub) or dy * a (mul), reduced over the broadcast axes: nothing (same
//        shape), outer and inner (per channel), everything (scalar).
// Reductions use double accumulators in a fixed order: per channel by one thread; for a scalar
// b, fixed-size blocks summed by the threads and then added up in block order. So the result
// does not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {
namespace {

// sum over i < n of dy[i] * (a ? a[i] : 1)
inline double dot_or_sum(const float* dy, const float* a, int64_t n) { return a ? dot_dev_f32(dy, a, n, 0.0) : sum_f32(dy, n); }

}  // namespace

void binary_backward(const float* a, const float* b, const float* dy, float* da, float* db, const int32_t* p) {
  const int64_t outer = p[0], C = p[1], inner = p[2], n = outer * C * inner;
  const int op = p[3], mode = p[4];
  if (da && inner) {
    parallel_for(outer * C, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* gp = dy + r * inner;
        float* dp = da + r * inner;
        if (op != BIN_MUL) {
          for (int64_t i = 0; i < inner; ++i) dp[i] = gp[i];
        } else if (mode == BM_SAME) {
          const float* bp = b + r * inner;
          for (int64_t i = 0; i < inner; ++i) dp[i] = gp[i] * bp[i];
        } else {
          const float bv = mode == BM_CHANNEL ? b[r % C] : b[0];
          for (int64_t i = 0; i < inner; ++i) dp[i] = gp[i] * bv;
        }
      }
    }, inner >= 4096 ? 1 : 4096 / inner);
  }
  if (!db) return;
  const float sign = op == BIN_SUB ? -1.f : 1.f;
  const float* mul = op == BIN_MUL ? a : nullptr;  // db = dy * a for mul
  if (mode == BM_SAME) {
    parallel_for(n, [&](int64_t i0, int64_t i1) {
      if (mul) for (int64_t i = i0; i < i1; ++i) db[i] = dy[i] * a[i];
      else for (int64_t i = i0; i < i1; ++i) db[i] = sign * dy[i];
    }, 16384);
  } else if (mode == BM_CHANNEL) {
    parallel_for(C, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        double s = 0;
        for (int64_t o = 0; o < outer; ++o) {
          const int64_t off = (o * C + c) * inner;
          s += dot_or_sum(dy + off, mul ? mul + off : nullptr, inner);
        }
        db[c] = (float)(sign * s);
      }
    });
  } else {
    const int64_t blk = 16384, nblk = (n + blk - 1) / blk;
    std::vector<double> part(std::max<int64_t>(nblk, 1), 0.0);
    parallel_for(nblk, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t i0 = k * blk, len = std::min(n, i0 + blk) - i0;
        part[k] = dot_or_sum(dy + i0, mul ? mul + i0 : nullptr, len);
      }
    });
    double s = 0;
    for (double v : part) s += v;
    db[0] = (float)(sign * s);
  }
}

}  // namespace sp
