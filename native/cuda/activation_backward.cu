// activation_backward: dx = dy * act'(x), kind = p[1] (see activation_forward.cu), n = p[0].
// At a kink the derivative is Paddle's: relu passes where x > 0; leaky_relu uses alpha where
// x <= 0; relu6 passes where 0 < x < 6; sigmoid uses the output, y (1 - y); hardswish is 0 for
// x <= -3, 1 for x >= 3 and (2x + 3) / 6 between; hardsigmoid is alpha where 0 < alpha x + 0.5 < 1.
// dx overwritten. One thread per element.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void activation_backward_kernel(const float* x, const float* y, const float* dy, float* dx, int64_t n, int kind,
                                           float alpha) {
  SP_GRID_LOOP(i, n) {
    const float g = dy[i];
    float r;
    switch (kind) {
      case 0: r = x[i] > 0.f ? g : 0.f; break;
      case 1: r = x[i] > 0.f ? g : alpha * g; break;
      case 2: r = (x[i] > 0.f && x[i] < 6.f) ? g : 0.f; break;
      case 3: r = g * y[i] * (1.f - y[i]); break;
      case 4: {
        const float v = x[i];
        r = g * (v <= -3.f ? 0.f : v >= 3.f ? 1.f : (2.f * v + 3.f) * (1.f / 6.f));
        break;
      }
      default: {
        const float t = alpha * x[i] + 0.5f;
        r = (t > 0.f && t < 1.f) ? g * alpha : 0.f;
      }
    }
    dx[i] = r;
  }
}
}  // namespace

void activation_backward(const float* x, const float* y, const float* dy, float* dx, const int32_t* p, float alpha) {
  const int64_t n = p[0];
  if (n <= 0) return;
  SP_LAUNCH(activation_backward_kernel, blocks_for(n, 256), 256, 0, stream(), x, y, dy, dx, n, (int)p[1], alpha);
  check_launch("activation_backward");
}
}  // namespace cuda
}  // namespace sp
