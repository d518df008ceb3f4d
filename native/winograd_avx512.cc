// The Winograd forward's transforms for AVX-512 (conv_winograd.cc calls them after a run-time CPU
// check): 16 tiles per vector. The input transform reads each of a tile's 16 patch values for 16
// tiles at once (from rows of x split by permutes where the tiles lie along at most four tile rows,
// else by gathers; masked where a patch runs past x) and writes whole 16-lane halves of the V
// slivers; the output transform interleaves the 2x2 outputs of 16 tiles into two 32-float rows
// and stores each tile row's part of them under a mask. The sums are winograd_impl.h's, the
// portable per-tile code's in its order, so the bits are the same.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "fused_act_simd.h"
#include "winograd_impl.h"

namespace sp {

namespace {
const auto add16 = [](__m512 a, __m512 b) { return _mm512_add_ps(a, b); };
const auto sub16 = [](__m512 a, __m512 b) { return _mm512_sub_ps(a, b); };
inline __mmask16 lanes_below(int64_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u); }
// Lane-wise unsigned max (the masked form: the unmasked one starts from an undefined vector, which
// GCC warns about).
inline __m512i umax(__m512i a, __m512i b) { return _mm512_mask_max_epu32(a, (__mmask16)0xFFFF, a, b); }
// Every lane's magnitude bits within 2^50's (Inf and NaN lie above).
inline bool max_ok(__m512i mag) {
  alignas(64) uint32_t lanes[16];
  _mm512_store_si512(lanes, mag);
  return wino_magnitudes_ok(lanes, 16);
}

const __m512i kEven = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
const __m512i kOdd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
// Floats 2 .. 17 of lo:hi (the masked form: see umax).
inline __m512 skip2(__m512 hi, __m512 lo) {
  const __m512i l = _mm512_castps_si512(lo);
  return _mm512_castsi512_ps(_mm512_mask_alignr_epi32(l, (__mmask16)0xFFFF, _mm512_castps_si512(hi), l, 2));
}
// d[4i + q] of the lanes of nseg segments of channel xc (lanes in none: zero).
inline void wino_seg_load(const float* xc, const WinoSegWindows* sg, int nseg, __m512 d[16]) {
  for (int k = 0; k < 16; ++k) d[k] = _mm512_setzero_ps();
  for (int g = 0; g < nseg; ++g) {
    const __mmask16 ln = (__mmask16)(((1u << sg[g].l1) - 1u) & ~((1u << sg[g].l0) - 1u));
    for (int i = 0; i < 4; ++i) {
      const float* w = xc + sg[g].at[i];
      const uint64_t bits = sg[g].bits[i];
      const __m512 a = _mm512_maskz_loadu_ps((__mmask16)bits, w), b = _mm512_maskz_loadu_ps((__mmask16)(bits >> 16), w + 16);
      const __m512 c = bits >> 32 ? _mm512_maskz_loadu_ps((__mmask16)(bits >> 32), w + 32) : _mm512_setzero_ps();
      const __m512 a2 = skip2(b, a), b2 = skip2(c, b);
      const __m512 q[4] = {_mm512_permutex2var_ps(a, kEven, b), _mm512_permutex2var_ps(a, kOdd, b),
                           _mm512_permutex2var_ps(a2, kEven, b2), _mm512_permutex2var_ps(a2, kOdd, b2)};
      for (int qq = 0; qq < 4; ++qq) d[4 * i + qq] = ln == 0xFFFF ? q[qq] : _mm512_mask_mov_ps(d[4 * i + qq], ln, q[qq]);
    }
  }
}
}  // namespace

bool wino_input_avx512(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t sb, int64_t se,
                       float* V, int64_t bss, int64_t vstride, int NR) {
  const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
  __m512i mag = _mm512_setzero_si512();
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t sl = sb; sl < se; ++sl)
    for (int64_t j0 = sl * NR; j0 < (sl + 1) * NR; j0 += 16) {
      float* vb = V + (sl - sb) * bss + j0 % NR;
      const int64_t nv = std::min<int64_t>(16, nt - j0);
      if (nv <= 0) {
        for (int c = 0; c < s.C; ++c)
          for (int xi = 0; xi < 16; ++xi) _mm512_storeu_ps(vb + xi * vstride + (int64_t)c * NR, zero);
        continue;
      }
      alignas(64) int32_t rel[16], ih[16], iw[16];
      const bool inner = wino_lanes(s, pt, j0, nv, 16, rel, ih, iw);
      const __m512i off = _mm512_load_si512(rel);
      __m512i offs[16];
      __mmask16 m[16] = {};
      for (int i = 0; i < 4; ++i)
        for (int q = 0; q < 4; ++q) offs[4 * i + q] = _mm512_add_epi32(off, _mm512_set1_epi32(i * s.W + q));
      if (!inner) {
        const __m512i ihv = _mm512_load_si512(ih), iwv = _mm512_load_si512(iw);
        const __m512i H = _mm512_set1_epi32(s.H), W = _mm512_set1_epi32(s.W), z = _mm512_setzero_si512();
        __mmask16 rok[4], cok[4];
        for (int i = 0; i < 4; ++i) {
          const __m512i r = _mm512_add_epi32(ihv, _mm512_set1_epi32(i)), c = _mm512_add_epi32(iwv, _mm512_set1_epi32(i));
          rok[i] = lanes_below(nv) & _mm512_cmpge_epi32_mask(r, z) & _mm512_cmplt_epi32_mask(r, H);
          cok[i] = _mm512_cmpge_epi32_mask(c, z) & _mm512_cmplt_epi32_mask(c, W);
        }
        for (int i = 0; i < 4; ++i)
          for (int q = 0; q < 4; ++q) m[4 * i + q] = rok[i] & cok[q];
      }
      const float* xg = x + pt.xoff[j0];
      int32_t lo;
      const int64_t span = wino_span(rel, nv, s, lo);
      WinoSegWindows sg[kWinoMaxSegs];
      const int nseg = wino_seg_windows(s, rel, ih, iw, nv, sg);
      for (int c = 0; c < s.C; ++c) {
        const float* xc = xg + (int64_t)c * s.HW;
        wino_fetch_ahead(xg, s, c, lo, span);
        __m512 d[16], v[16];
        if (nseg) {
          wino_seg_load(xc, sg, nseg, d);
          if (!inner)
            for (int k = 0; k < 16; ++k) d[k] = _mm512_maskz_mov_ps(m[k], d[k]);
        } else if (inner)
          for (int k = 0; k < 16; ++k) d[k] = _mm512_mask_i32gather_ps(zero, (__mmask16)0xFFFF, offs[k], xc, 4);
        else
          for (int k = 0; k < 16; ++k) d[k] = _mm512_mask_i32gather_ps(zero, m[k], offs[k], xc, 4);
        for (int k = 0; k < 16; ++k) mag = umax(mag, _mm512_and_si512(_mm512_castps_si512(d[k]), absmask));
        wino_input_sums(d, v, add16, sub16);
        float* vc = vb + (int64_t)c * NR;
        for (int xi = 0; xi < 16; ++xi) _mm512_storeu_ps(vc + xi * vstride, v[xi]);
      }
    }
  return max_ok(mag);
}

namespace {
// a0 b0 a1 b1 ... of two vectors' low (high) halves: a tile's two output columns side by side
const __m512i kLo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
const __m512i kHi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
// The 2x2 outputs o[0..3] of group g's 16 tiles (o[k] lane l: output k of tile l) stored into the
// channel plane yc, tile row by tile row (wino_segments).
inline void store_group(const ConvShape& s, const std::vector<WinoSeg>& segs, const std::vector<int>& first, int64_t g,
                        const __m512 o[4], float* yc) {
  const __m512 u0 = _mm512_permutex2var_ps(o[0], kLo, o[1]), u1 = _mm512_permutex2var_ps(o[0], kHi, o[1]);
  const __m512 d0 = _mm512_permutex2var_ps(o[2], kLo, o[3]), d1 = _mm512_permutex2var_ps(o[2], kHi, o[3]);
  for (int k = first[(size_t)g]; k < first[(size_t)g + 1]; ++k) {
    const WinoSeg& sg = segs[(size_t)k];
    const __mmask16 k0 = (__mmask16)(sg.bits & 0xFFFF), k1 = (__mmask16)(sg.bits >> 16);
    float* yo = yc + sg.at;
    _mm512_mask_storeu_ps(yo, k0, u0);
    _mm512_mask_storeu_ps(yo + 16, k1, u1);
    if (sg.down) {
      _mm512_mask_storeu_ps(yo + s.OW, k0, d0);
      _mm512_mask_storeu_ps(yo + s.OW + 16, k1, d1);
    }
  }
}
}  // namespace

void wino_output_avx512(const ConvShape& s, const PassTiles& pt, const float* M, int64_t mstride, int64_t ldm,
                        int64_t r0, int64_t rows, int64_t c0, int64_t cn, const float* b, float* y, int act,
                        float alpha, float* loc, int64_t ldl) {
  const __m512 va = _mm512_set1_ps(alpha);
  static thread_local std::vector<WinoSeg> segs;
  static thread_local std::vector<int> first;
  if (!loc) wino_segments(s, pt, c0, cn, 16, segs, first);
  const int64_t ngroups = (cn + 15) / 16, q = ldl / 4;
  for (int64_t rr = 0; rr < rows; ++rr) {
    // loc: the columns past the last group's up to q are zeros (a product over all q reads them)
    if (loc)
      for (int64_t j = ngroups * 16; j < q; j += 16)
        for (int k = 0; k < 4; ++k) _mm512_storeu_ps(loc + rr * ldl + k * q + j, _mm512_setzero_ps());
    const int64_t oc = r0 + rr;
    const __m512 bias = _mm512_set1_ps(b ? b[oc] : 0.f);
    const float* mo = M + rr * ldm;
    for (int64_t g = 0; g < ngroups; ++g) {
      const __mmask16 valid = lanes_below(cn - g * 16);
      __m512 m[16], o[4];
      for (int xi = 0; xi < 16; ++xi) m[xi] = _mm512_maskz_loadu_ps(valid, mo + xi * mstride + g * 16);
      wino_output_sums(m, bias, o, add16, sub16);
      if (act >= 0)
        for (int k = 0; k < 4; ++k) o[k] = act16(o[k], act, va);
      if (loc)
        for (int k = 0; k < 4; ++k) _mm512_storeu_ps(loc + rr * ldl + k * q + g * 16, o[k]);
      else
        store_group(s, segs, first, g, o, y + oc * s.P);
    }
  }
}

void wino_store_avx512(const ConvShape& s, const PassTiles& pt, const float* Z, int64_t ldz, int64_t rows, int64_t c0,
                       int64_t cn, float* y) {
  static thread_local std::vector<WinoSeg> segs;
  static thread_local std::vector<int> first;
  wino_segments(s, pt, c0, cn, 16, segs, first);
  const int64_t ngroups = (cn + 15) / 16, q = ldz / 4;
  for (int64_t rr = 0; rr < rows; ++rr)
    for (int64_t g = 0; g < ngroups; ++g) {
      __m512 o[4];
      for (int k = 0; k < 4; ++k) o[k] = _mm512_loadu_ps(Z + rr * ldz + k * q + g * 16);
      store_group(s, segs, first, g, o, y + rr * s.P);
    }
}

bool wino_fg_input_avx512(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t gb, int64_t ge,
                          float* V, int64_t bss, int64_t vstride, int NR) {
  const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
  __m512i mag = _mm512_setzero_si512();
  const __m512 zero = _mm512_setzero_ps();
  // lane l = channel c0 + l: its plane HW floats after lane 0's
  const __m512i cl = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                        _mm512_set1_epi32(s.HW));
  __m512i offs[16];
  for (int i = 0; i < 4; ++i)
    for (int q = 0; q < 4; ++q) offs[4 * i + q] = _mm512_add_epi32(cl, _mm512_set1_epi32(i * s.W + q));
  for (int64_t g = gb; g < ge; ++g) {
    const int64_t c0 = g * 16;
    const __mmask16 cm = lanes_below(s.C - c0);
    const float* xg = x + c0 * s.HW;
    float* vg = V + (c0 / NR) * bss + c0 % NR;
    for (int64_t j = 0; j < nt; ++j) {
      const float* xj = xg + pt.xoff[j];
      __m512 d[16], v[16];
      if (pt.inner[j]) {
        for (int k = 0; k < 16; ++k) d[k] = _mm512_mask_i32gather_ps(zero, cm, offs[k], xj, 4);
      } else {
        const int ih0 = pt.oh[j] - s.PT, iw0 = pt.ow[j] - s.PL;
        for (int i = 0; i < 4; ++i)
          for (int q = 0; q < 4; ++q) {
            const bool in = ih0 + i >= 0 && ih0 + i < s.H && iw0 + q >= 0 && iw0 + q < s.W;
            d[4 * i + q] = in ? _mm512_mask_i32gather_ps(zero, cm, offs[4 * i + q], xj, 4) : zero;
          }
      }
      for (int k = 0; k < 16; ++k) mag = umax(mag, _mm512_and_si512(_mm512_castps_si512(d[k]), absmask));
      wino_input_sums(d, v, add16, sub16);
      float* vj = vg + j * NR;
      for (int xi = 0; xi < 16; ++xi) _mm512_storeu_ps(vj + xi * vstride, v[xi]);
    }
  }
  return max_ok(mag);
}

bool wino_fg_dy_avx512(const ConvShape& s, const float* dy, const PassTiles& pt, int64_t nt, int64_t pb, int64_t pe,
                       float* E, int64_t aps, int64_t estride, int MR) {
  const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
  __m512i mag = _mm512_setzero_si512();
  const __m512 zero = _mm512_setzero_ps();
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
  const auto neg = [&](__m512 v) { return _mm512_xor_ps(v, sign); };  // -v, as the scalar code's unary minus
  // lane r = output channel oc0 + r: its plane P floats after lane 0's
  const __m512i rl = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                        _mm512_set1_epi32(s.P));
  const __m512i o01 = _mm512_add_epi32(rl, _mm512_set1_epi32(1)), o10 = _mm512_add_epi32(rl, _mm512_set1_epi32(s.OW));
  const __m512i o11 = _mm512_add_epi32(o10, _mm512_set1_epi32(1));
  const __mmask16 sm = lanes_below(MR);
  for (int64_t pn = pb; pn < pe; ++pn) {
    const int64_t oc0 = pn * MR;
    const __mmask16 vm = lanes_below(std::min<int64_t>(MR, s.OC - oc0));
    const float* dp = dy + oc0 * s.P;
    float* ep = E + pn * aps;
    for (int64_t j = 0; j < nt; ++j) {
      const float* q = dp + pt.yoff[j];
      const bool right = pt.full[j] || pt.ow[j] + 1 < s.OW, down = pt.full[j] || pt.oh[j] + 1 < s.OH;
      const __m512 e00 = _mm512_mask_i32gather_ps(zero, vm, rl, q, 4);
      const __m512 e01 = right ? _mm512_mask_i32gather_ps(zero, vm, o01, q, 4) : zero;
      const __m512 e10 = down ? _mm512_mask_i32gather_ps(zero, vm, o10, q, 4) : zero;
      const __m512 e11 = right && down ? _mm512_mask_i32gather_ps(zero, vm, o11, q, 4) : zero;
      for (const __m512 e : {e00, e01, e10, e11})
        mag = umax(mag, _mm512_and_si512(_mm512_castps_si512(e), absmask));
      // rows: A e (4 x 2), then columns: (A e) A^T (4 x 4), the scalar code's operations
      const __m512 a[4][2] = {{e00, e01},
                              {_mm512_add_ps(e00, e10), _mm512_add_ps(e01, e11)},
                              {_mm512_sub_ps(e00, e10), _mm512_sub_ps(e01, e11)},
                              {neg(e10), neg(e11)}};
      float* dst = ep + j * MR;
      for (int i = 0; i < 4; ++i) {
        const __m512 u0 = a[i][0], u1 = a[i][1];
        _mm512_mask_storeu_ps(dst + (4 * i + 0) * estride, sm, u0);
        _mm512_mask_storeu_ps(dst + (4 * i + 1) * estride, sm, _mm512_add_ps(u0, u1));
        _mm512_mask_storeu_ps(dst + (4 * i + 2) * estride, sm, _mm512_sub_ps(u0, u1));
        _mm512_mask_storeu_ps(dst + (4 * i + 3) * estride, sm, neg(u1));
      }
    }
  }
  return max_ok(mag);
}

}  // namespace sp
#endif
