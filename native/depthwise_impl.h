// Direct depthwise convolution (groups == C, one input channel per group, OC = multiplier * C),
// included by depthwise.cc (baseline ISA), depthwise_avx2.cc and depthwise_avx512.cc: the same
// loops compiled per ISA (internal linkage, so the copies never mix) and vectorised by the
// compiler over output width. For output row oh and tap (kh, kw): y[oh, ow] += w * x[ih, ow*SW
// + off] for ow in the in-bounds range [lo, hi), off = kw*DW - PL (see conv_common.h).
// Work splits into whole planes: forward per (n, oc), backward input per (n, c) (a dx plane sums
// its multiplier's oc planes in order), backward filter per oc (summing n, rows, columns in a
// fixed order through per-column accumulators, or for 3x3 stride 1 with OW == W through KK
// vector accumulators read straight from x and dy), so 1 and N threads give identical bits.
// The ISA builds export plain range functions and use no std:: templates, so no out-of-line
// library code compiled for a wider ISA can be shared with (and picked by) the baseline build;
// the thread-pool calls live in depthwise.cc.
#pragma once
#include <cstring>

#include "conv_common.h"
#include "fused_act.h"
#include "fused_act_simd.h"

namespace sp {
namespace {

typedef float dw_v8 __attribute__((vector_size(32)));
typedef float dw_v8u __attribute__((vector_size(32), aligned(4)));

// The fused activation (act >= 0) of one value and of 8 lanes, applied before they are stored:
// the values of fused_act_inplace on them.
inline float dw_act1(float v, int act, float alpha) {
  fused_act_inplace(&v, 1, act, alpha);
  return v;
}
inline void dw_act8(dw_v8& v, int act, float alpha) {
#if defined(__AVX2__)
  v = (dw_v8)act8((__m256)v, act, _mm256_set1_ps(alpha));
#else
  float t[8];
  __builtin_memcpy(t, &v, sizeof t);
  fused_act_inplace(t, 8, act, alpha);
  __builtin_memcpy(&v, t, sizeof t);
#endif
}
// a + w * x as the vector lanes of the same build compute it: one fused multiply-add where the
// build has FMA (the lanes' `a += w * x` contract to it), else a product and a sum.
inline float dw_madd(float a, float w, float x) {
#if defined(__FMA__)
  return __builtin_fmaf(w, x, a);
#else
  return a + w * x;
#endif
}

inline int dw_min(int a, int b) { return a < b ? a : b; }
inline int dw_max(int a, int b) { return a > b ? a : b; }

inline void dw_col_range(const ConvShape& s, int kw, int& off, int& lo, int& hi) {
  off = kw * s.DW - s.PL;
  lo = off >= 0 ? 0 : (-off + s.SW - 1) / s.SW;
  hi = s.W - off <= 0 ? 0 : (s.W - off + s.SW - 1) / s.SW;
  lo = dw_min(lo, s.OW);
  hi = dw_max(lo, dw_min(hi, s.OW));
}

// Column ranges of every kw, computed once per call (divisions kept out of the row loops).
struct DwCols {
  static constexpr int kMax = 64;
  int off[kMax], lo[kMax], hi[kMax];
  explicit DwCols(const ConvShape& s) {
    for (int kw = 0; kw < s.KW && kw < kMax; ++kw) dw_col_range(s, kw, off[kw], lo[kw], hi[kw]);
  }
  void get(const ConvShape& s, int kw, int& o, int& l, int& h) const {
    if (kw < kMax) {
      o = off[kw], l = lo[kw], h = hi[kw];
    } else {
      dw_col_range(s, kw, o, l, h);
    }
  }
};

// y[lo, hi) += wv * x[ow*SW]
inline void dw_axpy_row(float* __restrict y, const float* __restrict x, float wv, int lo, int hi, int sw) {
  if (sw == 1) {
    for (int ow = lo; ow < hi; ++ow) y[ow] += wv * x[ow];
  } else if (sw == 2) {
    for (int ow = lo; ow < hi; ++ow) y[ow] += wv * x[2 * ow];
  } else {
    for (int ow = lo; ow < hi; ++ow) y[ow] += wv * x[(int64_t)ow * sw];
  }
}

// y[ow] += sum_kw w[kw] * x[ow*SW + off[kw]] for ow in [L, R), where every tap is in bounds;
// KW taps fused in one pass (template for the common widths, runtime loop otherwise).
template <int KWC, int SWC>
inline void dw_row_fused(float* __restrict yr, const float* xr, const float* wk, const int* off, int L, int R, int KW,
                         int SW) {
  if (KWC > 0) {
    float wv[KWC > 0 ? KWC : 1];
    const float* xs[KWC > 0 ? KWC : 1];
    for (int kw = 0; kw < KWC; ++kw) wv[kw] = wk[kw], xs[kw] = xr + off[kw];
    for (int ow = L; ow < R; ++ow) {
      float a = yr[ow];
      for (int kw = 0; kw < KWC; ++kw) a += wv[kw] * xs[kw][(int64_t)ow * SWC];
      yr[ow] = a;
    }
  } else {
    for (int kw = 0; kw < KW; ++kw) {
      const float wv = wk[kw];
      const float* __restrict xs = xr + off[kw];
      for (int ow = L; ow < R; ++ow) yr[ow] += wv * xs[(int64_t)ow * SW];
    }
  }
}

#define DW_SPLAT(v) (dw_v8{(v), (v), (v), (v), (v), (v), (v), (v)})
typedef int dw_m8 __attribute__((vector_size(32)));

// v = the fused activation `act` of v (< 0: none), fused_act.h's forms lane by lane (NaN passes,
// -0 stays). By reference: a 32-byte vector argument or result would change the ABI of the
// baseline build.
inline void dw_act(dw_v8& v, int act, float alpha) {
  const dw_m8 neg = v < DW_SPLAT(0.f);
  switch (act) {
    case ACT_RELU:
      v = (dw_v8)(~neg & (dw_m8)v);
      break;
    case ACT_LEAKY_RELU:
      v = (dw_v8)((neg & (dw_m8)(DW_SPLAT(alpha) * v)) | (~neg & (dw_m8)v));
      break;
    case ACT_RELU6: {
      const dw_v8 six = DW_SPLAT(6.f), t = (dw_v8)(~neg & (dw_m8)v);
      const dw_m8 big = t > six;
      v = (dw_v8)((big & (dw_m8)six) | (~big & (dw_m8)t));
      break;
    }
    default:
      break;
  }
}

// ---- stride-1 planes through a zero-padded copy ---------------------------------------------
// With x copied into a zero-padded plane xp of row stride Wp, output (oh, ow) of tap t reads
// xp[oh*Wp + ow + o_t], o_t = kh*DH*Wp + kw*DW: one long flat loop per plane instead of short
// rows (columns ow >= OW of the flat result are discarded). Needs PT, PL >= 0 and stride 1.
struct DwFlat {
  int Hp, Wp;
  int64_t L;  // flat length (OH-1)*Wp + OW
  explicit DwFlat(const ConvShape& s) {
    Hp = dw_max(s.H + s.PT, s.OH + (s.KH - 1) * s.DH);
    Wp = dw_max(s.W + s.PL, s.OW + (s.KW - 1) * s.DW);
    L = (int64_t)(s.OH - 1) * Wp + s.OW;
  }
  // Also bounded in size: a padded plane of a huge dilation or padding (legal up to the limits in
  // kernels.h) goes to the direct kernel instead of asking for gigabytes of scratch.
  static bool usable(const ConvShape& s) {
    return s.SH == 1 && s.SW == 1 && s.PT >= 0 && s.PL >= 0 && (double)DwFlat(s).scratch(s) <= (double)(16 << 20);
  }
  int64_t scratch(const ConvShape& s) const { return (int64_t)Hp * Wp + (int64_t)s.OH * Wp + 16; }
  void pad(const ConvShape& s, const float* xc, float* xp) const {
    // Zero only what the copied rows do not cover.
    std::memset(xp, 0, sizeof(float) * ((size_t)s.PT * Wp + s.PL));
    const int right = Wp - s.PL - s.W;
    for (int ih = 0; ih < s.H; ++ih) {
      float* r = xp + (int64_t)(ih + s.PT) * Wp + s.PL;
      std::memcpy(r, xc + (int64_t)ih * s.W, sizeof(float) * s.W);
      std::memset(r + s.W, 0, sizeof(float) * (right + (ih + 1 < s.H ? s.PL : 0)));
    }
    const int64_t done = (int64_t)(s.H + s.PT) * Wp;
    std::memset(xp + done, 0, sizeof(float) * (size_t)((int64_t)Hp * Wp - done));
  }
};

// yb[p] = bias + sum_t w[t] * xp[o[t] + p] (taps added in order), four 8-lane blocks at a time
// so that four independent accumulation chains hide the FMA latency.
template <int KKC>
inline void dw_flat_fused(float* __restrict yb, const float* __restrict xp, const float* wk, const int64_t* o, int64_t L,
                          float bias) {
  float wv[KKC];
  for (int t = 0; t < KKC; ++t) wv[t] = wk[t];
  const dw_v8 vb = {bias, bias, bias, bias, bias, bias, bias, bias};
  int64_t p = 0;
  for (; p + 32 <= L; p += 32) {
    dw_v8 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (int t = 0; t < KKC; ++t) {
      const float* x = xp + o[t] + p;
      const dw_v8 w = {wv[t], wv[t], wv[t], wv[t], wv[t], wv[t], wv[t], wv[t]};
      a0 += w * *(const dw_v8u*)(x);
      a1 += w * *(const dw_v8u*)(x + 8);
      a2 += w * *(const dw_v8u*)(x + 16);
      a3 += w * *(const dw_v8u*)(x + 24);
    }
    *(dw_v8u*)(yb + p) = a0;
    *(dw_v8u*)(yb + p + 8) = a1;
    *(dw_v8u*)(yb + p + 16) = a2;
    *(dw_v8u*)(yb + p + 24) = a3;
  }
  for (; p + 8 <= L; p += 8) {
    dw_v8 a0 = vb;
    for (int t = 0; t < KKC; ++t) {
      const dw_v8 w = {wv[t], wv[t], wv[t], wv[t], wv[t], wv[t], wv[t], wv[t]};
      a0 += w * *(const dw_v8u*)(xp + o[t] + p);
    }
    *(dw_v8u*)(yb + p) = a0;
  }
  for (; p < L; ++p) {
    float a = bias;
    for (int t = 0; t < KKC; ++t) a += wv[t] * xp[o[t] + p];
    yb[p] = a;
  }
}

// sum_{p < L} d[p] in 8-lane partials, lanes and tail added in a fixed order.
inline float dw_flat_sum(const float* d, int64_t L) {
  dw_v8 a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0;
  int64_t p = 0;
  for (; p + 16 <= L; p += 16) {
    a0 += *(const dw_v8u*)(d + p);
    a1 += *(const dw_v8u*)(d + p + 8);
  }
  a0 += a1;
  float sum = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a0[4] + a0[5]) + (a0[6] + a0[7]));
  for (; p < L; ++p) sum += d[p];
  return sum;
}

// The flat plane's outputs written straight to y row by row (3x3, rows of at least 16): each output
// the same sum as dw_flat_fused (bias, then the taps in order, 8 lanes at a time), the activation
// applied in registers, the columns past OW never computed. Blocks of 8 (a row's last one
// overlapping the one before it) run four at a time across rows for independent FMA chains.
inline void dw_flat_rows9(float* __restrict yp, const float* __restrict xp, const float* wk, const int64_t* o, int OH,
                          int OW, int Wp, float bias, int act, float alpha) {
  dw_v8 wv[9];
  for (int t = 0; t < 9; ++t) wv[t] = DW_SPLAT(wk[t]);
  const dw_v8 vb = DW_SPLAT(bias);
  const int nbr = (OW + 7) / 8;
  int oh = 0, b = 0;  // the next block: row oh, block b of the row
  const auto next = [&](const float*& src, float*& dst) {
    const int ow = b * 8 + 8 > OW ? OW - 8 : b * 8;
    src = xp + (int64_t)oh * Wp + ow;
    dst = yp + (int64_t)oh * OW + ow;
    if (++b == nbr) b = 0, ++oh;
  };
  const int64_t total = (int64_t)OH * nbr;
  int64_t i = 0;
  for (; i + 4 <= total; i += 4) {
    const float* src[4];
    float* dst[4];
    for (int j = 0; j < 4; ++j) next(src[j], dst[j]);
    dw_v8 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (int t = 0; t < 9; ++t) {
      a0 += wv[t] * *(const dw_v8u*)(src[0] + o[t]);
      a1 += wv[t] * *(const dw_v8u*)(src[1] + o[t]);
      a2 += wv[t] * *(const dw_v8u*)(src[2] + o[t]);
      a3 += wv[t] * *(const dw_v8u*)(src[3] + o[t]);
    }
    if (act >= 0) {
      dw_act(a0, act, alpha);
      dw_act(a1, act, alpha);
      dw_act(a2, act, alpha);
      dw_act(a3, act, alpha);
    }
    *(dw_v8u*)dst[0] = a0;
    *(dw_v8u*)dst[1] = a1;
    *(dw_v8u*)dst[2] = a2;
    *(dw_v8u*)dst[3] = a3;
  }
  for (; i < total; ++i) {
    const float* src;
    float* dst;
    next(src, dst);
    dw_v8 a = vb;
    for (int t = 0; t < 9; ++t) a += wv[t] * *(const dw_v8u*)(src + o[t]);
    if (act >= 0) dw_act(a, act, alpha);
    *(dw_v8u*)dst = a;
  }
}

inline void dw_forward_flat_plane(const ConvShape& s, const DwFlat& f, const float* xc, const float* wk, float bias,
                                  float* yp, float* scratch, int act, float alpha) {
  float* xp = scratch;
  float* __restrict yb = scratch + (int64_t)f.Hp * f.Wp;
  f.pad(s, xc, xp);
  int64_t o[64];
  const bool small = s.KK <= 64;
  if (small)
    for (int kh = 0, t = 0; kh < s.KH; ++kh)
      for (int kw = 0; kw < s.KW; ++kw, ++t) o[t] = (int64_t)kh * s.DH * f.Wp + (int64_t)kw * s.DW;
  if (small && s.KK == 9 && s.OW >= 16) {
    dw_flat_rows9(yp, xp, wk, o, s.OH, s.OW, f.Wp, bias, act, alpha);
    return;
  }
  if (small && s.KK == 9) {
    dw_flat_fused<9>(yb, xp, wk, o, f.L, bias);
  } else if (small && s.KK == 25) {
    dw_flat_fused<25>(yb, xp, wk, o, f.L, bias);
  } else {
    for (int64_t p = 0; p < f.L; ++p) yb[p] = bias;
    for (int kh = 0; kh < s.KH; ++kh)
      for (int kw = 0; kw < s.KW; ++kw) {
        const float wv = wk[kh * s.KW + kw];
        const float* __restrict xs = xp + (int64_t)kh * s.DH * f.Wp + (int64_t)kw * s.DW;
        for (int64_t p = 0; p < f.L; ++p) yb[p] += wv * xs[p];
      }
  }
  if (act >= 0) fused_act_inplace(yb, f.L, act, alpha);  // while in cache (dropped columns too)
  for (int oh = 0; oh < s.OH; ++oh) std::memcpy(yp + (int64_t)oh * s.OW, yb + (int64_t)oh * f.Wp, sizeof(float) * s.OW);
}

// ---- 3x3 stride 1 over the whole plane as one flat run, taps masked (AVX2 / AVX-512) ------
// With padding 1 on every side (OH == H, OW == W), output p = oh*W + ow of tap t = (kh, kw)
// reads x[p + (kh-1)*W + kw-1]: each tap is the plane itself shifted, so the outputs are one
// contiguous run of vectors. A lane whose tap falls outside the image (a row above or below, or a
// column that would wrap into the next row) is masked off in the load, which reads 0: the same
// w * 0 the padded plane (DwFlat) adds, in the same order from the bias, so the same bits, with
// no padded copy, no copy out and every lane an output (rows of 20 filled 20/32 of the lanes of
// the row-wise vectors). The masks depend on the block's place in the plane only: one table per
// call, built into the scratch (DwFlat's, which is larger).
#if defined(__AVX512F__) || defined(__AVX2__)
#define SP_DWM 1
#if defined(__AVX512F__)
constexpr int kDwmVL = 16;
typedef __m512 dwm_v;
typedef uint16_t dwm_bits;
inline dwm_v dwm_splat(float v) { return _mm512_set1_ps(v); }
inline dwm_v dwm_load(const float* p, dwm_bits m) { return _mm512_maskz_loadu_ps((__mmask16)m, p); }
inline dwm_v dwm_fma(dwm_v w, dwm_v x, dwm_v a) { return _mm512_fmadd_ps(w, x, a); }
inline void dwm_store(float* p, dwm_v v, int n) {
  if (n == kDwmVL)
    _mm512_storeu_ps(p, v);
  else
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v);
}
inline dwm_v dwm_act(dwm_v v, int act, dwm_v va) { return act16(v, act, va); }
#else
constexpr int kDwmVL = 8;
typedef __m256 dwm_v;
typedef uint8_t dwm_bits;
inline dwm_v dwm_splat(float v) { return _mm256_set1_ps(v); }
inline __m256i dwm_lanes(unsigned m) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), bit), bit);
}
inline dwm_v dwm_load(const float* p, dwm_bits m) { return _mm256_maskload_ps(p, dwm_lanes(m)); }
inline dwm_v dwm_fma(dwm_v w, dwm_v x, dwm_v a) { return _mm256_fmadd_ps(w, x, a); }
inline void dwm_store(float* p, dwm_v v, int n) {
  if (n == kDwmVL)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, dwm_lanes((1u << n) - 1), v);
}
inline dwm_v dwm_act(dwm_v v, int act, dwm_v va) { return act8(v, act, va); }
#endif

// Rows of at most 63 (wider rows take the in-place rows, dw3_forward_rows); the table (9 masks
// per block of kDwmVL outputs) fits in DwFlat's scratch.
inline bool dwm_usable(const ConvShape& s) {
  return s.KH == 3 && s.KW == 3 && s.DH == 1 && s.DW == 1 && s.PT == 1 && s.PL == 1 && s.SH == 1 && s.SW == 1 &&
         s.OH == s.H && s.OW == s.W && s.W < 64 && DwFlat::usable(s);
}

// The table, built in `scratch` and returned: bits[b*9 + t], lane i set where output b*VL + i
// exists and its tap t is in the image.
inline const dwm_bits* dwm_masks(const ConvShape& s, float* scratch) {
  dwm_bits* bits = reinterpret_cast<dwm_bits*>(scratch);
  const int64_t P = (int64_t)s.H * s.W, nblk = (P + kDwmVL - 1) / kDwmVL;
  int oh = 0, ow = 0;
  for (int64_t b = 0; b < nblk; ++b) {
    unsigned m[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < kDwmVL && b * kDwmVL + i < P; ++i) {
      const unsigned bit = 1u << i;
      for (int kh = 0; kh < 3; ++kh) {
        const int ih = oh + kh - 1;
        if (ih < 0 || ih >= s.H) continue;
        if (ow >= 1) m[kh * 3] |= bit;
        m[kh * 3 + 1] |= bit;
        if (ow + 1 < s.W) m[kh * 3 + 2] |= bit;
      }
      if (++ow == s.W) ow = 0, ++oh;
    }
    for (int t = 0; t < 9; ++t) bits[b * 9 + t] = (dwm_bits)m[t];
  }
  return bits;
}

struct DwmTrue {
  static constexpr bool value = true;
};
struct DwmFalse {
  static constexpr bool value = false;
};

// U blocks from block b0 of one plane: y[p] = act(bias + sum_t w[t] * x[p + o[t]]), taps in order.
// Inner: every tap of the blocks reads inside the plane and no row is out of the image, so only
// the wrapping columns need clearing: AVX2 loads plainly and clears them with an AND (its masked
// load is slow on Intel's cores); AVX-512 masks the two side columns' loads with the middle row's
// two masks and loads the middle column plainly (9 mask moves per vector became 2: they share
// the FMA port). The lanes are the same (+0 where masked).
template <int U, bool Inner>
inline void dwm_blocks(const float* xc, float* yp, const dwm_v* wv, dwm_v vb, const int64_t* o, const dwm_bits* bits,
                       int64_t b0, int64_t P, int act, dwm_v va) {
  dwm_v a[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) a[u] = vb;
  // Tap t of block b0 + u reads row t / 3's base + u * VL + t % 3 (o[t] = o[3 * (t / 3)] + t % 3):
  // three base pointers and constant displacements, so no offset is reloaded per load (1.08-1.20x
  // on the 20x20 to 56x56 layers over indexing each tap by o[t]).
  const float* const rows[3] = {xc + b0 * kDwmVL + o[0], xc + b0 * kDwmVL + o[3], xc + b0 * kDwmVL + o[6]};
#if defined(__AVX512F__)
  if (Inner) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      const __mmask16 m0 = (__mmask16)bits[(b0 + u) * 9 + 3], m2 = (__mmask16)bits[(b0 + u) * 9 + 5];
#pragma GCC unroll 9
      for (int t = 0; t < 9; ++t) {
        const float* p = rows[t / 3] + u * kDwmVL + t % 3;
        const __m512 v = t % 3 == 1 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(t % 3 == 0 ? m0 : m2, p);
        a[u] = dwm_fma(wv[t], v, a[u]);
      }
    }
  } else
#else
  if (Inner) {
    __m256 cm[U][2];  // columns kw = 0 and kw = 2 (the middle row's masks: no row is out of the image)
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      cm[u][0] = _mm256_castsi256_ps(dwm_lanes(bits[(b0 + u) * 9 + 3]));
      cm[u][1] = _mm256_castsi256_ps(dwm_lanes(bits[(b0 + u) * 9 + 5]));
    }
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t)
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        __m256 v = _mm256_loadu_ps(rows[t / 3] + u * kDwmVL + t % 3);
        if (t % 3 != 1) v = _mm256_and_ps(v, cm[u][t % 3 == 2]);
        a[u] = dwm_fma(wv[t], v, a[u]);
      }
  } else
#endif
#pragma GCC unroll 9
  for (int t = 0; t < 9; ++t)
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u)
      a[u] = dwm_fma(wv[t], dwm_load(rows[t / 3] + u * kDwmVL + t % 3, bits[(b0 + u) * 9 + t]), a[u]);
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) {
    const int64_t q = (b0 + u) * kDwmVL;
    if (act >= 0) a[u] = dwm_act(a[u], act, va);
    dwm_store(yp + q, a[u], P - q < kDwmVL ? (int)(P - q) : kDwmVL);
  }
}

inline void dwm_plane(const ConvShape& s, const float* xc, const float* wk, float bias, float* yp, const dwm_bits* bits,
                      int act, float alpha) {
  const int64_t P = (int64_t)s.H * s.W, nblk = (P + kDwmVL - 1) / kDwmVL;
  int64_t o[9];
  dwm_v wv[9];
  for (int t = 0; t < 9; ++t) {
    o[t] = (int64_t)(t / 3 - 1) * s.W + (t % 3 - 1);
    wv[t] = dwm_splat(wk[t]);
  }
  const dwm_v vb = dwm_splat(bias), va = dwm_splat(alpha);
  // blocks [ilo, ihi) read only inside the plane: q0 - W - 1 >= 0 and q0 + VL + W + 1 <= P
  const int64_t ilo = (s.W + 1 + kDwmVL - 1) / kDwmVL;
  const int64_t ihi = dw_max((int)ilo, (int)((P - s.W - 1 - kDwmVL) >= 0 ? (P - s.W - 1 - kDwmVL) / kDwmVL + 1 : 0));
  int64_t b = 0;
  const auto run = [&](int64_t end, auto inner) {
    constexpr bool I = decltype(inner)::value;
    for (; b + 8 <= end; b += 8) dwm_blocks<8, I>(xc, yp, wv, vb, o, bits, b, P, act, va);
    if (b + 4 <= end) {
      dwm_blocks<4, I>(xc, yp, wv, vb, o, bits, b, P, act, va);
      b += 4;
    }
    if (b + 2 <= end) {
      dwm_blocks<2, I>(xc, yp, wv, vb, o, bits, b, P, act, va);
      b += 2;
    }
    if (b < end) dwm_blocks<1, I>(xc, yp, wv, vb, o, bits, b++, P, act, va);
  };
  run(dw_min((int)ilo, (int)nblk), DwmFalse());
  if (ihi > b) run(ihi, DwmTrue());
  run(nblk, DwmFalse());
}
#endif

// ---- 3x3, padding 1 (top/left), stride 1 or 2: straight from x ------------------------------
// No padded copy and no copy out: each output row reads its (up to) three input rows in place
// and is written once. Per output the taps are added in the same order as the general paths, so
// the bits are theirs: stride 1 as DwFlat (all nine taps from the bias, a tap outside the image
// adding w * 0), stride 2 as the row path (taps outside the image skipped).
// Where it measured faster (2 threads, MobileNetV1 layer shapes): stride 2 (1.1-1.7x from 20 to
// 304 columns), stride 1 on rows of at least 64 (1.5-1.8x at 80 and 160; on shorter rows the
// masked run (dwm_plane, AVX2 / AVX-512) or else the padded copy's single flat loop wins; the
// masked run measured 0.4-0.8x this path on rows of 80 to 304).
inline bool dw3_usable(const ConvShape& s) {
  return s.KH == 3 && s.KW == 3 && s.DH == 1 && s.DW == 1 && s.PT == 1 && s.PL == 1 && s.SH == s.SW && s.OCg == 1 &&
         (s.SW == 2 || s.W >= 64);
}

// Runs the row [0, OW): scalar(ow) outside [lo, hi), and block(ow, wv, vb) on blocks of 8 outputs
// covering [lo, hi) when it holds at least 8 (the last block may overlap the one before it: the
// same values written twice); wv are the nine taps and vb the bias in all lanes.
template <class S, class B>
inline void dw3_row(int OW, int lo, int hi, const float* wk, float bias, S scalar, B block) {
  for (int ow = 0; ow < lo; ++ow) scalar(ow);
  int ow = lo;
  if (hi - lo >= 8) {
    dw_v8 wv[9];
    for (int t = 0; t < 9; ++t) wv[t] = DW_SPLAT(wk[t]);
    const dw_v8 vb = DW_SPLAT(bias);
    for (;; ow += 8) {
      if (ow + 8 > hi) ow = hi - 8;
      block(ow, wv, vb);
      if (ow + 8 >= hi) break;
    }
    ow = hi;
  }
  for (; ow < OW; ++ow) scalar(ow);
}

#if defined(__AVX512F__)
// dw3_row in blocks of 16 (block(ow, wv, vb) with __m512 taps and bias), when [lo, hi) holds at
// least 16 outputs; false (nothing done) otherwise.
template <class S, class B>
inline bool dw3_row16(int OW, int lo, int hi, const float* wk, float bias, S scalar, B block) {
  if (hi - lo < 16) return false;
  for (int ow = 0; ow < lo; ++ow) scalar(ow);
  __m512 wv[9];
  for (int t = 0; t < 9; ++t) wv[t] = _mm512_set1_ps(wk[t]);
  const __m512 vb = _mm512_set1_ps(bias);
  for (int ow = lo;; ow += 16) {
    if (ow + 16 > hi) ow = hi - 16;
    block(ow, wv, vb);
    if (ow + 16 >= hi) break;
  }
  for (int ow = hi; ow < OW; ++ow) scalar(ow);
  return true;
}
#endif

// One output row oh of a 3x3 stride-1 plane: r[kh] is input row oh - 1 + kh (a row of zeros
// outside the image).
inline void dw3_row_s1(const ConvShape& s, const float* const r[3], const float* wk, float bias, float* __restrict yr,
                       int act, float alpha) {
  const int OW = s.OW, W = s.W;
  auto scalar = [&](int ow) {
    float a = bias;
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw) {
        const int iw = ow - 1 + kw;
        a = dw_madd(a, wk[kh * 3 + kw], iw >= 0 && iw < W ? r[kh][iw] : 0.f);
      }
    yr[ow] = act >= 0 ? dw_act1(a, act, alpha) : a;
  };
  // Interior: every column tap in bounds (ow >= 1 and ow + 1 < W).
  const int lo = dw_min(OW, 1);
#if defined(__AVX512F__)
  const __m512 va = _mm512_set1_ps(alpha);
  if (dw3_row16(OW, lo, dw_max(lo, dw_min(OW, W - 1)), wk, bias, scalar, [&](int ow, const __m512* wv, __m512 a) {
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw) a = _mm512_fmadd_ps(wv[kh * 3 + kw], _mm512_loadu_ps(r[kh] + ow - 1 + kw), a);
        _mm512_storeu_ps(yr + ow, act >= 0 ? act16(a, act, va) : a);
      }))
    return;
#endif
  dw3_row(OW, lo, dw_max(lo, dw_min(OW, W - 1)), wk, bias, scalar, [&](int ow, const dw_v8* wv, dw_v8 a) {
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw) a += wv[kh * 3 + kw] * *(const dw_v8u*)(r[kh] + ow - 1 + kw);
    if (act >= 0) dw_act8(a, act, alpha);
    *(dw_v8u*)(yr + ow) = a;
  });
}

// One output row of a 3x3 stride-2 plane: r[kh] is input row 2*oh - 1 + kh, or null outside.
inline void dw3_row_s2(const ConvShape& s, const float* const r[3], const float* wk, float bias, float* __restrict yr,
                       int act, float alpha) {
  const int OW = s.OW, W = s.W;
  auto scalar = [&](int ow) {
    float a = bias;
    for (int kh = 0; kh < 3; ++kh) {
      if (!r[kh]) continue;
      for (int kw = 0; kw < 3; ++kw) {
        const int iw = 2 * ow - 1 + kw;
        if (iw >= 0 && iw < W) a = dw_madd(a, wk[kh * 3 + kw], r[kh][iw]);
      }
    }
    yr[ow] = act >= 0 ? dw_act1(a, act, alpha) : a;
  };
  // Interior blocks: lanes ow .. ow + 7 read columns 2*ow - 1 .. 2*ow + 15 (ow >= 1 and
  // 2*ow + 16 <= W).
  const int lo = dw_min(OW, 1), hi = W >= 16 ? dw_max(lo, dw_min(OW, (W - 16) / 2 + 8)) : lo;
#if defined(__AVX512F__)
  // 16 lanes: columns 2*ow - 1 .. 2*ow + 31 (ow >= 1 and 2*ow + 32 <= W)
  const int hi16 = W >= 32 ? dw_max(lo, dw_min(OW, (W - 32) / 2 + 16)) : lo;
  if (hi16 == hi) {
    const __m512 va = _mm512_set1_ps(alpha);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    if (dw3_row16(OW, lo, hi, wk, bias, scalar, [&](int ow, const __m512* wv, __m512 a) {
          for (int kh = 0; kh < 3; ++kh) {
            if (!r[kh]) continue;
            const float* x = r[kh] + 2 * ow - 1;
            const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
            const __m512 u0 = _mm512_loadu_ps(x + 1), u1 = _mm512_loadu_ps(x + 17);
            a = _mm512_fmadd_ps(wv[kh * 3], _mm512_permutex2var_ps(v0, even, v1), a);
            a = _mm512_fmadd_ps(wv[kh * 3 + 1], _mm512_permutex2var_ps(v0, odd, v1), a);
            a = _mm512_fmadd_ps(wv[kh * 3 + 2], _mm512_permutex2var_ps(u0, odd, u1), a);
          }
          _mm512_storeu_ps(yr + ow, act >= 0 ? act16(a, act, va) : a);
        }))
      return;
  }
#endif
  dw3_row(OW, lo, hi, wk, bias, scalar, [&](int ow, const dw_v8* wv, dw_v8 a) {
    for (int kh = 0; kh < 3; ++kh) {
      if (!r[kh]) continue;
      const float* x = r[kh] + 2 * ow - 1;
      const dw_v8 v0 = *(const dw_v8u*)x, v1 = *(const dw_v8u*)(x + 8);
      const dw_v8 u0 = *(const dw_v8u*)(x + 1), u1 = *(const dw_v8u*)(x + 9);
      a += wv[kh * 3] * __builtin_shufflevector(v0, v1, 0, 2, 4, 6, 8, 10, 12, 14);
      a += wv[kh * 3 + 1] * __builtin_shufflevector(v0, v1, 1, 3, 5, 7, 9, 11, 13, 15);
      a += wv[kh * 3 + 2] * __builtin_shufflevector(u0, u1, 1, 3, 5, 7, 9, 11, 13, 15);
    }
    if (act >= 0) dw_act8(a, act, alpha);
    *(dw_v8u*)(yr + ow) = a;
  });
}

// Output rows [oh0, oh1) of a plane, row oh at yp + (oh - oh0) * OW; zeros: s.W floats of 0 (the
// rows outside the image of stride 1).
inline void dw3_forward_rows(const ConvShape& s, const float* xc, const float* wk, float bias, float* yp, int oh0,
                             int oh1, int act, float alpha, const float* zeros) {
  for (int oh = oh0; oh < oh1; ++oh) {
    const float* r[3];
    for (int kh = 0; kh < 3; ++kh) {
      const int ih = oh * s.SH - 1 + kh;
      r[kh] = ih >= 0 && ih < s.H ? xc + (int64_t)ih * s.W : s.SW == 1 ? zeros : nullptr;
    }
    float* yr = yp + (int64_t)(oh - oh0) * s.OW;
    // the activation is applied to each value before it is stored: a pass over the row just
    // written would load across the row's overlapping stores, which the CPU cannot forward
    // (measured 2.3x on 512 channels of 20x20 -> 10x10 with the pass)
    if (s.SW == 1)
      dw3_row_s1(s, r, wk, bias, yr, act, alpha);
    else
      dw3_row_s2(s, r, wk, bias, yr, act, alpha);
  }
}

// ---- the stem: 3x3 stride-2 convolution of up to 4 input channels, padding 1 ----------------
// An image's first layer (3 -> 32 channels) is a product with K = 27: too short for the packed
// GEMM to pay for its column buffer, slivers and copy out. Per output row: the 9*C input rows
// the row reads, split into even and odd columns once (t = (c*3 + kh)*3 + kw, zero outside the
// image), then eight output channels at a time, eight columns at a time. Each output is
// sum_t w[t] * x_t in t order from 0 and then + bias, as the GEMM path (bias as its last K row),
// so the bits are that path's. Eight output channels at a time, their filters interleaved
// (stem_pack_filter) so that one pointer walks all eight.
// Maps of at least 32x32 outputs (measured 1.2-1.3x in CPU time on 3 -> 32 at 320 and 608; on
// small maps the GEMM path is as fast).
inline bool stem_usable(const ConvShape& s) {
  return s.G == 1 && s.C <= 4 && s.KH == 3 && s.KW == 3 && s.SH == 2 && s.SW == 2 && s.DH == 1 && s.DW == 1 &&
         s.PT == 1 && s.PL == 1 && s.OW >= 8 && (int64_t)s.OH * s.OW >= 1024;
}
// Scratch floats per row: 9*C rows of the row's columns, rounded up to whole blocks.
inline int64_t stem_scratch(const ConvShape& s) { return (int64_t)9 * s.C * ((s.OW + 15) / 16 * 16); }

// Output rows oh in [oh0, oh1) of image n, output channel oc's row oh at y + oc * ycs + (oh - oh0) * OW;
// w packed by stem_pack_filter. (stem_forward_range: whole planes; the layer chain's band kernel,
// conv_chain.cc: a window of rows.)
void stem_rows(const ConvShape& s, const float* x, const float* w, const float* b, int n, int oh0, int oh1, float* y,
               int64_t ycs, float* in, int act, float alpha) {
  const int K = 9 * s.C, OW = s.OW, W = s.W;
#if defined(__AVX512F__)
  const int ldi = (OW + 15) / 16 * 16;  // rows in blocks of 16 (stem_scratch's rounding)
#else
  const int ldi = (OW + 7) / 8 * 8;
#endif
  // The image is read once, by every other row: the hardware prefetcher did not run ahead of
  // the row splits, which waited on the image coming from memory (a third of the stem's time on
  // one core, under perf). The two new input rows of each channel for output row oh + 4 are
  // fetched while row oh is computed (the stem 1.03-1.10x in a model forward).
  constexpr int kAhead = 4;
  for (int oh = oh0; oh < oh1; ++oh) {
    float* yrow = y + (int64_t)(oh - oh0) * OW;
    if (oh + kAhead < s.OH)
      for (int c = 0; c < s.C; ++c)
        for (int ih = 2 * (oh + kAhead); ih < dw_min(s.H, 2 * (oh + kAhead) + 2); ++ih) {
          const float* xr = x + (((int64_t)n * s.C + c) * s.H + ih) * W;
          for (int o = 0; o < W; o += 16) __builtin_prefetch(xr + o, 0, 3);
        }
    for (int c = 0; c < s.C; ++c)
      for (int kh = 0; kh < 3; ++kh) {
        const int ih = 2 * oh - 1 + kh;
        float* d = in + (int64_t)((c * 3 + kh) * 3) * ldi;
        if (ih < 0 || ih >= s.H) {
          std::memset(d, 0, sizeof(float) * 3 * ldi);
          continue;
        }
        const float* xr = x + (((int64_t)n * s.C + c) * s.H + ih) * W;
        const auto one = [&](int ow) {
          for (int kw = 0; kw < 3; ++kw) {
            const int iw = 2 * ow - 1 + kw;
            d[kw * ldi + ow] = ow < OW && iw >= 0 && iw < W ? xr[iw] : 0.f;
          }
        };
        // Blocks of 8 columns whose reads 2*ow - 1 .. 2*ow + 15 are in the row, as dw3_row_s2.
        int ow = 1;
        one(0);
        for (; ow + 8 <= OW && 2 * ow + 16 <= W; ow += 8) {
          const float* xs = xr + 2 * ow - 1;
          const dw_v8 v0 = *(const dw_v8u*)xs, v1 = *(const dw_v8u*)(xs + 8);
          const dw_v8 u0 = *(const dw_v8u*)(xs + 1), u1 = *(const dw_v8u*)(xs + 9);
          *(dw_v8u*)(d + ow) = __builtin_shufflevector(v0, v1, 0, 2, 4, 6, 8, 10, 12, 14);
          *(dw_v8u*)(d + ldi + ow) = __builtin_shufflevector(v0, v1, 1, 3, 5, 7, 9, 11, 13, 15);
          *(dw_v8u*)(d + 2 * ldi + ow) = __builtin_shufflevector(u0, u1, 1, 3, 5, 7, 9, 11, 13, 15);
        }
        for (; ow < ldi; ++ow) one(ow);
      }
    for (int oc0 = 0; oc0 < s.OC; oc0 += 8) {
      const int no = dw_min(8, s.OC - oc0);
      const float* wg = w + (int64_t)oc0 * K;  // [k][8] of this group (stem_pack_filter)
#if defined(__AVX512F__)
      // 16 columns at a time: the same sums (from 0, taps in order, then the bias) in wider lanes;
      // two blocks of 16 at once where there are two, so that 16 FMA chains hide the FMA latency
      // (8 chains of 27 dependent FMAs keep both FMA units busy only with no stall at all)
      const __m512 va = _mm512_set1_ps(alpha);
      const auto store = [&](int ow, const __m512* acc) {
        const int len = dw_min(16, OW - ow);
        for (int j = 0; j < no; ++j) {
          __m512 v = acc[j];
          if (b) v = _mm512_add_ps(v, _mm512_set1_ps(b[oc0 + j]));
          if (act >= 0) v = act16(v, act, va);
          _mm512_mask_storeu_ps(yrow + (oc0 + j) * ycs + ow, (__mmask16)((1u << len) - 1), v);
        }
      };
      int ow = 0;
      for (; ow + 32 <= ldi; ow += 32) {
        __m512 acc[8], acc2[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) acc[j] = acc2[j] = _mm512_setzero_ps();
        for (int k = 0; k < K; ++k) {
          const float* row = in + (int64_t)k * ldi + ow;
          const __m512 v = _mm512_loadu_ps(row), v2 = _mm512_loadu_ps(row + 16);
          const float* wk = wg + k * 8;
#pragma GCC unroll 8
          for (int j = 0; j < 8; ++j) {
            const __m512 wj = _mm512_set1_ps(wk[j]);
            acc[j] = _mm512_fmadd_ps(wj, v, acc[j]);
            acc2[j] = _mm512_fmadd_ps(wj, v2, acc2[j]);
          }
        }
        store(ow, acc);
        if (ow + 16 < OW) store(ow + 16, acc2);
      }
      for (; ow < ldi; ow += 16) {
        __m512 acc[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) acc[j] = _mm512_setzero_ps();
        for (int k = 0; k < K; ++k) {
          const __m512 v = _mm512_loadu_ps(in + (int64_t)k * ldi + ow);
          const float* wk = wg + k * 8;
#pragma GCC unroll 8
          for (int j = 0; j < 8; ++j) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(wk[j]), v, acc[j]);
        }
        store(ow, acc);
      }
      continue;
#endif
      for (int ow = 0; ow < ldi; ow += 8) {
        dw_v8 acc[8];
        for (int j = 0; j < 8; ++j) acc[j] = DW_SPLAT(0.f);
        for (int k = 0; k < K; ++k) {
          const dw_v8 v = *(const dw_v8u*)(in + (int64_t)k * ldi + ow);
          const float* wk = wg + k * 8;
#pragma GCC unroll 8
          for (int j = 0; j < 8; ++j) acc[j] += DW_SPLAT(wk[j]) * v;
        }
        const int len = dw_min(8, OW - ow);
        for (int j = 0; j < no; ++j) {
          if (b) acc[j] += DW_SPLAT(b[oc0 + j]);
          dw_v8 v = acc[j];
          dw_act(v, act, alpha);
          float* yr = yrow + (oc0 + j) * ycs + ow;
          if (len == 8)
            *(dw_v8u*)yr = v;
          else
            for (int q = 0; q < len; ++q) yr[q] = v[q];
        }
      }
    }
  }
}

// Output rows t = n*OH + oh in [tb, te) of whole planes; w packed by stem_pack_filter.
void stem_forward_range(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                        int64_t te, float* in, int act, float alpha) {
  const int64_t P = (int64_t)s.OH * s.OW;
  for (int64_t t = tb; t < te;) {  // runs of rows of one image
    const int n = (int)(t / s.OH), oh0 = (int)(t % s.OH);
    const int oh1 = te - t < s.OH - oh0 ? oh0 + (int)(te - t) : s.OH;
    stem_rows(s, x, w, b, n, oh0, oh1, y + (int64_t)n * s.OC * P + (int64_t)oh0 * s.OW, P, in, act, alpha);
    t += oh1 - oh0;
  }
}

// The filter (OC x K, K = 9*C) in the layout stem_rows reads: groups of 8 output
// channels, [k][8] within a group, zeros past OC. dst: stem_packed_size(s) floats.
inline int64_t stem_packed_size(const ConvShape& s) { return (int64_t)(s.OC + 7) / 8 * 8 * 9 * s.C; }
inline void stem_pack_filter(const ConvShape& s, const float* w, float* dst) {
  const int K = 9 * s.C;
  for (int oc0 = 0; oc0 < s.OC; oc0 += 8)
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < 8; ++j) dst[(int64_t)oc0 * K + k * 8 + j] = oc0 + j < s.OC ? w[(int64_t)(oc0 + j) * K + k] : 0.f;
}

// ---- a band of output rows of every channel (the depthwise half of dwpw_forward) -----------
// The 3x3, padding 1, multiplier 1 layers a depthwise -> pointwise pair fuses: the in-place rows
// (dw3_usable) for any band of rows, else (stride 1 on rows under 64) the padded flat plane for
// the whole image. Per output the same function as depthwise_forward on that shape, so the same
// bits.
inline bool dw_band_usable(const ConvShape& s) {
  return s.KH == 3 && s.KW == 3 && s.DH == 1 && s.DW == 1 && s.PT == 1 && s.PL == 1 && s.SH == s.SW &&
         (s.SW == 1 || s.SW == 2) && s.OCg == 1 && s.Cg == 1 && (dw3_usable(s) || DwFlat::usable(s));
}
// Scratch floats: the flat plane's, or one row of zeros.
inline int64_t dw_band_scratch(const ConvShape& s) { return dw3_usable(s) ? s.W : DwFlat(s).scratch(s); }

// Channels [c0, c1) of image n, output rows [oh0, oh1) (the whole image unless dw3_usable: the
// flat plane is whole): channel c's rows go to d + (c - c0) * ldd, row oh at (oh - oh0) * OW.
void dw_band_range(const ConvShape& s, const float* x, const float* w, const float* b, int n, int c0, int c1, int oh0,
                   int oh1, float* d, int64_t ldd, float* scratch, int act, float alpha) {
  if (dw3_usable(s)) {
    if (s.SW == 1) std::memset(scratch, 0, sizeof(float) * s.W);
    // The band's input rows of a channel are a few short runs a plane apart, too short for the
    // hardware prefetcher: those of the next channel are fetched while this one is computed.
    const int ih0 = dw_max(0, oh0 * s.SH - 1), ih1 = dw_min(s.H, (oh1 - 1) * s.SH + 2);
    const int64_t run = (int64_t)(ih1 - ih0) * s.W;
    for (int c = c0; c < c1; ++c) {
      const float* xc = x + ((int64_t)n * s.C + c) * s.HW;
      if (c + 1 < c1)
        for (int64_t i = 0; i < run; i += 16) __builtin_prefetch(xc + s.HW + (int64_t)ih0 * s.W + i, 0, 3);
      dw3_forward_rows(s, xc, w + (int64_t)c * 9, b ? b[c] : 0.f, d + (int64_t)(c - c0) * ldd, oh0, oh1, act, alpha,
                       scratch);
    }
    return;
  }
#if defined(SP_DWM)
  if (dwm_usable(s)) {  // the whole plane (oh0 = 0, oh1 = OH: not dw3_usable)
    const dwm_bits* bits = dwm_masks(s, scratch);
    for (int c = c0; c < c1; ++c)
      dwm_plane(s, x + ((int64_t)n * s.C + c) * s.HW, w + (int64_t)c * 9, b ? b[c] : 0.f, d + (int64_t)(c - c0) * ldd,
                bits, act, alpha);
    return;
  }
#endif
  const DwFlat f(s);
  for (int c = c0; c < c1; ++c)
    dw_forward_flat_plane(s, f, x + ((int64_t)n * s.C + c) * s.HW, w + (int64_t)c * s.KK, b ? b[c] : 0.f,
                          d + (int64_t)(c - c0) * ldd, scratch, act, alpha);
}

// Output rows [oh0, oh1) of channels [c0, c1) of a dw3_usable layer, read from a window of its
// input: channel c's input rows from ih0 on at win + c * wcs (row ih at (ih - ih0) * W), holding
// every row inside the image those outputs read; channel c's rows go to d + (c - c0) * ldd, row oh
// at (oh - oh0) * OW. zeros: W floats of 0 (stride 1). The same rows as dw_band_range's.
void dw_window_range(const ConvShape& s, const float* win, int64_t wcs, int ih0, const float* w, const float* b, int c0,
                     int c1, int oh0, int oh1, float* d, int64_t ldd, const float* zeros, int act, float alpha) {
  for (int c = c0; c < c1; ++c) {
    // the plane as dw3_forward_rows addresses it: only rows ih0 .. of it are read
    const float* xc = win + (int64_t)c * wcs - (int64_t)ih0 * s.W;
    dw3_forward_rows(s, xc, w + (int64_t)c * 9, b ? b[c] : 0.f, d + (int64_t)(c - c0) * ldd, oh0, oh1, act, alpha, zeros);
  }
}

// Planes t = n*OC + oc in [tb, te); act >= 0: the fused activation (fused_act.h), applied to
// each output row or flat plane while it is in cache.
// scratch: DwFlat(s).scratch(s) floats when DwFlat::usable(s).
void dw_forward_range(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                      int64_t te, float* scratch, int act, float alpha) {
  const int mult = s.OCg;
#if defined(SP_DWM)
  if (dwm_usable(s)) {
    const dwm_bits* bits = dwm_masks(s, scratch);
    for (int64_t t = tb; t < te; ++t) {
      const int oc = (int)(t % s.OC), n = (int)(t / s.OC);
      dwm_plane(s, x + ((int64_t)n * s.C + oc / mult) * s.HW, w + (int64_t)oc * 9, b ? b[oc] : 0.f, y + t * s.P, bits,
                act, alpha);
    }
    return;
  }
#endif
  if (dw3_usable(s)) {
    if (s.SW == 1) std::memset(scratch, 0, sizeof(float) * s.W);
    for (int64_t t = tb; t < te; ++t) {
      const int oc = (int)(t % s.OC), n = (int)(t / s.OC);
      dw3_forward_rows(s, x + ((int64_t)n * s.C + oc) * s.HW, w + (int64_t)oc * 9, b ? b[oc] : 0.f, y + t * s.P, 0, s.OH, act,
                        alpha, scratch);
    }
    return;
  }
  if (DwFlat::usable(s)) {
    const DwFlat f(s);
    for (int64_t t = tb; t < te; ++t) {
      const int oc = (int)(t % s.OC), n = (int)(t / s.OC), c = oc / mult;
      dw_forward_flat_plane(s, f, x + ((int64_t)n * s.C + c) * s.HW, w + (int64_t)oc * s.KK, b ? b[oc] : 0.f,
                            y + t * s.P, scratch, act, alpha);
    }
    return;
  }
  const DwCols cols(s);
  // [L, R): output columns where every tap is in bounds (fused path when KW fits DwCols).
  const bool fused = s.KW <= DwCols::kMax;
  int L = 0, R = s.OW;
  if (fused)
    for (int kw = 0; kw < s.KW; ++kw) L = dw_max(L, cols.lo[kw]), R = dw_min(R, cols.hi[kw]);
  if (R < L) R = L;
  {
    for (int64_t t = tb; t < te; ++t) {
      const int oc = (int)(t % s.OC), n = (int)(t / s.OC), c = oc / mult;
      const float* xc = x + ((int64_t)n * s.C + c) * s.HW;
      const float* wk = w + (int64_t)oc * s.KK;
      float* yp = y + t * s.P;
      const float bias = b ? b[oc] : 0.f;
      for (int oh = 0; oh < s.OH; ++oh) {
        float* __restrict yr = yp + (int64_t)oh * s.OW;
        for (int ow = 0; ow < s.OW; ++ow) yr[ow] = bias;
        for (int kh = 0; kh < s.KH; ++kh) {
          const int ih = oh * s.SH - s.PT + kh * s.DH;
          if (ih < 0 || ih >= s.H) continue;
          const float* xr = xc + (int64_t)ih * s.W;
          const float* wr = wk + kh * s.KW;
          if (fused) {
            if (s.KW == 3 && s.SW == 1)
              dw_row_fused<3, 1>(yr, xr, wr, cols.off, L, R, 3, 1);
            else if (s.KW == 3 && s.SW == 2)
              dw_row_fused<3, 2>(yr, xr, wr, cols.off, L, R, 3, 2);
            else if (s.KW == 5 && s.SW == 1)
              dw_row_fused<5, 1>(yr, xr, wr, cols.off, L, R, 5, 1);
            else
              dw_row_fused<0, 0>(yr, xr, wr, cols.off, L, R, s.KW, s.SW);
            // Edge columns (some tap out of bounds).
            for (int kw = 0; kw < s.KW; ++kw) {
              const float wv = wr[kw];
              const int off = cols.off[kw];
              for (int ow = 0; ow < L; ++ow) {
                const int iw = ow * s.SW + off;
                if (iw >= 0 && iw < s.W) yr[ow] += wv * xr[iw];
              }
              for (int ow = R; ow < s.OW; ++ow) {
                const int iw = ow * s.SW + off;
                if (iw >= 0 && iw < s.W) yr[ow] += wv * xr[iw];
              }
            }
            continue;
          }
          for (int kw = 0; kw < s.KW; ++kw) {
            int off, lo, hi;
            cols.get(s, kw, off, lo, hi);
            dw_axpy_row(yr, xr + off, wr[kw], lo, hi, s.SW);
          }
        }
        if (act >= 0) fused_act_inplace(yr, s.OW, act, alpha);
      }
    }
  }
}

// Planes t = n*C + c in [tb, te).
void dw_backward_input_range(const ConvShape& s, const float* dy, const float* w, float* dx, int64_t tb,
                             int64_t te) {
  const int mult = s.OCg;
  const DwCols cols(s);
  {
    for (int64_t t = tb; t < te; ++t) {
      const int c = (int)(t % s.C), n = (int)(t / s.C);
      float* dxp = dx + t * s.HW;
      std::memset(dxp, 0, sizeof(float) * s.HW);
      for (int j = 0; j < mult; ++j) {
        const int oc = c * mult + j;
        const float* dyp = dy + ((int64_t)n * s.OC + oc) * s.P;
        const float* wk = w + (int64_t)oc * s.KK;
        for (int oh = 0; oh < s.OH; ++oh) {
          const float* __restrict dyr = dyp + (int64_t)oh * s.OW;
          for (int kh = 0; kh < s.KH; ++kh) {
            const int ih = oh * s.SH - s.PT + kh * s.DH;
            if (ih < 0 || ih >= s.H) continue;
            float* dxr = dxp + (int64_t)ih * s.W;
            for (int kw = 0; kw < s.KW; ++kw) {
              int off, lo, hi;
              cols.get(s, kw, off, lo, hi);
              const float wv = wk[kh * s.KW + kw];
              float* __restrict xs = dxr + off;
              if (s.SW == 1) {
                for (int ow = lo; ow < hi; ++ow) xs[ow] += wv * dyr[ow];
              } else {
                const int sw = s.SW;
                for (int ow = lo; ow < hi; ++ow) xs[(int64_t)ow * sw] += wv * dyr[ow];
              }
            }
          }
        }
      }
    }
  }
}


// out[t] += sum_{p < L} dq[p] * xp[o[t] + p] for the KKC taps (8-lane partial sums, lanes and
// tail added in a fixed order).
template <int KKC>
inline void dw_flat_dots(const float* dq, const float* xp, const int64_t* o, int nt, int64_t L, float* out) {
  const int T = KKC > 0 ? KKC : nt;
  for (int t0 = 0; t0 < T; t0 += (KKC > 0 ? KKC : 1)) {
    const int tn = KKC > 0 ? KKC : 1;
    dw_v8 acc[KKC > 0 ? KKC : 1];
    for (int i = 0; i < tn; ++i) acc[i] = dw_v8{0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= L; p += 8) {
      const dw_v8 d = *(const dw_v8u*)(dq + p);
      for (int i = 0; i < tn; ++i) acc[i] += d * *(const dw_v8u*)(xp + o[t0 + i] + p);
    }
    for (int i = 0; i < tn; ++i) {
      float sum = ((acc[i][0] + acc[i][1]) + (acc[i][2] + acc[i][3])) + ((acc[i][4] + acc[i][5]) + (acc[i][6] + acc[i][7]));
      for (int64_t q = p; q < L; ++q) sum += dq[q] * xp[o[t0 + i] + q];
      out[t0 + i] += sum;
    }
  }
}

// ---- backward filter, stride 1 and OW == W, 3x3 ----------------------------------------------
// With equal row lengths, output p = oh*W + ow of tap t = (kh, kw) reads x[p + o_t], o_t =
// (kh*DH - PT)*W + kw*DW - PL, straight from the unpadded plane. Rows where tap row kh is out of
// bounds are whole row segments (skipped per segment); columns where tap column kw is out of
// bounds wrap into a neighbour row, so dy is masked per kw by a 0 / all-ones table indexed by
// the block's first column (period W, W + 8 entries so a block never wraps). The KK dot products run in KK vector accumulators over all images of a
// channel, lanes added at the end; blocks whose reads could leave the plane go scalar.
typedef int dw_i8 __attribute__((vector_size(32)));

struct DwSameSeg {
  int64_t p0, p1;    // flat output range of the segment
  int64_t omin, omax;  // extreme offsets o_t of the taps read in the segment
  int vm;            // bit kh: tap row kh in bounds for every row of the segment
};

struct DwSame {
  static constexpr int kKH = 3, kKW = 3, kKK = 9;
  int64_t o[kKK];
  static constexpr int kMaxW = 512;
  int clo[kKW], chi[kKW];
  int mask[kKW][kMaxW + 8];
  DwSameSeg seg[2 * kKH + 2];
  int nseg = 0;
  static bool usable(const ConvShape& s) {
    return s.KH == kKH && s.KW == kKW && s.SH == 1 && s.SW == 1 && s.OW == s.W && s.W >= 1 && s.W <= kMaxW;
  }
  explicit DwSame(const ConvShape& s) {
    const int64_t W = s.W;
    int rb[kKH], re[kKH];
    int bnd[2 * kKH + 2], nb = 0;
    bnd[nb++] = 0, bnd[nb++] = s.OH;
    for (int kh = 0; kh < kKH; ++kh) {
      const int sh = kh * s.DH - s.PT;  // ih = oh + sh
      rb[kh] = dw_min(s.OH, dw_max(0, -sh));
      re[kh] = dw_max(rb[kh], dw_min(s.OH, s.H - sh));
      bnd[nb++] = rb[kh], bnd[nb++] = re[kh];
      for (int kw = 0; kw < kKW; ++kw) o[kh * kKW + kw] = (int64_t)sh * W + kw * s.DW - s.PL;
    }
    for (int kw = 0; kw < kKW; ++kw) {
      const int off = kw * s.DW - s.PL;  // iw = ow + off
      clo[kw] = dw_max(0, -off);
      chi[kw] = dw_min(s.W, s.W - off);
      for (int i = 0; i < s.W + 8; ++i) {
        const int col = i % s.W;
        mask[kw][i] = col >= clo[kw] && col < chi[kw] ? -1 : 0;
      }
    }
    for (int i = 1; i < nb; ++i)  // insertion sort of the row boundaries
      for (int j = i; j > 0 && bnd[j - 1] > bnd[j]; --j) {
        const int t = bnd[j];
        bnd[j] = bnd[j - 1], bnd[j - 1] = t;
      }
    for (int i = 0; i + 1 < nb; ++i) {
      const int r0 = bnd[i], r1 = bnd[i + 1];
      if (r0 >= r1) continue;
      DwSameSeg g;
      g.vm = 0;
      int64_t omin = 0, omax = 0;
      bool any = false;
      for (int kh = 0; kh < kKH; ++kh) {
        if (rb[kh] > r0 || r1 > re[kh]) continue;
        g.vm |= 1 << kh;
        for (int kw = 0; kw < kKW; ++kw) {
          const int64_t v = o[kh * kKW + kw];
          omin = any ? (v < omin ? v : omin) : v;
          omax = any ? (v > omax ? v : omax) : v;
          any = true;
        }
      }
      g.p0 = (int64_t)r0 * W, g.p1 = (int64_t)r1 * W;
      g.omin = omin, g.omax = omax;
      seg[nseg++] = g;
    }
  }
};

// Vector blocks of one segment from p while p + 8 <= pz; then, if p < pe <= p + 8 <= pt, one
// block with the lanes at or past pe masked off. Returns where it stopped.
template <int VM, bool DB>
inline int64_t dw_same_vec(const DwSame& g, const float* xc, const float* d, int W, int64_t p, int64_t pz,
                           int64_t pe, int64_t pt, dw_v8* acc, dw_v8& accb) {
  static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  constexpr int KW = DwSame::kKW, KK = DwSame::kKK;
  typedef int dw_i8u __attribute__((vector_size(32), aligned(4)));
  if (p >= pe) return p;
  int ph = (int)(p % W);
  const int c8 = 8 % W;
  dw_v8 a[KK];
  for (int t = 0; t < KK; ++t) a[t] = acc[t];
  dw_v8 ab = accb;
  const float* xo[KK];
  for (int t = 0; t < KK; ++t) xo[t] = xc + g.o[t];
  for (; p + 8 <= pz; p += 8) {
    const dw_v8 dv = *(const dw_v8u*)(d + p);
    if (DB) ab += dv;
    dw_v8 dk[KW];
    for (int kw = 0; kw < KW; ++kw) dk[kw] = (dw_v8)((dw_i8)dv & *(const dw_i8u*)(g.mask[kw] + ph));
    for (int kh = 0; kh < DwSame::kKH; ++kh) {
      if (!((VM >> kh) & 1)) continue;
      for (int kw = 0; kw < KW; ++kw) a[kh * KW + kw] += dk[kw] * *(const dw_v8u*)(xo[kh * KW + kw] + p);
    }
    ph += c8;
    ph = ph >= W ? ph - W : ph;
  }
  if (p < pe && pe - p < 8 && p + 8 <= pt) {
    const dw_v8 dv = (dw_v8)(*(const dw_i8u*)(d + p) & *(const dw_i8u*)(lanes + 8 - (pe - p)));
    if (DB) ab += dv;
    dw_v8 dk[KW];
    for (int kw = 0; kw < KW; ++kw) dk[kw] = (dw_v8)((dw_i8)dv & *(const dw_i8u*)(g.mask[kw] + ph));
    for (int kh = 0; kh < DwSame::kKH; ++kh) {
      if (!((VM >> kh) & 1)) continue;
      for (int kw = 0; kw < KW; ++kw) a[kh * KW + kw] += dk[kw] * *(const dw_v8u*)(xo[kh * KW + kw] + p);
    }
    p = pe;
  }
  for (int t = 0; t < KK; ++t) acc[t] = a[t];
  accb = ab;
  return p;
}

// Elements [a, b) of a segment one at a time (borders of the vector range).
inline void dw_same_scalar(const DwSame& g, int vm, const float* xc, const float* d, int W, int64_t a, int64_t b,
                           float* sacc, float& sdb) {
  constexpr int KW = DwSame::kKW;
  for (int64_t q = a; q < b; ++q) {
    const int ow = (int)(q % W);
    const float dv = d[q];
    sdb += dv;
    for (int kh = 0; kh < DwSame::kKH; ++kh) {
      if (!((vm >> kh) & 1)) continue;
      for (int kw = 0; kw < KW; ++kw)
        if (ow >= g.clo[kw] && ow < g.chi[kw]) sacc[kh * KW + kw] += dv * xc[q + g.o[kh * KW + kw]];
    }
  }
}

inline float dw_hsum(const dw_v8& a) { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }

// Output channels [tb, te), DwSame::usable(s); DB: db wanted. Vector reads may pass a plane's
// ends (masked lanes) but never the ends of x and dy; blocks that would go scalar. Channels run
// in chunks, image-major inside a chunk (x and dy read as long runs); each channel keeps its own
// accumulators, so its sums still run image by image in a fixed order.
template <bool DB>
void dw_backward_filter_same(const ConvShape& s, const float* x, const float* dy, float* dw, float* db, int64_t tb,
                             int64_t te) {
  constexpr int KK = DwSame::kKK;
  constexpr int kChunk = 32;
  const DwSame g(s);
  const int W = s.W;
  const int64_t xn = (int64_t)s.N * s.C * s.HW, dn = (int64_t)s.N * s.OC * s.P;
  dw_v8 accs[kChunk][KK + 1];  // [KK]: db
  float saccs[kChunk][KK + 1];
  for (int64_t cb = tb; cb < te; cb += kChunk) {
    const int64_t ce = te - cb < kChunk ? te : cb + kChunk;
    for (int64_t oc = cb; oc < ce; ++oc)
      for (int t = 0; t <= KK; ++t) accs[oc - cb][t] = dw_v8{0, 0, 0, 0, 0, 0, 0, 0}, saccs[oc - cb][t] = 0.f;
    for (int n = 0; n < s.N; ++n)
      for (int64_t oc = cb; oc < ce; ++oc) {
        const int c = (int)(oc / s.OCg);
        dw_v8* acc = accs[oc - cb];
        float* sacc = saccs[oc - cb];
        const int64_t xb = ((int64_t)n * s.C + c) * s.HW, db0 = ((int64_t)n * s.OC + oc) * s.P;
        const float* xc = x + xb;
        const float* d = dy + db0;
        const int64_t xlo = -xb, xhi = xn - xb, dhi = dn - db0;  // x / dy bounds relative to the plane
        for (int i = 0; i < g.nseg; ++i) {
          const DwSameSeg& q = g.seg[i];
          int64_t pa = xlo - q.omin > q.p0 ? xlo - q.omin : q.p0;
          if (pa > q.p1) pa = q.p1;
          const int64_t pt = xhi - q.omax < dhi ? xhi - q.omax : dhi;  // p + 8 <= pt: block in bounds
          const int64_t pz = pt < q.p1 ? pt : q.p1;
          dw_same_scalar(g, q.vm, xc, d, W, q.p0, pa, sacc, sacc[KK]);
          int64_t p = pa;
          switch (q.vm) {
#define SP_DW_SAME_CASE(v) \
  case v:                  \
    p = dw_same_vec<v, DB>(g, xc, d, W, p, pz, q.p1, pt, acc, acc[KK]); \
    break;
            SP_DW_SAME_CASE(0)
            SP_DW_SAME_CASE(1)
            SP_DW_SAME_CASE(2)
            SP_DW_SAME_CASE(3)
            SP_DW_SAME_CASE(4)
            SP_DW_SAME_CASE(5)
            SP_DW_SAME_CASE(6)
#undef SP_DW_SAME_CASE
            default:
              p = dw_same_vec<7, DB>(g, xc, d, W, p, pz, q.p1, pt, acc, acc[KK]);
              break;
          }
          dw_same_scalar(g, q.vm, xc, d, W, p, q.p1, sacc, sacc[KK]);
        }
      }
    for (int64_t oc = cb; oc < ce; ++oc) {
      const dw_v8* acc = accs[oc - cb];
      const float* sacc = saccs[oc - cb];
      for (int t = 0; t < KK; ++t) dw[oc * KK + t] = dw_hsum(acc[t]) + sacc[t];
      if (DB) db[oc] = dw_hsum(acc[KK]) + sacc[KK];
    }
  }
}

// Output channels [tb, te); acc: scratch of (KK + 1) * OW floats.
void dw_backward_filter_range(const ConvShape& s, const float* x, const float* dy, float* dw, float* db,
                              int64_t tb, int64_t te, float* acc) {
  if (DwSame::usable(s)) {
    if (db)
      dw_backward_filter_same<true>(s, x, dy, dw, db, tb, te);
    else
      dw_backward_filter_same<false>(s, x, dy, dw, db, tb, te);
    return;
  }
  const int mult = s.OCg;
  const DwCols cols(s);
  if (DwFlat::usable(s) && s.KK <= 64) {
    // acc: DwFlat(s).scratch(s) floats: padded x plane, then dy with row stride Wp.
    const DwFlat f(s);
    float* xp = acc;
    float* dq = acc + (int64_t)f.Hp * f.Wp;
    int64_t o[64];
    for (int kh = 0, t = 0; kh < s.KH; ++kh)
      for (int kw = 0; kw < s.KW; ++kw, ++t) o[t] = (int64_t)kh * s.DH * f.Wp + (int64_t)kw * s.DW;
    // Image-major over the range (consecutive planes are adjacent in memory); every oc still
    // adds its per-image partials in image order, straight into dw / db.
    for (int64_t oc = tb; oc < te; ++oc) {
      for (int t = 0; t < s.KK; ++t) dw[oc * s.KK + t] = 0.f;
      if (db) db[oc] = 0.f;
    }
    for (int n = 0; n < s.N; ++n) {
      for (int64_t oc = tb; oc < te; ++oc) {
        const int c = (int)(oc / mult);
        f.pad(s, x + ((int64_t)n * s.C + c) * s.HW, xp);
        const float* dyp = dy + ((int64_t)n * s.OC + oc) * s.P;
        for (int oh = 0; oh < s.OH; ++oh) {
          std::memcpy(dq + (int64_t)oh * f.Wp, dyp + (int64_t)oh * s.OW, sizeof(float) * s.OW);
          std::memset(dq + (int64_t)oh * f.Wp + s.OW, 0, sizeof(float) * (f.Wp - s.OW));
        }
        if (s.KK == 9)
          dw_flat_dots<9>(dq, xp, o, 9, f.L, dw + oc * s.KK);
        else
          dw_flat_dots<0>(dq, xp, o, s.KK, f.L, dw + oc * s.KK);
        if (db) db[oc] += dw_flat_sum(dq, f.L);  // dq: dy with zero gaps
      }
    }
    return;
  }
  {
    float* dbacc = acc + (int64_t)s.KK * s.OW;
    for (int64_t oc = tb; oc < te; ++oc) {
      const int c = (int)(oc / mult);
      std::memset(acc, 0, sizeof(float) * (size_t)(s.KK + 1) * s.OW);
      for (int n = 0; n < s.N; ++n) {
        const float* xc = x + ((int64_t)n * s.C + c) * s.HW;
        const float* dyp = dy + ((int64_t)n * s.OC + oc) * s.P;
        for (int oh = 0; oh < s.OH; ++oh) {
          const float* __restrict dyr = dyp + (int64_t)oh * s.OW;
          if (db) {
            float* __restrict d = dbacc;
            for (int ow = 0; ow < s.OW; ++ow) d[ow] += dyr[ow];
          }
          for (int kh = 0; kh < s.KH; ++kh) {
            const int ih = oh * s.SH - s.PT + kh * s.DH;
            if (ih < 0 || ih >= s.H) continue;
            const float* xr = xc + (int64_t)ih * s.W;
            for (int kw = 0; kw < s.KW; ++kw) {
              int off, lo, hi;
              cols.get(s, kw, off, lo, hi);
              float* __restrict a = acc + (int64_t)(kh * s.KW + kw) * s.OW;
              const float* __restrict xs = xr + off;
              if (s.SW == 1) {
                for (int ow = lo; ow < hi; ++ow) a[ow] += dyr[ow] * xs[ow];
              } else if (s.SW == 2) {
                for (int ow = lo; ow < hi; ++ow) a[ow] += dyr[ow] * xs[2 * ow];
              } else {
                const int sw = s.SW;
                for (int ow = lo; ow < hi; ++ow) a[ow] += dyr[ow] * xs[(int64_t)ow * sw];
              }
            }
          }
        }
      }
      for (int k = 0; k < s.KK; ++k) {
        const float* a = acc + (int64_t)k * s.OW;
        float sum = 0.f;
        for (int ow = 0; ow < s.OW; ++ow) sum += a[ow];
        dw[oc * s.KK + k] = sum;
      }
      if (db) {
        float sum = 0.f;
        for (int ow = 0; ow < s.OW; ++ow) sum += dbacc[ow];
        db[oc] = sum;
      }
    }
  }
}

}  // namespace
}  // namespace sp

// The exported range functions of one ISA build (depthwise_avx2.cc, depthwise_avx512.cc): plain
// functions named <kernel>_<isa> that depthwise.cc declares with the same suffix and dispatches to.
#define SP_DW_ISA_EXPORTS(isa)                                                                                 \
  namespace sp {                                                                                               \
  void depthwise_forward_range_##isa(const ConvShape& s, const float* x, const float* w, const float* b, float* y, \
                                     int64_t tb, int64_t te, float* scratch, int act, float alpha) {            \
    dw_forward_range(s, x, w, b, y, tb, te, scratch, act, alpha);                                              \
  }                                                                                                            \
  void stem_forward_range_##isa(const ConvShape& s, const float* x, const float* w, const float* b, float* y,     \
                                int64_t tb, int64_t te, float* scratch, int act, float alpha) {                 \
    stem_forward_range(s, x, w, b, y, tb, te, scratch, act, alpha);                                            \
  }                                                                                                            \
  void stem_rows_##isa(const ConvShape& s, const float* x, const float* w, const float* b, int n, int oh0, int oh1, \
                       float* y, int64_t ycs, float* scratch, int act, float alpha) {                          \
    stem_rows(s, x, w, b, n, oh0, oh1, y, ycs, scratch, act, alpha);                                           \
  }                                                                                                            \
  void dw_window_range_##isa(const ConvShape& s, const float* win, int64_t wcs, int ih0, const float* w,         \
                             const float* b, int c0, int c1, int oh0, int oh1, float* d, int64_t ldd,           \
                             const float* zeros, int act, float alpha) {                                        \
    dw_window_range(s, win, wcs, ih0, w, b, c0, c1, oh0, oh1, d, ldd, zeros, act, alpha);                       \
  }                                                                                                            \
  void dw_band_range_##isa(const ConvShape& s, const float* x, const float* w, const float* b, int n, int c0,    \
                           int c1, int oh0, int oh1, float* d, int64_t ldd, float* scratch, int act, float alpha) { \
    dw_band_range(s, x, w, b, n, c0, c1, oh0, oh1, d, ldd, scratch, act, alpha);                               \
  }                                                                                                            \
  void depthwise_backward_input_range_##isa(const ConvShape& s, const float* dy, const float* w, float* dx,      \
                                            int64_t tb, int64_t te) {                                           \
    dw_backward_input_range(s, dy, w, dx, tb, te);                                                             \
  }                                                                                                            \
  void depthwise_backward_filter_range_##isa(const ConvShape& s, const float* x, const float* dy, float* dw,     \
                                             float* db, int64_t tb, int64_t te, float* acc) {                   \
    dw_backward_filter_range(s, x, dy, dw, db, tb, te, acc);                                                   \
  }                                                                                                            \
  }  // namespace sp
