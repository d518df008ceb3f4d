// The per-channel body of batch_norm_act_train_forward (see that file), compiled three times:
// for generic x86-64 there and for AVX2 / AVX-512 in norm_avx2.cc / norm_avx512.cc, which only
// widen the vectors of its double-precision loops. Those files are built with -ffp-contract=off
// (CMakeLists.txt, bindings.gyp), so no multiply-add is fused and every ISA gives the same bits,
// and the AVX-512 one with -mprefer-vector-width=512 (GCC's default for it is 256-bit vectors).
#pragma once
#include <cmath>
#include <cstdint>

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

}  // namespace
}  // namespace sp

// The exported entry of one ISA's copy.
#define SP_NORM_DEFINE(name)                                                                                      \
  namespace sp {                                                                                                  \
  void name(const float* x, const float* scale, const float* bias, float* y, float* saved_mean, float* saved_invstd, \
            float* running_mean, float* running_var, const int32_t* p, float eps, float momentum, float alpha,      \
            int64_t c0, int64_t c1) {                                                                             \
    bn_act_train_channels_impl(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps,    \
                               momentum, alpha, c0, c1);                                                          \
  }                                                                                                               \
  }
