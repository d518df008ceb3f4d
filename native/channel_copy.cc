// Channel-range copy for concat (forward) and split (backward of concat):
// src = [outer, srcC, inner], dst = [outer, dstC, inner];
// dst[o, dstOff + c, :] = src[o, srcOff + c, :] for c < count, or += when accumulate = 1.
// Rows (o, c) are split across threads.
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void channel_copy(const float* src, float* dst, const int32_t* p) {
  const int64_t outer = p[0], srcC = p[1], srcOff = p[2], dstC = p[3], dstOff = p[4], count = p[5], inner = p[6];
  const bool acc = p[7] != 0;
  if (!inner || !count) return;
  parallel_for(outer * count, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / count, c = r % count;
      const float* s = src + (o * srcC + srcOff + c) * inner;
      float* d = dst + (o * dstC + dstOff + c) * inner;
      if (acc)
        for (int64_t i = 0; i < inner; ++i) d[i] += s[i];
      else
        std::memcpy(d, s, sizeof(float) * (size_t)inner);
    }
  }, inner >= 4096 ? 1 : 4096 / inner);
}

}  // namespace sp
