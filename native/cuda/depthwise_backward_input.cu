// Depthwise convolution, gradient with respect to x (conv2d_backward_input with groups == C ==
// OC): dx[n, c, ih, iw] = sum over the taps (kh, kw) and outputs (oh, ow) with ih = oh*SH - PT +
// kh*DH and iw = ow*SW - PL + kw*DW of dy[n, c, oh, ow] * w[c, 0, kh, kw]. One thread per dx value
// gathers its taps (oh = (ih + PT - kh*DH) / SH when exact and in range), so every value is
// written once: no zeroing, no atomics.
#include "conv2d_igemm.cuh"

namespace sp {
namespace cuda {

namespace {

__global__ void depthwise_backward_input_kernel(const float* dy, const float* w, float* dx, ConvGeo g) {
  SP_GRID_LOOP(i, (int64_t)g.N * g.C * g.HW) {
    const int q = (int)(i % g.HW), nc = (int)(i / g.HW), c = nc % g.C;
    const int ih = q / g.W, iw = q - ih * g.W;
    const float* dyc = dy + (int64_t)nc * g.P;
    const float* wc = w + c * g.KK;
    float acc = 0.f;
    for (int kh = 0; kh < g.KH; ++kh) {
      int oh = ih + g.PT - kh * g.DH;
      if (oh < 0 || oh % g.SH) continue;
      oh /= g.SH;
      if (oh >= g.OH) continue;
      for (int kw = 0; kw < g.KW; ++kw) {
        int ow = iw + g.PL - kw * g.DW;
        if (ow < 0 || ow % g.SW) continue;
        ow /= g.SW;
        if (ow < g.OW) acc = fmaf(__ldg(dyc + oh * g.OW + ow), __ldg(wc + kh * g.KW + kw), acc);
      }
    }
    dx[i] = acc;
  }
}

}  // namespace

void depthwise_backward_input(const ConvGeo& g, const float* dy, const float* w, float* dx) {
  const int64_t n = (int64_t)g.N * g.C * g.HW;
  SP_LAUNCH(depthwise_backward_input_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), dy, w, dx, g);
  check_launch("conv2d_backward_input (depthwise)");
}

}  // namespace cuda
}  // namespace sp
