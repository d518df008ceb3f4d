// The activations the fused kernels apply (conv2d_act_forward, batch_norm_act_train_forward,
// batch_norm_act_backward), as native/fused_act.h defines them: relu (0), leaky_relu (1, alpha >=
// 0) and relu6 (2), whose derivative is known from the output alone. Any other kind (the plain
// kernels pass -1) is the identity. NaN passes through the forward forms.
#pragma once
#include "common.cuh"

namespace sp {
namespace cuda {

constexpr int kNoAct = -1;

__device__ __forceinline__ float fused_act(float v, int kind, float alpha) {
  switch (kind) {
    case 0: return v < 0.f ? 0.f : v;
    case 1: return v < 0.f ? alpha * v : v;
    case 2: return v < 0.f ? 0.f : v > 6.f ? 6.f : v;
    default: return v;
  }
}

// dL/dz given the activation's output y and dL/dy.
__device__ __forceinline__ float fused_act_grad(float y, float dy, int kind, float alpha) {
  switch (kind) {
    case 0: return y > 0.f ? dy : 0.f;
    case 1: return y > 0.f ? dy : alpha * dy;
    case 2: return y > 0.f && y < 6.f ? dy : 0.f;
    default: return dy;
  }
}

}  // namespace cuda
}  // namespace sp
