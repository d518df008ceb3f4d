// Direct depthwise convolution (groups == C, one input channel per group, OC = multiplier * C),
// included by depthwise.cc (baseline ISA), depthwise_avx2.cc and depthwise_avx512.cc: the same
// loops compiled per ISA (internal linkage, so the copies never mix) and vectorised by the
// compiler over output width. For output row oh and tap (kh, kw): y[oh, ow] += w * x[ih, ow*SW
// + off] for ow in the in-bounds range [lo, hi), off = kw*DW - PL (see conv_common.h).
// Work splits into whole planes: forward per (n, oc), backward input per (n, c) (a dx plane sums
// its multiplier's oc planes in order), backward filter per oc (summing n, rows, columns in a
// fixed order through per-column accumulators), so 1 and N threads give identical bits.
// The ISA builds export plain range functions and use no std:: templates, so no out-of-line
// library code compiled for a wider ISA can be shared with (and picked by) the baseline build;
// the thread-pool calls live in depthwise.cc.
#pragma once
#include <cstring>

#include "conv_common.h"

namespace sp {
namespace {

typedef float dw_v8 __attribute__((vector_size(32)));
typedef float dw_v8u __attribute__((vector_size(32), aligned(4)));

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
  static bool usable(const ConvShape& s) { return s.SH == 1 && s.SW == 1 && s.PT >= 0 && s.PL >= 0; }
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

inline void dw_forward_flat_plane(const ConvShape& s, const DwFlat& f, const float* xc, const float* wk, float bias,
                                  float* yp, float* scratch) {
  float* xp = scratch;
  float* __restrict yb = scratch + (int64_t)f.Hp * f.Wp;
  f.pad(s, xc, xp);
  int64_t o[64];
  const bool small = s.KK <= 64;
  if (small)
    for (int kh = 0, t = 0; kh < s.KH; ++kh)
      for (int kw = 0; kw < s.KW; ++kw, ++t) o[t] = (int64_t)kh * s.DH * f.Wp + (int64_t)kw * s.DW;
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
  for (int oh = 0; oh < s.OH; ++oh) std::memcpy(yp + (int64_t)oh * s.OW, yb + (int64_t)oh * f.Wp, sizeof(float) * s.OW);
}

// Planes t = n*OC + oc in [tb, te).
// scratch: DwFlat(s).scratch(s) floats when DwFlat::usable(s).
void dw_forward_range(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                      int64_t te, float* scratch) {
  const int mult = s.OCg;
  if (DwFlat::usable(s)) {
    const DwFlat f(s);
    for (int64_t t = tb; t < te; ++t) {
      const int oc = (int)(t % s.OC), n = (int)(t / s.OC), c = oc / mult;
      dw_forward_flat_plane(s, f, x + ((int64_t)n * s.C + c) * s.HW, w + (int64_t)oc * s.KK, b ? b[oc] : 0.f,
                            y + t * s.P, scratch);
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

// Output channels [tb, te); acc: scratch of (KK + 1) * OW floats.
void dw_backward_filter_range(const ConvShape& s, const float* x, const float* dy, float* dw, float* db,
                              int64_t tb, int64_t te, float* acc) {
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
