// The tiled GEMM core shared by gemm.cu and the convolutions (implicit GEMM), and the device view
// of the convolution geometry. Private to native/cuda/{gemm,conv2d_*,depthwise_*}.cu.
//
// C (M x N) = sum over k in [kb, ke) of A(m, k) * B(k, n), for one "problem" P that says how to
// read A and B (a plain matrix, a weight tensor, or an input image gathered on the fly as im2col
// would lay it out, without ever writing the columns) and where each C value goes (P::store).
//
// Tiling: a block of 256 threads computes a BM x BN tile of C (128 x 128 or 64 x 64); thread
// (ty, tx) of the 16 x 16 grid owns a (BM/16) x (BN/16) register tile made of 4 x 4 blocks at rows
// 64a + 4ty + [0, 4) and columns 64b + 4tx + [0, 4) (own_row / own_col), so each k of a step is
// one 16-byte shared-memory load per 4 values of A or B: 4 loads feed 64 multiply-adds on the big
// tile. A warp's loads touch 2 rows (broadcast) and 16 consecutive column groups. K advances in steps of BK (BM*BK = 1024, so every thread fetches
// 4 A and 4 B values per step). The next step's values are fetched into registers while the
// current step is multiplied out of shared memory; two shared buffers need one barrier per step.
//
// Fetch order: each operand is read along its contiguous axis where that helps coalescing.
//  - "fast k" (P::kAFastK / P::kBFastK): consecutive threads take consecutive k; a thread keeps its
//    4 m (or n) for the whole kernel and decodes one k per step.
//  - otherwise consecutive threads take consecutive m (n); a thread keeps one m (n) and decodes
//    4 k per step.
// A problem gives contexts so that what is fixed is decoded once: a_m(m), a_k(k), a(am, ak), and
// b_k(k), b_n(n), b(bk, bn). Out-of-range m, n or k read as zero.
//
// blockIdx.z selects a slice through P::select(z): the group of a grouped convolution, and for
// the filter gradient also the split of K (each split writes its own partial sums, added in a
// fixed order afterwards, so results do not depend on scheduling).
//
// TF32 (SLIMPRUNE_CUDA_TF32=1, sm_80+): the products of a step go through tensor cores (wmma,
// 16x16x8 fragments, fp32 accumulate); inputs are rounded to 10 mantissa bits, so results differ
// from fp32 by about 1e-3 relative. Off by default: fp32 results match the CPU backend.
#pragma once
#include <cstdint>

#include "common.cuh"

// The tensor-core path is compiled for sm_80+ device code, and for the host emulator (its
// minimal wmma, emu/wmma_emu.h) so that the same source is tested without a GPU.
#if defined(SP_CUDA_EMU)
#include "emu/wmma_emu.h"
#define SP_HAVE_WMMA_TF32 1
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#include <mma.h>
#define SP_HAVE_WMMA_TF32 1
#endif

namespace sp {
namespace cuda {

// The contract's conv geometry p[16] (native/kernels.h ConvGeom) plus derived sizes. Every index
// fits int32: tensors hold at most 2^31 - 1 elements and geometry integers are at most 2^24
// (native/kernels.h), and an offset is only formed for in-bounds positions.
struct ConvGeo {
  int N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G;
  int Cg, OCg, KK, Kg, HW, P;
};

inline ConvGeo conv_geo(const int32_t* p) {
  ConvGeo g;
  g.N = p[0], g.C = p[1], g.H = p[2], g.W = p[3], g.OC = p[4], g.KH = p[5], g.KW = p[6], g.OH = p[7], g.OW = p[8];
  g.SH = p[9], g.SW = p[10], g.PT = p[11], g.PL = p[12], g.DH = p[13], g.DW = p[14], g.G = p[15];
  g.Cg = g.C / g.G, g.OCg = g.OC / g.G, g.KK = g.KH * g.KW, g.Kg = g.Cg * g.KK;
  g.HW = g.H * g.W, g.P = g.OH * g.OW;
  return g;
}

// 1x1, stride 1, no padding, same size: the im2col matrix is x itself.
inline bool conv_pointwise(const ConvGeo& g) {
  return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PL == 0 && g.OH == g.H && g.OW == g.W;
}
// One input and one output channel per group: a per-channel stencil, not a GEMM.
inline bool conv_depthwise(const ConvGeo& g) { return g.G > 1 && g.G == g.C && g.G == g.OC; }

// Whether tensor cores run the GEMM core (SLIMPRUNE_CUDA_TF32=1, read once; sm_80+ device).
bool tf32_enabled();
// Multiprocessors of the current device (read once), for sizing grids.
int sm_count();

// Per tap k = (c*KH + kh)*KW + kw of one group: {c * plane, kh*DH, kw*DW, extra} written by
// build_taps into device memory; `plane` and `extra` are chosen by the caller (x plane and 0 for
// forward and filter gradient; for the input gradient k = (oc*KH + kh)*KW + kw with the dy plane
// and oc*Kg + kh*KW + kw, the weight offset).
void build_taps(int4* taps, int count, int KH, int KW, int DH, int DW, int plane, int extra_stride);

// The im2col view of x shared by the forward and the filter gradient: output pixel j of group
// grp decoded once into where its window starts (ConvPixel), tap k read from the build_taps
// table, and the x value under a (tap, pixel) pair, 0 in the padding. PW (conv_pointwise): col
// is x itself, so a pixel is just its offset and a tap its channel plane, with no table and no
// bounds test.
struct ConvPixel {
  int base, ih0, iw0;  // image + group channel offset into x, top-left input position of the window
};

template <bool PW>
__device__ __forceinline__ ConvPixel conv_pixel(const ConvGeo& g, int grp, int j) {
  const int n = j / g.P, q = j - n * g.P;
  const int base = (n * g.C + grp * g.Cg) * g.HW;
  if (PW) return {base + q, 0, 0};
  const int oh = q / g.OW, ow = q - oh * g.OW;
  return {base, oh * g.SH - g.PT, ow * g.SW - g.PL};
}

template <bool PW>
__device__ __forceinline__ int4 conv_tap(const ConvGeo& g, const int4* taps, int k) {
  return PW ? make_int4(k * g.HW, 0, 0, 0) : __ldg(taps + k);
}

template <bool PW>
__device__ __forceinline__ float conv_x(const ConvGeo& g, const float* x, const int4& t, const ConvPixel& px) {
  if (PW) return __ldg(x + px.base + t.x);
  const int ih = px.ih0 + t.y, iw = px.iw0 + t.z;
  return (unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W ? __ldg(x + px.base + t.x + ih * g.W + iw) : 0.f;
}

namespace igemm {

constexpr int kThreads = 256;

// Row (column) of value i of a thread's register tile, t = ty (tx): groups of 4 consecutive values,
// the groups 64 apart.
__device__ __forceinline__ int own(int t, int i) { return (i / 4) * 64 + t * 4 + (i % 4); }

template <int BM, int BN, int BK, class P>
__device__ __forceinline__ void fetch(const P& p, int m0, int n0, int k0, int ke, const decltype(p.a_m(0))* am,
                                      const bool* mv, const decltype(p.b_n(0))* bn, const bool* nv, float* ra,
                                      float* rb) {
  const int t = threadIdx.x;
  constexpr int AL = BM * BK / kThreads, BL = BK * BN / kThreads;
  if (P::kAFastK) {
    const int k = k0 + t % BK;
    const bool kv = k < ke;
    const auto ak = p.a_k(kv ? k : k0);
    for (int i = 0; i < AL; ++i) ra[i] = kv && mv[i] ? p.a(am[i], ak) : 0.f;
  } else {
    for (int i = 0; i < AL; ++i) {
      const int k = k0 + t / BM + (kThreads / BM) * i;
      ra[i] = k < ke && mv[0] ? p.a(am[0], p.a_k(k)) : 0.f;
    }
  }
  if (P::kBFastK) {
    const int k = k0 + t % BK;
    const bool kv = k < ke;
    const auto bk = p.b_k(kv ? k : k0);
    for (int i = 0; i < BL; ++i) rb[i] = kv && nv[i] ? p.b(bk, bn[i]) : 0.f;
  } else {
    for (int i = 0; i < BL; ++i) {
      const int k = k0 + t / BN + (kThreads / BN) * i;
      rb[i] = k < ke && nv[0] ? p.b(p.b_k(k), bn[0]) : 0.f;
    }
  }
  (void)m0;
  (void)n0;
}

template <int BM, int BN, int BK, class P>
__device__ __forceinline__ void put(float (*As)[BM + 4], float (*Bs)[BN + 4], const float* ra, const float* rb) {
  const int t = threadIdx.x;
  constexpr int AL = BM * BK / kThreads, BL = BK * BN / kThreads;
  if (P::kAFastK)
    for (int i = 0; i < AL; ++i) As[t % BK][t / BK + (kThreads / BK) * i] = ra[i];
  else
    for (int i = 0; i < AL; ++i) As[t / BM + (kThreads / BM) * i][t % BM] = ra[i];
  if (P::kBFastK)
    for (int i = 0; i < BL; ++i) Bs[t % BK][t / BK + (kThreads / BK) * i] = rb[i];
  else
    for (int i = 0; i < BL; ++i) Bs[t / BN + (kThreads / BN) * i][t % BN] = rb[i];
}

#ifdef SP_HAVE_WMMA_TF32
// One BK step on tensor cores: the 8 warps cover the BM x BN tile in 16x16 fragments. Each warp
// keeps its accumulators in shared memory (Cs) between steps; the caller adds them at the end.
template <int BM, int BN, int BK>
__device__ __forceinline__ void mma_step_tf32(const float (*As)[BM + 4], const float (*Bs)[BN + 4],
                                              nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 8, float>* acc) {
  using namespace nvcuda;
  const int warp = threadIdx.x / 32;
  constexpr int FM = BM / 16, FN = BN / 16, PER = FM * FN / 8;
  for (int kk = 0; kk < BK; kk += 8) {
    for (int f = 0; f < PER; ++f) {
      const int id = warp * PER + f, fm = id / FN, fn = id % FN;
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a;
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
      // As is [k][m]: column-major A with leading dimension BM + 4; Bs is [k][n]: row-major B.
      wmma::load_matrix_sync(a, &As[kk][fm * 16], BM + 4);
      wmma::load_matrix_sync(b, &Bs[kk][fn * 16], BN + 4);
      for (int i = 0; i < a.num_elements; ++i) a.x[i] = wmma::__float_to_tf32(a.x[i]);
      for (int i = 0; i < b.num_elements; ++i) b.x[i] = wmma::__float_to_tf32(b.x[i]);
      wmma::mma_sync(acc[f], a, b, acc[f]);
    }
  }
}
#endif

template <int BM, int BN, int BK, bool TF32, class P>
__global__ void __launch_bounds__(kThreads) gemm_kernel(P p) {
  constexpr int TM = BM / 16, TN = BN / 16;
  constexpr int AL = BM * BK / kThreads, BL = BK * BN / kThreads;
  static_assert(BM * BK == 1024 && BN * BK == 1024, "4 A and 4 B values per thread and step");
  static_assert(TM % 4 == 0 && TN % 4 == 0 && (BM + 4) % 4 == 0, "16-byte aligned groups of 4 in shared memory");
  __shared__ __align__(32) float As[2][BK][BM + 4];
  __shared__ __align__(32) float Bs[2][BK][BN + 4];
  p.select(blockIdx.z);
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  // A slice smaller than the grid (z-slices of different sizes): the whole block leaves, before
  // any barrier.
  if (m0 >= p.M || n0 >= p.N) return;
  const int kb = p.kb, ke = p.ke;

  // What stays fixed for this thread: its m rows of A and n columns of B.
  decltype(p.a_m(0)) am[P::kAFastK ? AL : 1];
  bool mv[P::kAFastK ? AL : 1];
  for (int i = 0; i < (P::kAFastK ? AL : 1); ++i) {
    const int m = m0 + (P::kAFastK ? t / BK + (kThreads / BK) * i : t % BM);
    mv[i] = m < p.M;
    am[i] = p.a_m(mv[i] ? m : 0);
  }
  decltype(p.b_n(0)) bn[P::kBFastK ? BL : 1];
  bool nv[P::kBFastK ? BL : 1];
  for (int i = 0; i < (P::kBFastK ? BL : 1); ++i) {
    const int n = n0 + (P::kBFastK ? t / BK + (kThreads / BK) * i : t % BN);
    nv[i] = n < p.N;
    bn[i] = p.b_n(nv[i] ? n : 0);
  }

  float acc[TM][TN];
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
#ifdef SP_HAVE_WMMA_TF32
  constexpr int PER = (BM / 16) * (BN / 16) / 8;
  nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 8, float> facc[TF32 ? PER : 1];
  if constexpr (TF32)
    for (int f = 0; f < PER; ++f) nvcuda::wmma::fill_fragment(facc[f], 0.f);
#endif

  float ra[AL], rb[BL];
  if (kb < ke) fetch<BM, BN, BK>(p, m0, n0, kb, ke, am, mv, bn, nv, ra, rb);
  int buf = 0;
  for (int k0 = kb; k0 < ke; k0 += BK) {
    put<BM, BN, BK, P>(As[buf], Bs[buf], ra, rb);
    __syncthreads();
    if (k0 + BK < ke) fetch<BM, BN, BK>(p, m0, n0, k0 + BK, ke, am, mv, bn, nv, ra, rb);
#ifdef SP_HAVE_WMMA_TF32
    if constexpr (TF32) {
      mma_step_tf32<BM, BN, BK>(As[buf], Bs[buf], facc);
    } else
#endif
    {
      for (int kk = 0; kk < BK; ++kk) {
        float a[TM], b[TN];
        for (int i = 0; i < TM; i += 4) {
          const float4 v = *reinterpret_cast<const float4*>(&As[buf][kk][own(ty, i)]);
          a[i] = v.x, a[i + 1] = v.y, a[i + 2] = v.z, a[i + 3] = v.w;
        }
        for (int j = 0; j < TN; j += 4) {
          const float4 v = *reinterpret_cast<const float4*>(&Bs[buf][kk][own(tx, j)]);
          b[j] = v.x, b[j + 1] = v.y, b[j + 2] = v.z, b[j + 3] = v.w;
        }
        for (int i = 0; i < TM; ++i)
          for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
    }
    buf ^= 1;
  }
#ifdef SP_HAVE_WMMA_TF32
  if constexpr (TF32) {
    // Fragments go through shared memory (As is free now) into the same register layout as the
    // fp32 path, so the store below serves both.
    __syncthreads();
    float* Cs = &As[0][0][0];  // 2*BK*(BM+4) >= 8 warps x 256: one 16x16 fragment per warp at a time
    const int warp = t / 32;
    constexpr int FN = BN / 16;
    for (int f = 0; f < PER; ++f) {
      const int id = warp * PER + f, fm = id / FN, fn = id % FN;
      nvcuda::wmma::store_matrix_sync(Cs + warp * 256, facc[f], 16, nvcuda::wmma::mem_row_major);
      __syncwarp();
      for (int e = t % 32; e < 256; e += 32) {
        const int m = m0 + fm * 16 + e / 16, n = n0 + fn * 16 + e % 16;
        if (m < p.M && n < p.N) p.store(m, n, Cs[warp * 256 + e]);
      }
      __syncwarp();
    }
  } else
#endif
  {
    for (int i = 0; i < TM; ++i) {
      const int m = m0 + own(ty, i);
      if (m >= p.M) continue;
      for (int j = 0; j < TN; ++j) {
        const int n = n0 + own(tx, j);
        if (n < p.N) p.store(m, n, acc[i][j]);
      }
    }
  }
}

// Tile size for an M x N problem with `slices` z-slices: 128 x 128 when both sides fill it and
// there are enough tiles to occupy the device, else 64 x 64.
inline bool use_big_tiles(int64_t M, int64_t N, int64_t slices) {
  if (M <= 64 || N <= 64) return false;
  const int64_t tiles = ((M + 127) / 128) * ((N + 127) / 128) * slices;
  return tiles >= sm_count();
}

// Launches p over an M x N output with `slices` z-slices.
template <class P>
void launch(const P& p, int64_t M, int64_t N, int slices, const char* name) {
  const bool tf32 = tf32_enabled();
  if (use_big_tiles(M, N, slices)) {
    dim3 grid((unsigned)((N + 127) / 128), (unsigned)((M + 127) / 128), (unsigned)slices);
    if (tf32)
      SP_LAUNCH((gemm_kernel<128, 128, 8, true, P>), grid, dim3(kThreads), 0, stream(), p);
    else
      SP_LAUNCH((gemm_kernel<128, 128, 8, false, P>), grid, dim3(kThreads), 0, stream(), p);
  } else {
    dim3 grid((unsigned)((N + 63) / 64), (unsigned)((M + 63) / 64), (unsigned)slices);
    if (tf32)
      SP_LAUNCH((gemm_kernel<64, 64, 16, true, P>), grid, dim3(kThreads), 0, stream(), p);
    else
      SP_LAUNCH((gemm_kernel<64, 64, 16, false, P>), grid, dim3(kThreads), 0, stream(), p);
  }
  check_launch(name);
}

}  // namespace igemm

// conv2d_forward followed by activation `act` (fused_act.cuh; kNoAct: none), applied as each
// output value is stored: conv2d_forward and conv2d_act_forward.
void conv_forward_act(const ConvGeo& g, const float* x, const float* w, const float* b, float* y, int act, float alpha);
// Depthwise convolution (conv_depthwise), the stencils conv2d_*.cu hand over to.
void depthwise_forward(const ConvGeo& g, const float* x, const float* w, const float* b, float* y, int act,
                       float alpha);
void depthwise_backward_input(const ConvGeo& g, const float* dy, const float* w, float* dx);
void depthwise_backward_filter(const ConvGeo& g, const float* x, const float* dy, float* dw, float* db);
// db[oc] = sum of dy over n, oh, ow (the bias gradient of every convolution).
void conv_bias_grad(const ConvGeo& g, const float* dy, float* db);

}  // namespace cuda
}  // namespace sp
