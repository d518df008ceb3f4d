// channel_copy: a channel range copied between [outer, srcC, inner] and [outer, dstC, inner]
// (concat forward, split in its backward), p = {outer, srcC, srcOff, dstC, dstOff, count, inner,
// accumulate}: dst[o, dstOff + c, :] = src[o, srcOff + c, :] for c < count, or += when
// accumulate = 1. One thread per copied element; each dst element is written by one thread.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void channel_copy_kernel(const float* src, float* dst, int64_t total, int64_t srcC, int64_t srcOff, int64_t dstC,
                                    int64_t dstOff, int64_t count, int64_t inner, bool acc) {
  SP_GRID_LOOP(k, total) {
    const int64_t i = k % inner, r = k / inner, c = r % count, o = r / count;
    const float v = src[(o * srcC + srcOff + c) * inner + i];
    float* d = dst + (o * dstC + dstOff + c) * inner + i;
    *d = acc ? *d + v : v;
  }
}
}  // namespace

void channel_copy(const float* src, float* dst, const int32_t* p) {
  const int64_t outer = p[0], count = p[5], inner = p[6], total = outer * count * inner;
  if (total <= 0) return;
  SP_LAUNCH(channel_copy_kernel, blocks_for(total, 256), 256, 0, stream(), src, dst, total, (int64_t)p[1], (int64_t)p[2],
            (int64_t)p[3], (int64_t)p[4], count, inner, p[7] != 0);
  check_launch("channel_copy");
}
}  // namespace cuda
}  // namespace sp
