// Momentum SGD with L2 weight decay folded into the gradient (Paddle's Momentum optimizer with
// L2Decay regularizer), elementwise over n values:
//   v = momentum * v + (g + l2 * param);  param -= lr * v.
// Chunks of the range go to the threads.
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void sgd_momentum(float* param, const float* grad, float* velocity, const int32_t* p, float lr, float momentum,
                  float l2) {
  parallel_for(p[0], [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float v = momentum * velocity[i] + (grad[i] + l2 * param[i]);
      velocity[i] = v;
      param[i] -= lr * v;
    }
  }, 16384);
}

}  // namespace sp
