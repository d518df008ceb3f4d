// sgd_momentum: Momentum SGD with L2 decay folded into the gradient (Paddle's Momentum with
// L2Decay), elementwise over n = p[0]:  v = momentum * v + (g + l2 * param);  param -= lr * v.
// param and velocity updated in place. One thread per element.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void sgd_momentum_kernel(float* param, const float* grad, float* velocity, int64_t n, float lr, float momentum,
                                    float l2) {
  SP_GRID_LOOP(i, n) {
    const float v = momentum * velocity[i] + (grad[i] + l2 * param[i]);
    velocity[i] = v;
    param[i] -= lr * v;
  }
}
}  // namespace

void sgd_momentum(float* param, const float* grad, float* velocity, const int32_t* p, float lr, float momentum, float l2) {
  const int64_t n = p[0];
  if (n <= 0) return;
  SP_LAUNCH(sgd_momentum_kernel, blocks_for(n, 256), 256, 0, stream(), param, grad, velocity, n, lr, momentum, l2);
  check_launch("sgd_momentum");
}
}  // namespace cuda
}  // namespace sp
