// The activations a fused kernel can apply (conv2d_act_forward, batch_norm_act_train_forward,
// batch_norm_act_backward): relu, leaky_relu (alpha >= 0) and relu6, the ones whose derivative
// is known from the output alone (y > 0 exactly where the input is > 0; 0 < y < 6 exactly
// where 0 < input < 6), so the backward never needs the pre-activation tensor.
// Forward forms are those of activation_forward.cc (NaN passes through); the backward forms those
// of activation_backward.cc given the output: relu and relu6 select, leaky_relu multiplies.
#pragma once
#include <cstdint>

#include "kernels.h"

namespace sp {

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
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? alpha * y[i] : y[i];
      break;
    case ACT_RELU6:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i] > 6.f ? 6.f : y[i];
      break;
    default:
      break;
  }
}

// dz[i] = dy[i] * act'(from y[i]) over [0, n).
inline void fused_act_grad(const float* y, const float* dy, float* dz, int64_t n, int kind, float alpha) {
  switch (kind) {
    case ACT_RELU:
      for (int64_t i = 0; i < n; ++i) dz[i] = y[i] > 0.f ? dy[i] : 0.f;
      break;
    case ACT_LEAKY_RELU:
      for (int64_t i = 0; i < n; ++i) dz[i] = y[i] > 0.f ? dy[i] : alpha * dy[i];
      break;
    case ACT_RELU6:
      for (int64_t i = 0; i < n; ++i) dz[i] = (y[i] > 0.f && y[i] < 6.f) ? dy[i] : 0.f;
      break;
    default:
      break;
  }
}

}  // namespace sp
