// conv2d_backward_input: dx = the gradient of conv2d_forward with respect to x given dy; dx
// overwritten; p = conv geometry (kernels.h).
//
// dx[n, c, ih, iw] = sum_{oc in group, kh, kw} w[oc, c', kh, kw] * dy[n, oc, oh, ow] over the taps
// with ih = oh*SH - PT + kh*DH and iw = ow*SW - PL + kw*DW, i.e. oh = (ih + PT - kh*DH) / SH when
// that divides exactly and lands in [0, OH) (likewise ow). Implicit GEMM per group g: dx_g (Cg x
// N*H*W) = W_g^T (Cg x OCg*KK) * D (OCg*KK x N*H*W), D gathered from dy as the tiles are fetched
// (k = (oc*KH + kh)*KW + kw: tap table {oc*OH*OW, kh*DH, kw*DW, oc*Kg + kh*KW + kw}). Every dx
// value is written once, so no zeroing and no atomics.
// Strided layers (SH*SW <= 16) are split by phase: the dx pixels with (ih + PT) % SH == a and (iw +
// PL) % SW == b receive exactly the taps with kh*DH % SH == a and kw*DW % SW == b, so each phase
// is its own GEMM (blockIdx.z = group * phases + phase) over only the taps that reach it, instead
// of multiplying the (SH*SW - 1) / (SH*SW) of zero taps. Other strides test divisibility per tap.
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

constexpr int kMaxPhases = 16;

// Where a phase's dx pixels are and which taps reach them.
struct Phase {
  int ih0, iw0, Hq, Wq;  // first row/column of the phase, rows and columns it has
  int K, tap0;           // its taps (OCg * rows * columns of the kernel it uses), offset in the table
};

struct PhaseProblem {
  static constexpr bool kAFastK = true;
  static constexpr bool kBFastK = false;
  const float* dy;
  const float* w;
  float* dx;
  const int4* taps;
  ConvGeo g;
  Phase ph[kMaxPhases];
  int nph;
  int M, N, K, kb, ke, grp;
  Phase cur;

  __device__ void select(int z) {
    grp = z / nph;
    cur = ph[z - grp * nph];
    N = g.N * cur.Hq * cur.Wq;
    kb = 0;
    ke = K = cur.K;
  }
  __device__ int a_m(int c) const { return grp * g.OCg * g.Kg + c * g.KK; }
  __device__ int a_k(int k) const { return __ldg(&taps[cur.tap0 + k].w); }
  __device__ float a(int am, int ak) const { return __ldg(w + am + ak); }
  __device__ InPixel b_n(int j) const {
    const int plane = cur.Hq * cur.Wq, n = j / plane, q = j - n * plane;
    const int r = q / cur.Wq, c = q - r * cur.Wq;
    return {(n * g.OC + grp * g.OCg) * g.P, cur.ih0 + r * g.SH + g.PT, cur.iw0 + c * g.SW + g.PL};
  }
  __device__ int4 b_k(int k) const { return __ldg(taps + cur.tap0 + k); }
  __device__ float b(const int4& t, const InPixel& px) const {
    // exact divisions by construction of the phase
    const int oh = (px.th0 - t.y) / g.SH, ow = (px.tw0 - t.z) / g.SW;
    return px.th0 >= t.y && px.tw0 >= t.z && oh < g.OH && ow < g.OW ? __ldg(dy + px.base + t.x + oh * g.OW + ow) : 0.f;
  }
  __device__ void store(int c, int j, float v) const {
    const int plane = cur.Hq * cur.Wq, n = j / plane, q = j - n * plane;
    const int r = q / cur.Wq, col = q - r * cur.Wq;
    dx[(int64_t)(n * g.C + grp * g.Cg + c) * g.HW + (cur.ih0 + r * g.SH) * g.W + cur.iw0 + col * g.SW] = v;
  }
};

// The taps of phase (a, b): k = (oc * nkh + u) * nkw + v over the u-th kh with kh*DH % SH == a and
// the v-th kw with kw*DW % SW == b; entries as build_taps makes them for the input gradient.
__global__ void phase_taps_kernel(int4* taps, int count, int nkh, int nkw, int a, int b, ConvGeo g) {
  SP_GRID_LOOP(k, count) {
    const int v = (int)(k % nkw), u = (int)((k / nkw) % nkh), oc = (int)(k / ((int64_t)nkw * nkh));
    int kh = -1, kw = -1;
    for (int i = 0, seen = 0; i < g.KH; ++i)
      if ((i * g.DH) % g.SH == a && seen++ == u) kh = i;
    for (int i = 0, seen = 0; i < g.KW; ++i)
      if ((i * g.DW) % g.SW == b && seen++ == v) kw = i;
    taps[k] = make_int4(oc * g.P, kh * g.DH, kw * g.DW, oc * g.Kg + kh * g.KW + kw);
  }
}

void run_phases(const ConvGeo& g, const float* dy, const float* w, float* dx) {
  PhaseProblem pr{};
  pr.dy = dy, pr.w = w, pr.dx = dx, pr.g = g, pr.nph = g.SH * g.SW, pr.M = g.Cg;
  int nkh[kMaxPhases] = {0}, nkw[kMaxPhases] = {0};
  for (int kh = 0; kh < g.KH; ++kh) ++nkh[(int)(((int64_t)kh * g.DH) % g.SH)];
  for (int kw = 0; kw < g.KW; ++kw) ++nkw[(int)(((int64_t)kw * g.DW) % g.SW)];
  int total = 0;
  int64_t maxN = 0;
  for (int a = 0; a < g.SH; ++a)
    for (int b = 0; b < g.SW; ++b) {
      Phase& ph = pr.ph[a * g.SW + b];
      // (ih + PT) % SH == a for ih = ih0 + SH*r
      ph.ih0 = (int)((((int64_t)a - g.PT) % g.SH + g.SH) % g.SH);
      ph.iw0 = (int)((((int64_t)b - g.PL) % g.SW + g.SW) % g.SW);
      ph.Hq = ph.ih0 < g.H ? (g.H - ph.ih0 + g.SH - 1) / g.SH : 0;
      ph.Wq = ph.iw0 < g.W ? (g.W - ph.iw0 + g.SW - 1) / g.SW : 0;
      ph.K = g.OCg * nkh[a] * nkw[b];
      ph.tap0 = total;
      total += ph.K;
      const int64_t n = (int64_t)g.N * ph.Hq * ph.Wq;
      if (n > maxN) maxN = n;
    }
  int4* taps = static_cast<int4*>(scratch((size_t)(total > 0 ? total : 1) * sizeof(int4)));
  for (int a = 0; a < g.SH; ++a)
    for (int b = 0; b < g.SW; ++b) {
      const Phase& ph = pr.ph[a * g.SW + b];
      if (!ph.K) continue;
      SP_LAUNCH(phase_taps_kernel, dim3(blocks_for(ph.K, 256)), dim3(256), 0, stream(), taps + ph.tap0, ph.K, nkh[a],
                nkw[b], a, b, g);
      check_launch("conv2d_backward_input (tap table)");
    }
  pr.taps = taps;
  igemm::launch(pr, g.Cg, maxN, g.G * pr.nph, "conv2d_backward_input");
}

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
  if ((g.SH > 1 || g.SW > 1) && g.SH * g.SW <= kMaxPhases && (int64_t)g.G * g.SH * g.SW <= 65535)
    return run_phases(g, dy, w, dx);
  const int K = g.OCg * g.KK;
  int4* taps = static_cast<int4*>(scratch((size_t)K * sizeof(int4)));
  build_taps(taps, K, g.KH, g.KW, g.DH, g.DW, g.P, g.Kg);
  run<false>(g, dy, w, dx, taps);
}

}  // namespace cuda
}  // namespace sp
