// conv2d_forward: y[n, oc, oh, ow] = b[oc] + sum_{c in group, kh, kw} x[n, c, oh*SH - PT + kh*DH,
// ow*SW - PL + kw*DW] * w[oc, c', kh, kw]; fp32 NCHW, y overwritten, p = conv geometry (kernels.h).
//
// Implicit GEMM per group g (blockIdx.z): y_g (OCg x N*OH*OW) = W_g (OCg x Kg) * col (Kg x
// N*OH*OW), with col[k][j] (k = (c*KH + kh)*KW + kw, j = (n*OH + oh)*OW + ow) read straight from x
// while a tile is fetched, never materialised. A thread keeps its output column j (image, ih0,
// iw0) for the whole kernel; each k comes from a tap table (c*H*W, kh*DH, kw*DW) built once per
// launch, so the inner fetch is two adds, a bounds test and a load. Consecutive threads take
// consecutive j: consecutive input pixels for stride 1.
// Specialised: 1x1 stride 1 unpadded (col is x itself: no table, no bounds) and depthwise
// (groups == C == OC: a per-channel stencil, depthwise_forward.cu). conv2d_act_forward.cu shares
// this code: the activation is applied as each value is stored.
#include "conv2d_igemm.cuh"
#include "fused_act.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void taps_kernel(int4* taps, int count, int KH, int KW, int DH, int DW, int plane, int extra_stride) {
  const int KK = KH * KW;
  SP_GRID_LOOP(k, count) {
    const int c = (int)k / KK, r = (int)k % KK, kh = r / KW, kw = r % KW;
    taps[k] = make_int4(c * plane, kh * DH, kw * DW, c * extra_stride + r);
  }
}

template <bool PW>
struct ForwardProblem {
  static constexpr bool kAFastK = true;   // w_g rows are contiguous in k
  static constexpr bool kBFastK = false;  // consecutive output pixels
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  const int4* taps;
  ConvGeo g;
  int act;
  float alpha;
  int M, N, K, kb, ke, grp;

  __device__ void select(int z) {
    grp = z;
    kb = 0;
    ke = K;
  }
  __device__ int a_m(int m) const { return (grp * g.OCg + m) * g.Kg; }
  __device__ int a_k(int k) const { return k; }
  __device__ float a(int am, int ak) const { return __ldg(w + am + ak); }
  __device__ ConvPixel b_n(int j) const { return conv_pixel<PW>(g, grp, j); }
  __device__ int4 b_k(int k) const { return conv_tap<PW>(g, taps, k); }
  __device__ float b(const int4& t, const ConvPixel& px) const { return conv_x<PW>(g, x, t, px); }
  __device__ void store(int m, int j, float v) const {
    const int n = j / g.P, q = j - n * g.P, oc = grp * g.OCg + m;
    y[(n * g.OC + oc) * g.P + q] = fused_act(bias ? v + __ldg(bias + oc) : v, act, alpha);
  }
};

template <bool PW>
void run(const ConvGeo& g, const float* x, const float* w, const float* b, float* y, const int4* taps, int act,
         float alpha) {
  ForwardProblem<PW> pr{x, w, b, y, taps, g, act, alpha, g.OCg, g.N * g.P, g.Kg, 0, g.Kg, 0};
  igemm::launch(pr, g.OCg, (int64_t)g.N * g.P, g.G, act == kNoAct ? "conv2d_forward" : "conv2d_act_forward");
}

}  // namespace

void build_taps(int4* taps, int count, int KH, int KW, int DH, int DW, int plane, int extra_stride) {
  SP_LAUNCH(taps_kernel, dim3(blocks_for(count, 256)), dim3(256), 0, stream(), taps, count, KH, KW, DH, DW, plane,
            extra_stride);
  check_launch("conv2d (tap table)");
}

void conv_forward_act(const ConvGeo& g, const float* x, const float* w, const float* b, float* y, int act, float alpha) {
  if ((int64_t)g.N * g.OC * g.P == 0) return;
  if (conv_depthwise(g)) return depthwise_forward(g, x, w, b, y, act, alpha);
  if (conv_pointwise(g)) return run<true>(g, x, w, b, y, nullptr, act, alpha);
  int4* taps = static_cast<int4*>(scratch((size_t)g.Kg * sizeof(int4)));
  build_taps(taps, g.Kg, g.KH, g.KW, g.DH, g.DW, g.HW, 0);
  run<false>(g, x, w, b, y, taps, act, alpha);
}

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const int32_t* p) {
  conv_forward_act(conv_geo(p), x, w, b, y, kNoAct, 0.f);
}

}  // namespace cuda
}  // namespace sp
