// The Winograd forward's transforms for AVX2 (conv_winograd.cc calls them after a run-time CPU
// check): winograd_avx512.cc's scheme on 8 tiles per vector (gathers of 8 patch values, masked
// where a patch runs past x; the 2x2 outputs interleaved into two 16-float rows, each tile row's
// part stored under a mask). The sums are winograd_impl.h's, so the bits are the portable code's.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "fused_act_simd.h"
#include "winograd_impl.h"

namespace sp {

namespace {
constexpr float kWinoMax = 1125899906842624.f;  // 2^50, as conv_winograd.cc
const auto add8 = [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); };
const auto sub8 = [](__m256 a, __m256 b) { return _mm256_sub_ps(a, b); };
// Lanes l < n set (all bits), the rest clear.
inline __m256i lanes_below8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)std::min<int64_t>(n, 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// r in [0, n) per lane, as a lane mask.
inline __m256i in_range(__m256i r, int n) {
  return _mm256_and_si256(_mm256_cmpgt_epi32(r, _mm256_set1_epi32(-1)), _mm256_cmpgt_epi32(_mm256_set1_epi32(n), r));
}
}  // namespace

bool wino_input_avx2(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t sb, int64_t se,
                     float* V, int64_t bss, int64_t vstride, int NR) {
  const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
  __m256i mag = _mm256_setzero_si256();
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t sl = sb; sl < se; ++sl)
    for (int64_t j0 = sl * NR; j0 < (sl + 1) * NR; j0 += 8) {
      float* vb = V + sl * bss + j0 % NR;
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
      __m256 m[16];
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
      for (int c = 0; c < s.C; ++c) {
        const float* xc = xg + (int64_t)c * s.HW;
        __m256 d[16], v[16];
        if (inner)
          for (int k = 0; k < 16; ++k) d[k] = _mm256_i32gather_ps(xc, offs[k], 4);
        else
          for (int k = 0; k < 16; ++k) d[k] = _mm256_mask_i32gather_ps(zero, xc, offs[k], m[k], 4);
        for (int k = 0; k < 16; ++k) mag = _mm256_max_epu32(mag, _mm256_and_si256(_mm256_castps_si256(d[k]), absmask));
        wino_input_sums(d, v, add8, sub8);
        float* vc = vb + (int64_t)c * NR;
        for (int xi = 0; xi < 16; ++xi) _mm256_storeu_ps(vc + xi * vstride, v[xi]);
      }
    }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), mag);
  uint32_t top = 0, lim;
  for (uint32_t v : lanes) top = std::max(top, v);
  std::memcpy(&lim, &kWinoMax, sizeof lim);
  return top <= lim;
}

void wino_output_avx2(const ConvShape& s, const PassTiles& pt, const float* M, int64_t mstride, int64_t ldm,
                      int64_t r0, int64_t rows, int64_t c0, int64_t cn, const float* b, float* y, int act,
                      float alpha) {
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const auto mask = [&](uint32_t bits) {
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), bit), bit);
  };
  static thread_local std::vector<WinoSeg> segs;
  static thread_local std::vector<int> first;
  wino_segments(s, pt, c0, cn, 8, segs, first);
  const int64_t ngroups = (cn + 7) / 8;
  for (int64_t rr = 0; rr < rows; ++rr) {
    const int64_t oc = r0 + rr;
    const __m256 bias = _mm256_set1_ps(b ? b[oc] : 0.f);
    float* yc = y + oc * s.P;
    const float* mo = M + rr * ldm;
    for (int64_t g = 0; g < ngroups; ++g) {
      const __m256i valid = lanes_below8(cn - g * 8);
      __m256 m[16], o[4];
      for (int xi = 0; xi < 16; ++xi) m[xi] = _mm256_maskload_ps(mo + xi * mstride + g * 8, valid);
      wino_output_sums(m, bias, o, add8, sub8);
      if (act >= 0)
        for (int k = 0; k < 4; ++k) o[k] = act8(o[k], act, va);
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
  }
}

}  // namespace sp
#endif
