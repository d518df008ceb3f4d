// The activations a fused kernel can apply (conv2d_act_forward, batch_norm_act_train_forward,
// batch_norm_act_backward): relu, leaky_relu (alpha >= 0) and relu6, the ones whose derivative
// is known from the output alone (y > 0 exactly where the input is > 0; 0 < y < 6 exactly
// where 0 < input < 6), so the backward never needs the pre-activation tensor.
// Forward forms are those of activation_forward.cc (NaN passes through); the backward forms those
// of activation_backward.cc given the output: relu and relu6 select, leaky_relu multiplies.
#pragma once
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels.h"

namespace sp {
// Internal linkage: these are compiled into files built for different ISAs (depthwise_avx2.cc,
// ...), and an inline function with external linkage could be merged by the linker into one
// copy built for the widest ISA and then run on a CPU without it.
namespace {

// Leaky relu maps as explicit selects. Written as `x < 0 ? alpha * x : x` the compiler keeps a
// branch per element (it may not evaluate the product speculatively under the default
// -ftrapping-math), which mispredicts on real activations: 4-5x slower than relu. Same values:
// the product where the condition holds, the input (dy) otherwise; NaN compares false.
// y[i] = x[i] < 0 ? alpha * x[i] : x[i]   (y may be x)
inline void leaky_relu_map(const float* x, float* y, int64_t n, float alpha) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 va = _mm_set1_ps(alpha), z = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i), m = _mm_cmplt_ps(v, z);
    _mm_storeu_ps(y + i, _mm_or_ps(_mm_and_ps(m, _mm_mul_ps(va, v)), _mm_andnot_ps(m, v)));
  }
#endif
  for (; i < n; ++i) y[i] = x[i] < 0.f ? alpha * x[i] : x[i];
}

// dz[i] = s[i] > 0 ? dy[i] : alpha * dy[i]   (s: the activation's input or output; dz may be dy)
inline void leaky_relu_grad_map(const float* s, const float* dy, float* dz, int64_t n, float alpha) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 va = _mm_set1_ps(alpha), z = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 g = _mm_loadu_ps(dy + i), m = _mm_cmpgt_ps(_mm_loadu_ps(s + i), z);
    _mm_storeu_ps(dz + i, _mm_or_ps(_mm_and_ps(m, g), _mm_andnot_ps(m, _mm_mul_ps(va, g))));
  }
#endif
  for (; i < n; ++i) dz[i] = s[i] > 0.f ? dy[i] : alpha * dy[i];
}

// The activation code under which a fused kernel is its plain kernel (batch_norm_train_forward
// and batch_norm_backward run the fused batch norm code with it): every form below is the identity.
constexpr int ACT_NONE = -1;

// y[i] = act(y[i]) over [0, n): one loop per kind so each is a plain vectorisable map.
inline void fused_act_inplace(float* y, int64_t n, int kind, float alpha) {
  switch (kind) {
    case ACT_RELU:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i];
      break;
    case ACT_LEAKY_RELU:
      leaky_relu_map(y, y, n, alpha);
      break;
    case ACT_RELU6:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i] > 6.f ? 6.f : y[i];
      break;
    default:
      break;
  }
}

}  // namespace
}  // namespace sp
