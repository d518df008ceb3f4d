// Depthwise convolution, gradient with respect to w (conv2d_backward_filter with groups == C ==
// OC): dw[c, 0, kh, kw] = sum_{n, oh, ow} dy[n, c, oh, ow] * x[n, c, oh*SH - PT + kh*DH, ow*SW - PL
// + kw*DW]. One block per channel: its threads stride over the N*OH*OW output pixels keeping one
// register sum per tap (taps in chunks of 16), then each tap is reduced across the block with warp
// shuffles and one shared-memory step. The summation order depends only on the shape.
// (The bias gradient is conv_bias_grad, shared with the other convolutions.)
#include "conv2d_igemm.cuh"

namespace sp {
namespace cuda {

namespace {

constexpr int kTapChunk = 16;
constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) depthwise_backward_filter_kernel(const float* x, const float* dy,
                                                                              float* dw, ConvGeo g) {
  __shared__ float partial[kThreads / 32][kTapChunk];
  const int c = blockIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int t0 = 0; t0 < g.KK; t0 += kTapChunk) {
    const int cnt = g.KK - t0 < kTapChunk ? g.KK - t0 : kTapChunk;
    float acc[kTapChunk];
    for (int t = 0; t < kTapChunk; ++t) acc[t] = 0.f;
    for (int n = 0; n < g.N; ++n) {
      const float* xc = x + ((int64_t)n * g.C + c) * g.HW;
      const float* dyc = dy + ((int64_t)n * g.C + c) * g.P;
      for (int q = threadIdx.x; q < g.P; q += kThreads) {
        const float d = __ldg(dyc + q);
        const int oh = q / g.OW, ow = q - oh * g.OW;
        const int ih0 = oh * g.SH - g.PT, iw0 = ow * g.SW - g.PL;
        for (int t = 0; t < kTapChunk; ++t) {
          if (t >= cnt) break;
          const int kh = (t0 + t) / g.KW, kw = (t0 + t) - kh * g.KW;
          const int ih = ih0 + kh * g.DH, iw = iw0 + kw * g.DW;
          if ((unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W) acc[t] = fmaf(d, __ldg(xc + ih * g.W + iw), acc[t]);
        }
      }
    }
    for (int t = 0; t < kTapChunk; ++t) {
      float v = acc[t];
      for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (lane == 0) partial[warp][t] = v;
    }
    __syncthreads();
    if (threadIdx.x < cnt) {
      float s = 0.f;
      for (int w = 0; w < kThreads / 32; ++w) s += partial[w][threadIdx.x];
      dw[c * g.KK + t0 + threadIdx.x] = s;
    }
    __syncthreads();  // partial is rewritten by the next chunk
  }
}

}  // namespace

void depthwise_backward_filter(const ConvGeo& g, const float* x, const float* dy, float* dw, float* db) {
  if (db) conv_bias_grad(g, dy, db);
  SP_LAUNCH(depthwise_backward_filter_kernel, dim3(g.C), dim3(kThreads), 0, stream(), x, dy, dw, g);
  check_launch("conv2d_backward_filter (depthwise)");
}

}  // namespace cuda
}  // namespace sp
