// The per-channel bodies of batch_norm_act_train_forward and batch_norm_act_backward (see those
// files), compiled three times: for generic x86-64 there and for AVX2 / AVX-512 in norm_avx2.cc /
// norm_avx512.cc, which only widen the vectors of their loops (the same lanes, in the same order).
// Those files are built with -ffp-contract=off (CMakeLists.txt, bindings.gyp), so no multiply-add
// is fused and every ISA gives the same bits, and the AVX-512 one with -mprefer-vector-width=512
// (GCC's default for it is 256-bit vectors).
#pragma once
#include <cmath>
#include <cstdint>
#if defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cpu.h"
#include "fused_act.h"
#include "sum_util.h"

namespace sp {
namespace {

// act(v) as fused_act_inplace's forms (NaN passes; -0 stays), written as selects of values
// computed unconditionally so that the normalising loop stays one vectorised map.
template <int KIND>
inline float act_select(float v, float alpha) {
  if constexpr (KIND == ACT_RELU) return v < 0.f ? 0.f : v;
  if constexpr (KIND == ACT_LEAKY_RELU) {
    const float m = alpha * v;
    return v < 0.f ? m : v;
  }
  if constexpr (KIND == ACT_RELU6) return v < 0.f ? 0.f : v > 6.f ? 6.f : v;
  return v;
}

// y = act((x - mean) * a + b), the affine part in double, rounded once. The AVX-512 build
// vectorises the activation's selects within the same loop (1.3-1.9x over the SSE2 kernel);
// SSE2 and AVX2 builds did not (0.7-0.8x), so they apply fused_act_inplace to the row after it.
template <int KIND>
inline void normalize_row(const float* xp, float* yp, int64_t n, double mean, double a, double b, float alpha) {
#if defined(__AVX512F__)
  for (int64_t i = 0; i < n; ++i) yp[i] = act_select<KIND>((float)(((double)xp[i] - mean) * a + b), alpha);
#else
  for (int64_t i = 0; i < n; ++i) yp[i] = (float)(((double)xp[i] - mean) * a + b);
  fused_act_inplace(yp, n, KIND, alpha);
#endif
}

inline void bn_act_train_channels_impl(const float* x, const float* scale, const float* bias, float* y,
                                       float* saved_mean, float* saved_invstd, float* running_mean,
                                       float* running_var, const int32_t* p, float eps, float momentum, float alpha,
                                       int64_t c0, int64_t c1) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int kind = p[3];
  const int64_t M = N * HW;
  for (int64_t c = c0; c < c1; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < N; ++n) sum += sum_f32(x + (n * C + c) * HW, HW);
    const double mean = M ? sum / (double)M : 0.0;
    const float meanf = (float)mean;
    double ss = 0;
    for (int64_t n = 0; n < N; ++n) ss += sum_sq_dev_f32(x + (n * C + c) * HW, HW, mean);
    const double var = M ? ss / (double)M : 0.0;
    const double invstd = 1.0 / std::sqrt(var + (double)eps);
    saved_mean[c] = meanf;
    saved_invstd[c] = (float)invstd;
    if (M) {
      running_mean[c] = running_mean[c] * momentum + meanf * (1.0f - momentum);
      running_var[c] = running_var[c] * momentum + (float)var * (1.0f - momentum);
    }
    // x - mean in double: when a channel's spread is tiny next to its mean, subtracting the
    // float-rounded mean would leave mostly rounding error for invstd to amplify.
    const double a = invstd * (double)scale[c], b = bias[c];
    const auto row = kind == ACT_RELU ? normalize_row<ACT_RELU>
                     : kind == ACT_LEAKY_RELU ? normalize_row<ACT_LEAKY_RELU>
                     : kind == ACT_RELU6 ? normalize_row<ACT_RELU6> : normalize_row<ACT_NONE>;
    for (int64_t n = 0; n < N; ++n) row(x + (n * C + c) * HW, y + (n * C + c) * HW, HW, mean, a, b, alpha);
  }
}

template <int KIND>
inline float act_grad(float y, float dy, float alpha) {
  if constexpr (KIND == ACT_RELU) return y > 0.f ? dy : 0.f;
  if constexpr (KIND == ACT_LEAKY_RELU) return y > 0.f ? dy : alpha * dy;
  if constexpr (KIND == ACT_RELU6) return (y > 0.f && y < 6.f) ? dy : 0.f;
  return dy;
}

#if defined(__SSE2__)
// The activation's gradient of 4 lanes as a mask select (the scalar act_grad's values exactly:
// a dropped lane is +0, NaN compares false).
template <int KIND>
inline __m128 act_grad4(__m128 y, __m128 dy, __m128 alpha) {
  const __m128 zero = _mm_setzero_ps();
  if constexpr (KIND == ACT_RELU) return _mm_and_ps(_mm_cmpgt_ps(y, zero), dy);
  if constexpr (KIND == ACT_LEAKY_RELU) {
    const __m128 m = _mm_cmpgt_ps(y, zero);
    return _mm_or_ps(_mm_and_ps(m, dy), _mm_andnot_ps(m, _mm_mul_ps(alpha, dy)));
  }
  if constexpr (KIND == ACT_RELU6)
    return _mm_and_ps(_mm_and_ps(_mm_cmpgt_ps(y, zero), _mm_cmplt_ps(y, _mm_set1_ps(6.f))), dy);
  return dy;
}
#endif

// One image's row of a channel, in one pass: dz = dy * act'(y) stored to dz_out (nothing stored
// with ACT_NONE: dz is dy), and sdz += sum dz, sdzx += sum dz * (x - mean), each over kSumLanes
// double lanes with sum_f32 / dot_dev_f32's lane assignment and final order (element i in lane
// i % 8 of its block; a separate multiply and add, never fused), so SSE2 and scalar agree bit for
// bit. The select is branch-free: a branch per element mispredicts on real gradients.
template <int KIND>
void row_grad_sums(const float* x, const float* y, const float* dy, float* dz_out, int64_t n, double mean,
                   float alpha, double& sdz, double& sdzx) {
  double a[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0}, b[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
#if defined(__AVX512F__)
  {
    // the 8 lanes in one register each; 16 elements per step, the second 8 after the first
    const __m512 va = _mm512_set1_ps(alpha), z = _mm512_setzero_ps();
    const __m512d vm = _mm512_set1_pd(mean);
    __m512d sa = _mm512_setzero_pd(), sb = _mm512_setzero_pd();
    for (; i + 2 * kSumLanes <= n; i += 2 * kSumLanes) {
      const float* gp = dy + i;  // dz of the 16 elements: dy itself, or its activation's gradient in dz_out
      if constexpr (KIND != ACT_NONE) {
        __m512 g = _mm512_loadu_ps(dy + i);
        const __m512 yv = _mm512_loadu_ps(y + i);
        const __mmask16 pos = _mm512_cmp_ps_mask(yv, z, _CMP_GT_OQ);
        if constexpr (KIND == ACT_RELU) g = _mm512_maskz_mov_ps(pos, g);
        if constexpr (KIND == ACT_LEAKY_RELU) g = _mm512_mask_blend_ps(pos, _mm512_mul_ps(va, g), g);
        if constexpr (KIND == ACT_RELU6)
          g = _mm512_maskz_mov_ps(pos & _mm512_cmp_ps_mask(yv, _mm512_set1_ps(6.f), _CMP_LT_OQ), g);
        _mm512_storeu_ps(dz_out + i, g);
        gp = dz_out + i;
      }
      // (the zero-masked conversion: GCC 12 warns about the plain one's undefined pass-through)
      const auto cvt = [](const float* v) { return _mm512_maskz_cvtps_pd(0xFF, _mm256_loadu_ps(v)); };
      const __m512d g0 = cvt(gp), g1 = cvt(gp + 8), x0 = cvt(x + i), x1 = cvt(x + i + 8);
      sa = _mm512_add_pd(sa, g0);
      sb = _mm512_add_pd(sb, _mm512_mul_pd(g0, _mm512_sub_pd(x0, vm)));
      sa = _mm512_add_pd(sa, g1);
      sb = _mm512_add_pd(sb, _mm512_mul_pd(g1, _mm512_sub_pd(x1, vm)));
    }
    _mm512_storeu_pd(a, sa);
    _mm512_storeu_pd(b, sb);
  }
#elif defined(__SSE2__)
  {
    const __m128 va = _mm_set1_ps(alpha);
    const __m128d vm = _mm_set1_pd(mean);
    __m128d a0 = _mm_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (; i + kSumLanes <= n; i += kSumLanes) {
      __m128 g0 = _mm_loadu_ps(dy + i), g1 = _mm_loadu_ps(dy + i + 4);
      if constexpr (KIND != ACT_NONE) {
        g0 = act_grad4<KIND>(_mm_loadu_ps(y + i), g0, va);
        g1 = act_grad4<KIND>(_mm_loadu_ps(y + i + 4), g1, va);
        _mm_storeu_ps(dz_out + i, g0);
        _mm_storeu_ps(dz_out + i + 4, g1);
      }
      const __m128 x0 = _mm_loadu_ps(x + i), x1 = _mm_loadu_ps(x + i + 4);
      const __m128d g00 = _mm_cvtps_pd(g0), g01 = _mm_cvtps_pd(_mm_movehl_ps(g0, g0));
      const __m128d g10 = _mm_cvtps_pd(g1), g11 = _mm_cvtps_pd(_mm_movehl_ps(g1, g1));
      a0 = _mm_add_pd(a0, g00);
      a1 = _mm_add_pd(a1, g01);
      a2 = _mm_add_pd(a2, g10);
      a3 = _mm_add_pd(a3, g11);
      b0 = _mm_add_pd(b0, _mm_mul_pd(g00, _mm_sub_pd(_mm_cvtps_pd(x0), vm)));
      b1 = _mm_add_pd(b1, _mm_mul_pd(g01, _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(x0, x0)), vm)));
      b2 = _mm_add_pd(b2, _mm_mul_pd(g10, _mm_sub_pd(_mm_cvtps_pd(x1), vm)));
      b3 = _mm_add_pd(b3, _mm_mul_pd(g11, _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(x1, x1)), vm)));
    }
    _mm_storeu_pd(a, a0);
    _mm_storeu_pd(a + 2, a1);
    _mm_storeu_pd(a + 4, a2);
    _mm_storeu_pd(a + 6, a3);
    _mm_storeu_pd(b, b0);
    _mm_storeu_pd(b + 2, b1);
    _mm_storeu_pd(b + 4, b2);
    _mm_storeu_pd(b + 6, b3);
  }
#endif
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int j = 0; j < kSumLanes; ++j) {
      const float g = act_grad<KIND>(KIND == ACT_NONE ? 0.f : y[i + j], dy[i + j], alpha);
      if (KIND != ACT_NONE) dz_out[i + j] = g;
      a[j] += (double)g;
      b[j] += (double)g * ((double)x[i + j] - mean);
    }
  for (int j = 0; i < n; ++i, ++j) {
    const float g = act_grad<KIND>(KIND == ACT_NONE ? 0.f : y[i], dy[i], alpha);
    if (KIND != ACT_NONE) dz_out[i] = g;
    a[j] += (double)g;
    b[j] += (double)g * ((double)x[i] - mean);
  }
  sdz += lanes_total(a);
  sdzx += lanes_total(b);
}

using RowFn = void (*)(const float*, const float*, const float*, float*, int64_t, double, float, double&, double&);

RowFn row_fn(int kind) {
  switch (kind) {
    case ACT_RELU:
      return row_grad_sums<ACT_RELU>;
    case ACT_LEAKY_RELU:
      return row_grad_sums<ACT_LEAKY_RELU>;
    case ACT_RELU6:
      return row_grad_sums<ACT_RELU6>;
    default:
      return row_grad_sums<ACT_NONE>;
  }
}

// The per-channel body of batch_norm_act_backward (see that file) over channels [c0, c1).
inline void bn_act_backward_channels_impl(const float* x, const float* y, const float* dy, const float* scale,
                                          const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                                          float* dbias, const int32_t* p, float alpha, int64_t c0, int64_t c1) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int kind = p[3];
  const int64_t M = N * HW;
  const float* dz = kind == ACT_NONE ? dy : dx;  // where dz rows are read from
  const RowFn row = row_fn(kind);
  for (int64_t c = c0; c < c1; ++c) {
    const float mean = saved_mean[c], invstd = saved_invstd[c];
    double sdy = 0, sdyx = 0;
    for (int64_t n = 0; n < N; ++n) {
      const int64_t o = (n * C + c) * HW;
      row(x + o, kind == ACT_NONE ? nullptr : y + o, dy + o, dx + o, HW, mean, alpha, sdy, sdyx);
    }
    const double ds = sdyx * invstd;  // sum dz * xhat
    dbias[c] = (float)sdy;
    dscale[c] = (float)ds;
    if (!M) continue;
    // dx = k * (dz - mdy - xhat * mdsx), k = scale * invstd, mdy = dbias / M, mdsx = dscale / M.
    const float k = scale[c] * invstd;
    const float mdy = (float)(sdy / (double)M), mds = (float)(ds / (double)M);
    for (int64_t n = 0; n < N; ++n) {
      const float* xp = x + (n * C + c) * HW;
      const float* gp = dz + (n * C + c) * HW;
      float* dp = dx + (n * C + c) * HW;
      for (int64_t i = 0; i < HW; ++i) dp[i] = k * (gp[i] - mdy - (xp[i] - mean) * invstd * mds);
    }
  }
}

}  // namespace
}  // namespace sp

// The exported entries of one ISA's copy: <prefix>_train_channels_<isa> and <prefix>_backward_channels_<isa>.
#define SP_NORM_DEFINE(isa)                                                                                        \
  namespace sp {                                                                                                  \
  void bn_act_train_channels_##isa(const float* x, const float* scale, const float* bias, float* y,              \
                                   float* saved_mean, float* saved_invstd, float* running_mean, float* running_var, \
                                   const int32_t* p, float eps, float momentum, float alpha, int64_t c0, int64_t c1) { \
    bn_act_train_channels_impl(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps,    \
                               momentum, alpha, c0, c1);                                                          \
  }                                                                                                               \
  void bn_act_backward_channels_##isa(const float* x, const float* y, const float* dy, const float* scale,       \
                                      const float* saved_mean, const float* saved_invstd, float* dx, float* dscale, \
                                      float* dbias, const int32_t* p, float alpha, int64_t c0, int64_t c1) {       \
    bn_act_backward_channels_impl(x, y, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p, alpha, c0, c1); \
  }                                                                                                               \
  }

// The declarations of every ISA's copy (defined by SP_NORM_DEFINE in batch_norm_act_train_forward.cc,
// norm_avx2.cc and norm_avx512.cc), and the copy for the ISA the kernels dispatch to (cpu.h).
#define SP_NORM_DECLARE(isa)                                                                                      \
  namespace sp {                                                                                                  \
  void bn_act_train_channels_##isa(const float*, const float*, const float*, float*, float*, float*, float*,    \
                                   float*, const int32_t*, float, float, float, int64_t, int64_t);              \
  void bn_act_backward_channels_##isa(const float*, const float*, const float*, const float*, const float*,     \
                                      const float*, float*, float*, float*, const int32_t*, float, int64_t,      \
                                      int64_t);                                                                 \
  }
SP_NORM_DECLARE(generic)
#if defined(__x86_64__)
SP_NORM_DECLARE(avx2)
SP_NORM_DECLARE(avx512)
#define SP_NORM_PICK(name) ::sp::isa_pick(name##_generic, name##_avx2, name##_avx512)
#else
#define SP_NORM_PICK(name) name##_generic
#endif
