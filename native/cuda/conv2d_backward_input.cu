// conv2d_backward_input: dx = the gradient of conv2d_forward with respect to x given dy; dx
// overwritten; p = conv geometry (kernels.h).
//
// dx[n, c, ih, iw] = sum_{oc in group, kh, kw} w[oc, c', kh, kw] * dy[n, oc, oh, ow] over the taps
// with ih = oh*SH - PT + kh*DH and iw = ow*SW - PL + kw*DW, i.e. oh = (ih + PT - kh*DH) / SH when
// that divides exactly and lands in [0, OH) (likewise ow). Implicit GEMM per group g: dx_g (Cg x
// N*H*W) = W_g^T (Cg x OCg*KK) * D (OCg*KK x N*H*W), D gathered from dy as the tiles are fetched
// (k = (oc*KH + kh)*KW + kw: tap table {oc*OH*OW, kh*DH, kw*DW, oc*Kg + kh*KW + kw}). Every dx
// value is written once, so no zeroing and no atomics. Strided layers test divisibility per tap
// (the taps that do not divide contribute zero).
// Specialised: 1x1 stride 1 unpadded (D is dy itself) and depthwise (depthwise_backward_input.cu).
#include "conv2d_igemm.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

struct InPixel {
  int base, th0, tw0;  // image + group offset into dy, ih + PT, iw + PL
};

template <bool PW>
struct BackwardInputProblem {
  static constexpr bool kAFastK = true;
  static constexpr bool kBFastK = false;  // consecutive dx pixels
  const float* dy;
  const float* w;
  float* dx;
  const int4* taps;
  ConvGeo g;
  int M, N, K, kb, ke, grp;

  __device__ void select(int z) {
    grp = z;
    kb = 0;
    ke = K;
  }
  // A(c, k) = w[grp*OCg + oc, c, kh, kw] = w[grp*OCg*Kg + c*KK + (oc*Kg + kh*KW + kw)]
  __device__ int a_m(int c) const { return grp * g.OCg * g.Kg + c * g.KK; }
  __device__ int a_k(int k) const { return PW ? k * g.Kg : __ldg(&taps[k].w); }
  __device__ float a(int am, int ak) const { return __ldg(w + am + ak); }
  __device__ InPixel b_n(int j) const {
    const int n = j / g.HW, q = j - n * g.HW;
    const int base = (n * g.OC + grp * g.OCg) * g.P;
    if (PW) return {base + q, 0, 0};
    const int ih = q / g.W, iw = q - ih * g.W;
    return {base, ih + g.PT, iw + g.PL};
  }
  __device__ int4 b_k(int k) const { return PW ? make_int4(k * g.P, 0, 0, 0) : __ldg(taps + k); }
  __device__ float b(const int4& t, const InPixel& px) const {
    if (PW) return __ldg(dy + px.base + t.x);
    int oh = px.th0 - t.y, ow = px.tw0 - t.z;
    if (oh < 0 || ow < 0) return 0.f;
    if (g.SH != 1) {
      if (oh % g.SH) return 0.f;
      oh /= g.SH;
    }
    if (g.SW != 1) {
      if (ow % g.SW) return 0.f;
      ow /= g.SW;
    }
    return oh < g.OH && ow < g.OW ? __ldg(dy + px.base + t.x + oh * g.OW + ow) : 0.f;
  }
  __device__ void store(int c, int j, float v) const {
    const int n = j / g.HW, q = j - n * g.HW;
    dx[(n * g.C + grp * g.Cg + c) * g.HW + q] = v;
  }
};

template <bool PW>
void run(const ConvGeo& g, const float* dy, const float* w, float* dx, const int4* taps) {
  const int K = g.OCg * g.KK;
  BackwardInputProblem<PW> pr{dy, w, dx, taps, g, g.Cg, g.N * g.HW, K, 0, K, 0};
  igemm::launch(pr, g.Cg, (int64_t)g.N * g.HW, g.G, "conv2d_backward_input");
}

}  // namespace

void conv2d_backward_input(const float* dy, const float* w, float* dx, const int32_t* p) {
  const ConvGeo g = conv_geo(p);
  if ((int64_t)g.N * g.C * g.HW == 0) return;
  if (conv_depthwise(g)) return depthwise_backward_input(g, dy, w, dx);
  if (conv_pointwise(g)) return run<true>(g, dy, w, dx, nullptr);
  const int K = g.OCg * g.KK;
  int4* taps = static_cast<int4*>(scratch((size_t)K * sizeof(int4)));
  build_taps(taps, K, g.KH, g.KW, g.DH, g.DW, g.P, g.Kg);
  run<false>(g, dy, w, dx, taps);
}

}  // namespace cuda
}  // namespace sp
