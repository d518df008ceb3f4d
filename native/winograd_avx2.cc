// The Winograd forward's transforms for AVX2 (conv_winograd.cc calls them after a run-time CPU
// check): winograd_avx512.cc's scheme on 8 tiles per vector (8 patch values read from rows of x
// split by shuffles, or by gathers, masked where a patch runs past x; the 2x2 outputs interleaved
// into two 16-float rows, each tile row's part stored under a mask). The sums are
// winograd_impl.h's, so the bits are the portable code's.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "fused_act_simd.h"
#include "winograd_impl.h"

namespace sp {

namespace {
const auto add8 = [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); };
const auto sub8 = [](__m256 a, __m256 b) { return _mm256_sub_ps(a, b); };
// Lanes l < n set (all bits), the rest clear.
inline __m256i lanes_below8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)std::min<int64_t>(n, 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// Every lane's magnitude bits within 2^50's (Inf and NaN lie above).
inline bool max_ok(__m256i mag) {
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), mag);
  return wino_magnitudes_ok(lanes, 8);
}
// r in [0, n) per lane, as a lane mask.
inline __m256i in_range(__m256i r, int n) {
  return _mm256_and_si256(_mm256_cmpgt_epi32(r, _mm256_set1_epi32(-1)), _mm256_cmpgt_epi32(_mm256_set1_epi32(n), r));
}

// winograd_impl.h's segments, 8 lanes a vector: a patch row's window is 18 floats, read as floats
// 0-15 and 2-17 (two masked loads each), split into even and odd floats.
// Lane k of the mask: bit k of bits set.
inline __m256i bit_lanes(uint64_t bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)(bits & 0xFF)), bit), bit);
}
// A segment's masks, made once per group: its lanes, and per patch row those of the loads of
// floats 0-7, 8-15, 2-9 and 10-17.
struct SegMasks {
  __m256 lanes;
  bool all;  // every lane
  __m256i load[4][4];
};
inline void seg_masks(const WinoSegWindows& g, SegMasks& m) {
  m.all = g.l0 == 0 && g.l1 == 8;
  m.lanes = _mm256_castsi256_ps(bit_lanes(((1u << g.l1) - 1u) & ~((1u << g.l0) - 1u)));
  for (int i = 0; i < 4; ++i) {
    const int shift[4] = {0, 8, 2, 10};
    for (int h = 0; h < 4; ++h) m.load[i][h] = bit_lanes(g.bits[i] >> shift[h]);
  }
}
// The even (odd) floats of a:b, in order.
inline __m256 evens(__m256 a, __m256 b) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
}
inline __m256 odds(__m256 a, __m256 b) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
}
// d[4i + q] of the lanes of nseg segments of channel xc (lanes in none: zero).
inline void wino_seg_load(const float* xc, const WinoSegWindows* sg, const SegMasks* sm, int nseg, __m256 d[16]) {
  for (int k = 0; k < 16; ++k) d[k] = _mm256_setzero_ps();
  for (int g = 0; g < nseg; ++g) {
    const SegMasks& m = sm[g];
    for (int i = 0; i < 4; ++i) {
      const float* w = xc + sg[g].at[i];
      const __m256 a = _mm256_maskload_ps(w, m.load[i][0]), b = _mm256_maskload_ps(w + 8, m.load[i][1]);
      const __m256 a2 = _mm256_maskload_ps(w + 2, m.load[i][2]), b2 = _mm256_maskload_ps(w + 10, m.load[i][3]);
      const __m256 q[4] = {evens(a, b), odds(a, b), evens(a2, b2), odds(a2, b2)};
      for (int qq = 0; qq < 4; ++qq) d[4 * i + qq] = m.all ? q[qq] : _mm256_blendv_ps(d[4 * i + qq], q[qq], m.lanes);
    }
  }
}
}  // namespace

bool wino_input_avx2(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t sb, int64_t se,
                     float* V, int64_t bss, int64_t vstride, int NR) {
  const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
  __m256i mag = _mm256_setzero_si256();
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t sl = sb; sl < se; ++sl)
    for (int64_t j0 = sl * NR; j0 < (sl + 1) * NR; j0 += 8) {
      float* vb = V + (sl - sb) * bss + j0 % NR;
      const int64_t nv = std::min<int64_t>(8, nt - j0);
      if (nv <= 0) {
        for (int c = 0; c < s.C; ++c)
          for (int xi = 0; xi < 16; ++xi) _mm256_storeu_ps(vb + xi * vstride + (int64_t)c * NR, zero);
        continue;
      }
      alignas(32) int32_t rel[8], ih[8], iw[8];
      const bool inner = wino_lanes(s, pt, j0, nv, 8, rel, ih, iw);
      const __m256i off = _mm256_load_si256(reinterpret_cast<const __m256i*>(rel));
      __m256i offs[16];
      __m256 m[16] = {};
      for (int i = 0; i < 4; ++i)
        for (int q = 0; q < 4; ++q) offs[4 * i + q] = _mm256_add_epi32(off, _mm256_set1_epi32(i * s.W + q));
      if (!inner) {
        const __m256i ihv = _mm256_load_si256(reinterpret_cast<const __m256i*>(ih));
        const __m256i iwv = _mm256_load_si256(reinterpret_cast<const __m256i*>(iw));
        __m256i rok[4], cok[4];
        for (int i = 0; i < 4; ++i) {
          rok[i] = _mm256_and_si256(lanes_below8(nv), in_range(_mm256_add_epi32(ihv, _mm256_set1_epi32(i)), s.H));
          cok[i] = in_range(_mm256_add_epi32(iwv, _mm256_set1_epi32(i)), s.W);
        }
        for (int i = 0; i < 4; ++i)
          for (int q = 0; q < 4; ++q) m[4 * i + q] = _mm256_castsi256_ps(_mm256_and_si256(rok[i], cok[q]));
      }
      const float* xg = x + pt.xoff[j0];
      int32_t lo;
      const int64_t span = wino_span(rel, nv, s, lo);
      WinoSegWindows sg[kWinoMaxSegs];
      SegMasks sm[kWinoMaxSegs];
      const int nseg = wino_seg_windows(s, rel, ih, iw, nv, sg);
      for (int g = 0; g < nseg; ++g) seg_masks(sg[g], sm[g]);
      for (int c = 0; c < s.C; ++c) {
        const float* xc = xg + (int64_t)c * s.HW;
        wino_fetch_ahead(xg, s, c, lo, span);
        __m256 d[16], v[16];
        if (nseg) {
          wino_seg_load(xc, sg, sm, nseg, d);
          if (!inner)
            for (int k = 0; k < 16; ++k) d[k] = _mm256_and_ps(d[k], m[k]);
        } else if (inner)
          for (int k = 0; k < 16; ++k) d[k] = _mm256_i32gather_ps(xc, offs[k], 4);
        else
          for (int k = 0; k < 16; ++k) d[k] = _mm256_mask_i32gather_ps(zero, xc, offs[k], m[k], 4);
        for (int k = 0; k < 16; ++k) mag = _mm256_max_epu32(mag, _mm256_and_si256(_mm256_castps_si256(d[k]), absmask));
        wino_input_sums(d, v, add8, sub8);
        float* vc = vb + (int64_t)c * NR;
        for (int xi = 0; xi < 16; ++xi) _mm256_storeu_ps(vc + xi * vstride, v[xi]);
      }
    }
  return max_ok(mag);
}

namespace {
// The 2x2 outputs o[0..3] of group g's 8 tiles (o[k] lane l: output k of tile l) stored into the
// channel plane yc, tile row by tile row (wino_segments).
inline void store_group(const ConvShape& s, const std::vector<WinoSeg>& segs, const std::vector<int>& first, int64_t g,
                        const __m256 o[4], float* yc) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const auto mask = [&](uint32_t bits) {
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), bit), bit);
  };
  // a0 b0 a1 b1 a2 b2 a3 b3 | a4 b4 ... a7 b7
  const __m256 ul = _mm256_unpacklo_ps(o[0], o[1]), uh = _mm256_unpackhi_ps(o[0], o[1]);
  const __m256 dl = _mm256_unpacklo_ps(o[2], o[3]), dh = _mm256_unpackhi_ps(o[2], o[3]);
  const __m256 u0 = _mm256_permute2f128_ps(ul, uh, 0x20), u1 = _mm256_permute2f128_ps(ul, uh, 0x31);
  const __m256 d0 = _mm256_permute2f128_ps(dl, dh, 0x20), d1 = _mm256_permute2f128_ps(dl, dh, 0x31);
  for (int k = first[(size_t)g]; k < first[(size_t)g + 1]; ++k) {
    const WinoSeg& sg = segs[(size_t)k];
    const __m256i k0 = mask(sg.bits & 0xFF), k1 = mask(sg.bits >> 8);
    float* yo = yc + sg.at;
    _mm256_maskstore_ps(yo, k0, u0);
    _mm256_maskstore_ps(yo + 8, k1, u1);
    if (sg.down) {
      _mm256_maskstore_ps(yo + s.OW, k0, d0);
      _mm256_maskstore_ps(yo + s.OW + 8, k1, d1);
    }
  }
}
}  // namespace

void wino_output_avx2(const ConvShape& s, const PassTiles& pt, const float* M, int64_t mstride, int64_t ldm,
                      int64_t r0, int64_t rows, int64_t c0, int64_t cn, const float* b, float* y, int act,
                      float alpha, float* loc, int64_t ldl) {
  const __m256 va = _mm256_set1_ps(alpha);
  static thread_local std::vector<WinoSeg> segs;
  static thread_local std::vector<int> first;
  if (!loc) wino_segments(s, pt, c0, cn, 8, segs, first);
  const int64_t ngroups = (cn + 7) / 8, q = ldl / 4;
  for (int64_t rr = 0; rr < rows; ++rr) {
    // loc: the columns past the last group's up to q are zeros (a product over all q reads them)
    if (loc)
      for (int64_t j = ngroups * 8; j < q; j += 8)
        for (int k = 0; k < 4; ++k) _mm256_storeu_ps(loc + rr * ldl + k * q + j, _mm256_setzero_ps());
    const int64_t oc = r0 + rr;
    const __m256 bias = _mm256_set1_ps(b ? b[oc] : 0.f);
    const float* mo = M + rr * ldm;
    for (int64_t g = 0; g < ngroups; ++g) {
      const __m256i valid = lanes_below8(cn - g * 8);
      __m256 m[16], o[4];
      for (int xi = 0; xi < 16; ++xi) m[xi] = _mm256_maskload_ps(mo + xi * mstride + g * 8, valid);
      wino_output_sums(m, bias, o, add8, sub8);
      if (act >= 0)
        for (int k = 0; k < 4; ++k) o[k] = act8(o[k], act, va);
      if (loc)
        for (int k = 0; k < 4; ++k) _mm256_storeu_ps(loc + rr * ldl + k * q + g * 8, o[k]);
      else
        store_group(s, segs, first, g, o, y + oc * s.P);
    }
  }
}

void wino_store_avx2(const ConvShape& s, const PassTiles& pt, const float* Z, int64_t ldz, int64_t rows, int64_t c0,
                     int64_t cn, float* y) {
  static thread_local std::vector<WinoSeg> segs;
  static thread_local std::vector<int> first;
  wino_segments(s, pt, c0, cn, 8, segs, first);
  const int64_t ngroups = (cn + 7) / 8, q = ldz / 4;
  for (int64_t rr = 0; rr < rows; ++rr)
    for (int64_t g = 0; g < ngroups; ++g) {
      __m256 o[4];
      for (int k = 0; k < 4; ++k) o[k] = _mm256_loadu_ps(Z + rr * ldz + k * q + g * 8);
      store_group(s, segs, first, g, o, y + rr * s.P);
    }
}

bool wino_fg_input_avx2(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t gb, int64_t ge,
                        float* V, int64_t bss, int64_t vstride, int NR) {
  const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
  __m256i mag = _mm256_setzero_si256();
  const __m256 zero = _mm256_setzero_ps();
  // lane l = channel c0 + l: its plane HW floats after lane 0's
  const __m256i cl = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(s.HW));
  __m256i offs[16];
  for (int i = 0; i < 4; ++i)
    for (int q = 0; q < 4; ++q) offs[4 * i + q] = _mm256_add_epi32(cl, _mm256_set1_epi32(i * s.W + q));
  for (int64_t g = gb; g < ge; ++g) {
    const int64_t c0 = g * 8;
    const __m256 cm = _mm256_castsi256_ps(lanes_below8(s.C - c0));
    const float* xg = x + c0 * s.HW;
    float* vg = V + (c0 / NR) * bss + c0 % NR;
    for (int64_t j = 0; j < nt; ++j) {
      const float* xj = xg + pt.xoff[j];
      const int ih0 = pt.oh[j] - s.PT, iw0 = pt.ow[j] - s.PL;
      __m256 d[16], v[16];
      for (int i = 0; i < 4; ++i)
        for (int q = 0; q < 4; ++q) {
          const bool in = pt.inner[j] || (ih0 + i >= 0 && ih0 + i < s.H && iw0 + q >= 0 && iw0 + q < s.W);
          d[4 * i + q] = in ? _mm256_mask_i32gather_ps(zero, xj, offs[4 * i + q], cm, 4) : zero;
        }
      for (int k = 0; k < 16; ++k) mag = _mm256_max_epu32(mag, _mm256_and_si256(_mm256_castps_si256(d[k]), absmask));
      wino_input_sums(d, v, add8, sub8);
      float* vj = vg + j * NR;
      for (int xi = 0; xi < 16; ++xi) _mm256_storeu_ps(vj + xi * vstride, v[xi]);
    }
  }
  return max_ok(mag);
}

bool wino_fg_dy_avx2(const ConvShape& s, const float* dy, const PassTiles& pt, int64_t nt, int64_t pb, int64_t pe,
                     float* E, int64_t aps, int64_t estride, int MR) {
  const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
  __m256i mag = _mm256_setzero_si256();
  const __m256 zero = _mm256_setzero_ps();
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
  const auto neg = [&](__m256 v) { return _mm256_xor_ps(v, sign); };  // -v, as the scalar code's unary minus
  // lane r = output channel oc0 + r: its plane P floats after lane 0's
  const __m256i rl = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(s.P));
  const __m256i o01 = _mm256_add_epi32(rl, _mm256_set1_epi32(1)), o10 = _mm256_add_epi32(rl, _mm256_set1_epi32(s.OW));
  const __m256i o11 = _mm256_add_epi32(o10, _mm256_set1_epi32(1));
  const __m256i sm = lanes_below8(MR);
  for (int64_t pn = pb; pn < pe; ++pn) {
    const int64_t oc0 = pn * MR;
    const __m256 vm = _mm256_castsi256_ps(lanes_below8(std::min<int64_t>(MR, s.OC - oc0)));
    const float* dp = dy + oc0 * s.P;
    float* ep = E + pn * aps;
    for (int64_t j = 0; j < nt; ++j) {
      const float* q = dp + pt.yoff[j];
      const bool right = pt.full[j] || pt.ow[j] + 1 < s.OW, down = pt.full[j] || pt.oh[j] + 1 < s.OH;
      const __m256 e00 = _mm256_mask_i32gather_ps(zero, q, rl, vm, 4);
      const __m256 e01 = right ? _mm256_mask_i32gather_ps(zero, q, o01, vm, 4) : zero;
      const __m256 e10 = down ? _mm256_mask_i32gather_ps(zero, q, o10, vm, 4) : zero;
      const __m256 e11 = right && down ? _mm256_mask_i32gather_ps(zero, q, o11, vm, 4) : zero;
      for (const __m256 e : {e00, e01, e10, e11})
        mag = _mm256_max_epu32(mag, _mm256_and_si256(_mm256_castps_si256(e), absmask));
      // rows: A e (4 x 2), then columns: (A e) A^T (4 x 4), the scalar code's operations
      const __m256 a[4][2] = {{e00, e01},
                              {_mm256_add_ps(e00, e10), _mm256_add_ps(e01, e11)},
                              {_mm256_sub_ps(e00, e10), _mm256_sub_ps(e01, e11)},
                              {neg(e10), neg(e11)}};
      float* dst = ep + j * MR;
      for (int i = 0; i < 4; ++i) {
        const __m256 u0 = a[i][0], u1 = a[i][1];
        _mm256_maskstore_ps(dst + (4 * i + 0) * estride, sm, u0);
        _mm256_maskstore_ps(dst + (4 * i + 1) * estride, sm, _mm256_add_ps(u0, u1));
        _mm256_maskstore_ps(dst + (4 * i + 2) * estride, sm, _mm256_sub_ps(u0, u1));
        _mm256_maskstore_ps(dst + (4 * i + 3) * estride, sm, neg(u1));
      }
    }
  }
  return max_ok(mag);
}

}  // namespace sp
#endif
