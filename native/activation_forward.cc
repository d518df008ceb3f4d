// Elementwise activations, y = act(x), kind = p[1] (ACT in src/backend/kernels.ts):
//   0 relu         max(x, 0)
//   1 leaky_relu   x < 0 ? alpha * x : x
//   2 relu6        min(max(x, 0), 6)
//   3 sigmoid      1 / (1 + exp(-x))
//   4 hardswish    x * min(max(x + 3, 0), 6) / 6
//   5 hardsigmoid  clip(alpha * x + 0.5, 0, 1)   (alpha is Paddle's slope, 0.2 by default)
// NaN in gives NaN out for every kind: the clamps are written as comparisons that let NaN through
// (std::fmax/fmin would drop it and turn relu(NaN) into 0, hiding a diverging model).
// One switch outside the loop so each loop is a plain vectorisable map; chunks of the range go
// to the threads.
#include <cmath>
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

void activation_forward(const float* x, float* y, const int32_t* p, float alpha) {
  const int64_t n = p[0];
  const int kind = p[1];
  parallel_for(n, [&](int64_t b, int64_t e) {
    switch (kind) {
      case ACT_RELU:
        for (int64_t i = b; i < e; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
        break;
      case ACT_LEAKY_RELU:
        leaky_relu_map(x + b, y + b, e - b, alpha);
        break;
      case ACT_RELU6:
        for (int64_t i = b; i < e; ++i) y[i] = x[i] < 0.f ? 0.f : x[i] > 6.f ? 6.f : x[i];
        break;
      case ACT_SIGMOID:
        for (int64_t i = b; i < e; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
        break;
      case ACT_HARDSWISH:
        for (int64_t i = b; i < e; ++i) y[i] = x[i] * std::fmin(std::fmax(x[i] + 3.f, 0.f), 6.f) * (1.f / 6.f);
        break;
      case ACT_HARDSIGMOID:
        for (int64_t i = b; i < e; ++i) {
          const float t = alpha * x[i] + 0.5f;
          y[i] = t < 0.f ? 0.f : t > 1.f ? 1.f : t;
        }
        break;
      default:
        break;
    }
  }, 16384);
}

}  // namespace sp
