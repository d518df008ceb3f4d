// dx = dy * act'(x), kind = p[1] (see activation_forward.cc). At a kink the derivative is the
// one Paddle uses: relu passes where x > 0; leaky_relu uses alpha where x <= 0; relu6 passes
// where 0 < x < 6; sigmoid uses the output, y * (1 - y); hardswish is 0 for x <= -3, 1 for
// x >= 3 and (2x + 3) / 6 between; hardsigmoid is alpha where 0 < alpha * x + 0.5 < 1.
// dx overwritten. Chunks of the range go to the threads.
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

void activation_backward(const float* x, const float* y, const float* dy, float* dx, const int32_t* p, float alpha) {
  const int64_t n = p[0];
  const int kind = p[1];
  parallel_for(n, [&](int64_t b, int64_t e) {
    switch (kind) {
      case ACT_RELU:
        for (int64_t i = b; i < e; ++i) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
        break;
      case ACT_LEAKY_RELU:
        leaky_relu_grad_map(x + b, dy + b, dx + b, e - b, alpha);
        break;
      case ACT_RELU6:
        for (int64_t i = b; i < e; ++i) dx[i] = (x[i] > 0.f && x[i] < 6.f) ? dy[i] : 0.f;
        break;
      case ACT_SIGMOID:
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
        break;
      case ACT_HARDSWISH:
        for (int64_t i = b; i < e; ++i) {
          const float v = x[i];
          const float d = v <= -3.f ? 0.f : v >= 3.f ? 1.f : (2.f * v + 3.f) * (1.f / 6.f);
          dx[i] = dy[i] * d;
        }
        break;
      case ACT_HARDSIGMOID:
        for (int64_t i = b; i < e; ++i) {
          const float t = alpha * x[i] + 0.5f;
          dx[i] = (t > 0.f && t < 1.f) ? dy[i] * alpha : 0.f;
        }
        break;
      default:
        break;
    }
  }, 16384);
}

}  // namespace sp
