// The transposing packs of the x86 GEMM microkernels (gemm_avx2.cc, gemm_avx512.cc): op(A) by rows
// into MR-row panels, op(B) by columns into NR-wide slivers, as 8-row x 8-k blocks transposed in
// registers (AVX shuffles) instead of one float at a time. Included only by translation units
// compiled with at least -mavx2 (internal linkage: each ISA build keeps its own copy).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace sp {
namespace {

// 8x8 transpose: on return r[j] = (r_0[j], ..., r_7[j]).
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// gemm_fma_rate's loop (GemmFmaChainsFn) on vectors V: CHAINS chains acc = acc * m + c, each from
// its own start (so no two are the same computation); acc stays near 1 (m < 1), never denormal or
// infinite. Returns lane 0 of their sum.
template <int CHAINS, class V, class Set1, class Fma, class Add>
inline float fma_chains_loop(int64_t iters, Set1 set1, Fma fma, Add add) {
  V acc[CHAINS];
  for (int i = 0; i < CHAINS; ++i) acc[i] = set1(1.f + 0.001f * (float)i);
  const V m = set1(0.999f), c = set1(0.001f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < CHAINS; ++i) acc[i] = fma(acc[i], m, c);
  }
  V sum = acc[0];
  for (int i = 1; i < CHAINS; ++i) sum = add(sum, acc[i]);
  float lane0;
  std::memcpy(&lane0, &sum, sizeof lane0);
  return lane0;
}

// Fetches the n floats at p into L1, a line at a time: copy_b asks for the row of B 4 rows ahead
// of the one it copies (the rows of a map's channels, ldb apart, are short runs the hardware
// prefetchers pick up late; 1.02-1.09x on 768 -> 77 and 384 -> 26 pointwise layers with x out of
// cache).
inline void prefetch_row(const float* p, int n) {
  for (int j = 0; j < n; j += 16) _mm_prefetch((const char*)(p + j), _MM_HINT_T0);
}

// dst[k*R + r] = rows[r][k] (zero for r >= nrows), in 8-row x 8-k transposed blocks; W (8 or 6)
// lanes of each block are stored.
template <int R>
inline void pack_rows_avx(const float* const* rows, int nrows, int kc, float* dst) {
  static const float zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int kv = kc & ~7;
  for (int r0 = 0; r0 < R; r0 += 8) {
    const int w = R - r0 < 8 ? R - r0 : 8;
    const float* p[8];
    int step[8];
    for (int r = 0; r < 8; ++r) {
      const bool live = r0 + r < nrows && r < w;
      p[r] = live ? rows[r0 + r] : zeros;
      step[r] = live ? 8 : 0;
    }
    for (int k = 0; k < kv; k += 8) {
      __m256 v[8];
      for (int r = 0; r < 8; ++r) v[r] = _mm256_loadu_ps(p[r] + (step[r] ? k : 0));
      transpose8(v);
      float* d = dst + (int64_t)k * R + r0;
      if (w == 8) {
        for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + (int64_t)j * R, v[j]);
      } else if (w == 6) {
        for (int j = 0; j < 8; ++j) {
          _mm_storeu_ps(d + (int64_t)j * R, _mm256_castps256_ps128(v[j]));
          _mm_storel_pi((__m64*)(d + (int64_t)j * R + 4), _mm256_extractf128_ps(v[j], 1));
        }
      } else {  // w == 4 (the last rows of a 12-row panel)
        for (int j = 0; j < 8; ++j) _mm_storeu_ps(d + (int64_t)j * R, _mm256_castps256_ps128(v[j]));
      }
    }
  }
  for (int k = kv; k < kc; ++k) {
    float* d = dst + (int64_t)k * R;
    int r = 0;
    for (; r < nrows; ++r) d[r] = rows[r][k];
    for (; r < R; ++r) d[r] = 0.f;
  }
}

}  // namespace
}  // namespace sp
