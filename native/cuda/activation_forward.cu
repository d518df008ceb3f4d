// activation_forward: y = act(x) over n = p[0], kind = p[1] (ACT in src/backend/kernels.ts):
//   0 relu max(x, 0); 1 leaky_relu x < 0 ? alpha x : x; 2 relu6 min(max(x, 0), 6);
//   3 sigmoid 1 / (1 + exp(-x)); 4 hardswish x * min(max(x + 3, 0), 6) / 6;
//   5 hardsigmoid clip(alpha x + 0.5, 0, 1).
// NaN in gives NaN out (clamps written as comparisons, as in native/activation_forward.cc).
// y overwritten. One thread per element; the kind is uniform, so the switch never diverges.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void activation_forward_kernel(const float* x, float* y, int64_t n, int kind, float alpha) {
  SP_GRID_LOOP(i, n) {
    const float v = x[i];
    float r;
    switch (kind) {
      case 0: r = v < 0.f ? 0.f : v; break;
      case 1: r = v < 0.f ? alpha * v : v; break;
      case 2: r = v < 0.f ? 0.f : v > 6.f ? 6.f : v; break;
      case 3: r = 1.f / (1.f + expf(-v)); break;
      case 4: r = v * fminf(fmaxf(v + 3.f, 0.f), 6.f) * (1.f / 6.f); break;
      default: {
        const float t = alpha * v + 0.5f;
        r = t < 0.f ? 0.f : t > 1.f ? 1.f : t;
      }
    }
    y[i] = r;
  }
}
}  // namespace

void activation_forward(const float* x, float* y, const int32_t* p, float alpha) {
  const int64_t n = p[0];
  if (n <= 0) return;
  SP_LAUNCH(activation_forward_kernel, blocks_for(n, 256), 256, 0, stream(), x, y, n, (int)p[1], alpha);
  check_launch("activation_forward");
}
}  // namespace cuda
}  // namespace sp
