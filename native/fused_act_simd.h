// The fused activations (fused_act.h's forms: NaN passes, -0 stays) on whole vector registers,
// for the kernels built for AVX2 (act8) and AVX-512 (act16): the GEMM microkernels' epilogues and
// the depthwise masked runs. Internal linkage: each ISA build keeps its own copy.
#pragma once
#if defined(__AVX2__)
#include <immintrin.h>

#include "kernels.h"

namespace sp {
namespace {

// v after the fused activation `act` (< 0: none).
inline __m256 act8(__m256 v, int act, __m256 va) {
  const __m256 z = _mm256_setzero_ps();
  const __m256 neg = _mm256_cmp_ps(v, z, _CMP_LT_OQ);
  switch (act) {
    case ACT_RELU:
      return _mm256_blendv_ps(v, z, neg);
    case ACT_LEAKY_RELU:
      return _mm256_blendv_ps(v, _mm256_mul_ps(va, v), neg);
    case ACT_RELU6: {
      const __m256 six = _mm256_set1_ps(6.f), t = _mm256_blendv_ps(v, z, neg);
      return _mm256_blendv_ps(t, six, _mm256_cmp_ps(t, six, _CMP_GT_OQ));
    }
    default:
      return v;
  }
}

#if defined(__AVX512F__)
// v after the fused activation `act` (< 0: none).
inline __m512 act16(__m512 v, int act, __m512 va) {
  const __m512 z = _mm512_setzero_ps();
  const __mmask16 neg = _mm512_cmp_ps_mask(v, z, _CMP_LT_OQ);
  switch (act) {
    case ACT_RELU:
      return _mm512_mask_blend_ps(neg, v, z);
    case ACT_LEAKY_RELU:
      return _mm512_mask_blend_ps(neg, v, _mm512_mul_ps(va, v));
    case ACT_RELU6: {
      const __m512 six = _mm512_set1_ps(6.f), t = _mm512_mask_blend_ps(neg, v, z);
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, six, _CMP_GT_OQ), t, six);
    }
    default:
      return v;
  }
}
#endif

}  // namespace
}  // namespace sp
#endif
