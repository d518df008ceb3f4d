// upsample_forward: resize NCHW planes from H x W to OH x OW, p = UPSAMPLE_GEOM {N, C, H, W, OH,
// OW, mode, align_corners}. Nearest (mode 0) copies x[i0h, i0w]; bilinear (mode 1) blends
//   y = (1-lh) ((1-lw) x[h0,w0] + lw x[h0,w1]) + lh ((1-lw) x[h1,w0] + lw x[h1,w1]),
// with source indices and weights tabulated on the host exactly as native/upsample_common.h does
// (upsample_table.h). y overwritten; one thread per output.
#include "common.cuh"
#include "kernels_cuda.h"
#include "upsample_table.h"

namespace sp {
namespace cuda {
namespace {
__global__ void upsample_forward_kernel(const float* x, float* y, int64_t total, int H, int W, int OH, int OW, bool bil,
                                        UpAxis ah, UpAxis aw) {
  SP_GRID_LOOP(k, total) {
    const int ow = (int)(k % OW), oh = (int)((k / OW) % OH);
    const int64_t q = k / ((int64_t)OW * OH);
    const float* xp = x + q * H * W;
    const float* r0 = xp + (int64_t)ah.i0[oh] * W;
    if (!bil) {
      y[k] = r0[aw.i0[ow]];
      continue;
    }
    const float* r1 = xp + (int64_t)ah.i1[oh] * W;
    const float lh = ah.w1[oh], lw = aw.w1[ow];
    const int w0 = aw.i0[ow], w1 = aw.i1[ow];
    const float top = (1.f - lw) * r0[w0] + lw * r0[w1];
    const float bot = (1.f - lw) * r1[w0] + lw * r1[w1];
    y[k] = (1.f - lh) * top + lh * bot;
  }
}
}  // namespace

void upsample_forward(const float* x, float* y, const int32_t* p) {
  const int H = p[2], W = p[3], OH = p[4], OW = p[5];
  const bool bil = p[6] == 1;
  const int64_t total = (int64_t)p[0] * p[1] * OH * OW;
  if (total <= 0) return;
  UpAxis ah, aw;
  upsample_tables(H, W, OH, OW, bil, p[7] != 0, &ah, &aw);
  SP_LAUNCH(upsample_forward_kernel, blocks_for(total, 256), 256, 0, stream(), x, y, total, H, W, OH, OW, bil, ah, aw);
  check_launch("upsample_forward");
}
}  // namespace cuda
}  // namespace sp
