// upsample_backward: backward of upsample_forward (same p); each dy[oh, ow] goes to its source
// taps with the forward weights (nearest: one tap, weight 1; bilinear: four taps,
// (1-lw)(1-lh) g, lw (1-lh) g, (1-lw) lh g, lw lh g). dx overwritten.
// Deterministic without atomics: one thread per input element gathers from the outputs that read
// it (their range per axis is tabulated on the host, upsample_table.h), in (oh, ow) order and,
// within one output, in the tap order native/upsample_backward.cc adds in.
#include "common.cuh"
#include "kernels_cuda.h"
#include "upsample_table.h"

namespace sp {
namespace cuda {
namespace {
__global__ void upsample_backward_kernel(const float* dy, float* dx, int64_t total, int H, int W, int OH, int OW, bool bil,
                                         UpAxis ah, UpAxis aw) {
  SP_GRID_LOOP(k, total) {
    const int w = (int)(k % W), h = (int)((k / W) % H);
    const int64_t q = k / ((int64_t)W * H);
    const float* gp = dy + q * OH * OW;
    float acc = 0.f;
    for (int oh = ah.lo[h]; oh < ah.hi[h]; ++oh) {
      const bool top_row = ah.i0[oh] == h, bot_row = ah.i1[oh] == h;
      for (int ow = aw.lo[w]; ow < aw.hi[w]; ++ow) {
        const float g = gp[(int64_t)oh * OW + ow];
        if (!bil) {
          if (top_row && aw.i0[ow] == w) acc += g;
          continue;
        }
        const float lh = ah.w1[oh], lw = aw.w1[ow];
        const bool left = aw.i0[ow] == w, right = aw.i1[ow] == w;
        const float top = (1.f - lh) * g, bot = lh * g;
        if (top_row && left) acc += (1.f - lw) * top;
        if (top_row && right) acc += lw * top;
        if (bot_row && left) acc += (1.f - lw) * bot;
        if (bot_row && right) acc += lw * bot;
      }
    }
    dx[k] = acc;
  }
}
}  // namespace

void upsample_backward(const float* dy, float* dx, const int32_t* p) {
  const int H = p[2], W = p[3], OH = p[4], OW = p[5];
  const bool bil = p[6] == 1;
  const int64_t total = (int64_t)p[0] * p[1] * H * W;
  if (total <= 0) return;
  UpAxis ah, aw;
  upsample_tables(H, W, OH, OW, bil, p[7] != 0, &ah, &aw);
  SP_LAUNCH(upsample_backward_kernel, blocks_for(total, 256), 256, 0, stream(), dy, dx, total, H, W, OH, OW, bil, ah, aw);
  check_launch("upsample_backward");
}
}  // namespace cuda
}  // namespace sp
