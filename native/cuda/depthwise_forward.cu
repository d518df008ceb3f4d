// Depthwise convolution forward (conv2d_forward with groups == C == OC): y[n, c, oh, ow] = b[c] +
// sum_{kh, kw} x[n, c, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW] * w[c, 0, kh, kw].
// A stencil, not a GEMM: KH*KW multiply-adds per output, bound by memory traffic, so one thread
// per output value (consecutive threads: consecutive ow, so loads of a warp are contiguous for
// stride 1 and the window overlap is served by the L1 cache).
#include "conv2d_igemm.cuh"
#include "fused_act.cuh"

namespace sp {
namespace cuda {

namespace {

__global__ void depthwise_forward_kernel(const float* x, const float* w, const float* b, float* y, ConvGeo g, int act,
                                         float alpha) {
  SP_GRID_LOOP(i, (int64_t)g.N * g.C * g.P) {
    const int q = (int)(i % g.P), nc = (int)(i / g.P), c = nc % g.C;
    const int oh = q / g.OW, ow = q - oh * g.OW;
    const int ih0 = oh * g.SH - g.PT, iw0 = ow * g.SW - g.PL;
    const float* xc = x + (int64_t)nc * g.HW;
    const float* wc = w + c * g.KK;
    float acc = b ? __ldg(b + c) : 0.f;
    for (int kh = 0; kh < g.KH; ++kh) {
      const int ih = ih0 + kh * g.DH;
      if ((unsigned)ih >= (unsigned)g.H) continue;
      for (int kw = 0; kw < g.KW; ++kw) {
        const int iw = iw0 + kw * g.DW;
        if ((unsigned)iw < (unsigned)g.W) acc = fmaf(__ldg(xc + ih * g.W + iw), __ldg(wc + kh * g.KW + kw), acc);
      }
    }
    y[i] = fused_act(acc, act, alpha);
  }
}

}  // namespace

void depthwise_forward(const ConvGeo& g, const float* x, const float* w, const float* b, float* y, int act,
                       float alpha) {
  const int64_t n = (int64_t)g.N * g.C * g.P;
  SP_LAUNCH(depthwise_forward_kernel, dim3(blocks_for(n, 256, 65536)), dim3(256), 0, stream(), x, w, b, y, g, act,
            alpha);
  check_launch(act == kNoAct ? "conv2d_forward (depthwise)" : "conv2d_act_forward (depthwise)");
}

}  // namespace cuda
}  // namespace sp
