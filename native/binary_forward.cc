// y = a (op) b elementwise over a = [outer, C, inner], op = p[3] (0 add, 1 sub, 2 mul), with b
// broadcast by p[4]: 0 same shape as a, 1 one value per channel ([C]), 2 one scalar ([1]).
// Rows (o, c) are split across threads; the inner loops are plain vectorisable maps.
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void binary_forward(const float* a, const float* b, float* y, const int32_t* p) {
  const int64_t outer = p[0], C = p[1], inner = p[2];
  const int op = p[3], mode = p[4];
  if (!inner) return;
  parallel_for(outer * C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* ap = a + r * inner;
      float* yp = y + r * inner;
      if (mode == BM_SAME) {
        const float* bp = b + r * inner;
        if (op == BIN_ADD) for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] + bp[i];
        else if (op == BIN_SUB) for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] - bp[i];
        else for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] * bp[i];
      } else {
        const float bv = mode == BM_CHANNEL ? b[r % C] : b[0];
        if (op == BIN_ADD) for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] + bv;
        else if (op == BIN_SUB) for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] - bv;
        else for (int64_t i = 0; i < inner; ++i) yp[i] = ap[i] * bv;
      }
    }
  }, inner >= 4096 ? 1 : 4096 / inner);
}

}  // namespace sp
