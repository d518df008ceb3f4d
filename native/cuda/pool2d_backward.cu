// pool2d_backward: backward of pool2d_forward (same p, same clipped windows); dx overwritten.
//   max: each dy goes to the tap the forward picked (the first NaN tap, else the first maximal
//        tap in scan order); an empty window sends nothing;
//   avg: each dy, divided (in double) by the in-bounds count (exclusive) or by KH KW, goes to
//        every in-bounds tap of its window.
// Deterministic without atomics: max first stores each window's chosen tap (a flat index into
// its plane, -1 for an empty window) in scratch; then one thread per input element gathers from
// the windows that contain it, in (oh, ow) order, the order native/pool2d_backward.cc adds in.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
struct PoolGeom {
  int64_t H, W, OH, OW, KH, KW, SH, SW, PT, PL;
  bool is_max, exclusive;
};

__device__ inline void window(const PoolGeom& g, int64_t oh, int64_t ow, int64_t* h0, int64_t* h1, int64_t* w0, int64_t* w1) {
  const int64_t hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
  *h0 = hs > 0 ? hs : 0;
  *h1 = hs + g.KH < g.H ? hs + g.KH : g.H;
  *w0 = ws > 0 ? ws : 0;
  *w1 = ws + g.KW < g.W ? ws + g.KW : g.W;
}

__global__ void pool2d_argmax_kernel(const float* x, int64_t* pick, int64_t total, PoolGeom g) {
  SP_GRID_LOOP(k, total) {
    const int64_t ow = k % g.OW, oh = (k / g.OW) % g.OH, q = k / (g.OW * g.OH);
    int64_t h0, h1, w0, w1;
    window(g, oh, ow, &h0, &h1, &w0, &w1);
    if (h0 >= h1 || w0 >= w1) {
      pick[k] = -1;
      continue;
    }
    const float* xp = x + q * g.H * g.W;
    int64_t best = h0 * g.W + w0;
    float m = xp[best];
    bool nan = m != m;
    for (int64_t h = h0; h < h1 && !nan; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t at = h * g.W + w;
        const float v = xp[at];
        if (v != v) {
          best = at;
          nan = true;
          break;
        }
        if (v > m) {
          m = v;
          best = at;
        }
      }
    pick[k] = best;
  }
}

// The outputs along one axis whose window (start o*S - P, extent K) contains input position h.
__device__ inline void covering(int64_t h, int64_t S, int64_t P, int64_t K, int64_t O, int64_t* lo, int64_t* hi) {
  const int64_t first = h + P - K + 1;
  *lo = first <= 0 ? 0 : (first + S - 1) / S;
  const int64_t last = (h + P) / S;  // h + P >= 0
  *hi = last + 1 < O ? last + 1 : O;
}

__global__ void pool2d_gather_kernel(const int64_t* pick, const float* dy, float* dx, int64_t total, PoolGeom g) {
  SP_GRID_LOOP(k, total) {
    const int64_t w = k % g.W, h = (k / g.W) % g.H, q = k / (g.W * g.H);
    const int64_t self = h * g.W + w;
    int64_t oh0, oh1, ow0, ow1;
    covering(h, g.SH, g.PT, g.KH, g.OH, &oh0, &oh1);
    covering(w, g.SW, g.PL, g.KW, g.OW, &ow0, &ow1);
    const float* gp = dy + q * g.OH * g.OW;
    float acc = 0.f;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = oh * g.OW + ow;
        if (g.is_max) {
          if (pick[q * g.OH * g.OW + o] == self) acc += gp[o];
        } else {
          int64_t h0, h1, w0, w1;
          window(g, oh, ow, &h0, &h1, &w0, &w1);
          const double cnt = g.exclusive ? (double)((h1 - h0) * (w1 - w0)) : (double)g.KH * (double)g.KW;
          acc += (float)((double)gp[o] / cnt);
        }
      }
    dx[k] = acc;
  }
}
}  // namespace

void pool2d_backward(const float* x, const float* dy, float* dx, const int32_t* p) {
  const PoolGeom g{p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12] == 0, p[13] != 0};
  const int64_t planes = (int64_t)p[0] * p[1], outs = planes * g.OH * g.OW, ins = planes * g.H * g.W;
  if (ins <= 0) return;
  int64_t* pick = nullptr;
  if (g.is_max && outs > 0) {
    pick = static_cast<int64_t*>(scratch((size_t)outs * sizeof(int64_t)));
    SP_LAUNCH(pool2d_argmax_kernel, blocks_for(outs, 256), 256, 0, stream(), x, pick, outs, g);
    check_launch("pool2d_backward");
  }
  SP_LAUNCH(pool2d_gather_kernel, blocks_for(ins, 256), 256, 0, stream(), pick, dy, dx, ins, g);
  check_launch("pool2d_backward");
}
}  // namespace cuda
}  // namespace sp
