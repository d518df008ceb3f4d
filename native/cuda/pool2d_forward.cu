// pool2d_forward: 2-D pooling over NCHW planes, p = POOL_GEOM {N, C, H, W, OH, OW, KH, KW, SH, SW,
// PT, PL, kind, exclusive}. The window of output (oh, ow) starts at (oh SH - PT, ow SW - PL), spans
// KH x KW, clipped to the image (taps outside are padding):
//   kind 0, max: the largest in-bounds tap (a NaN tap wins, the first in scan order); an empty
//                window (only when padding >= kernel) gives 0;
//   kind 1, avg: the in-bounds sum (double) over the in-bounds count when exclusive, else over
//                KH KW; an empty window gives 0.
// Same scan order and arithmetic as native/pool2d_forward.cc; y overwritten; one thread per output.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
struct PoolGeom {
  int64_t H, W, OH, OW, KH, KW, SH, SW, PT, PL;
  bool is_max, exclusive;
};

__global__ void pool2d_forward_kernel(const float* x, float* y, int64_t total, PoolGeom g) {
  SP_GRID_LOOP(k, total) {
    const int64_t ow = k % g.OW, oh = (k / g.OW) % g.OH, q = k / (g.OW * g.OH);
    const int64_t hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
    const int64_t h0 = hs > 0 ? hs : 0, h1 = hs + g.KH < g.H ? hs + g.KH : g.H;
    const int64_t w0 = ws > 0 ? ws : 0, w1 = ws + g.KW < g.W ? ws + g.KW : g.W;
    const float* xp = x + q * g.H * g.W;
    float out = 0.f;
    if (h0 < h1 && w0 < w1) {
      if (g.is_max) {
        float m = xp[h0 * g.W + w0];
        for (int64_t h = h0; h < h1 && m == m; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const float v = xp[h * g.W + w];
            if (v != v) {
              m = v;
              break;
            }
            m = v > m ? v : m;
          }
        out = m;
      } else {
        double s = 0.0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
        out = (float)(s / (g.exclusive ? (double)((h1 - h0) * (w1 - w0)) : (double)g.KH * (double)g.KW));
      }
    }
    y[k] = out;
  }
}
}  // namespace

void pool2d_forward(const float* x, float* y, const int32_t* p) {
  const PoolGeom g{p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12] == 0, p[13] != 0};
  const int64_t total = (int64_t)p[0] * p[1] * g.OH * g.OW;
  if (total <= 0) return;
  SP_LAUNCH(pool2d_forward_kernel, blocks_for(total, 256), 256, 0, stream(), x, y, total, g);
  check_launch("pool2d_forward");
}
}  // namespace cuda
}  // namespace sp
