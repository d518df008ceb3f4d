// Backward of sigmoid_bce_forward: dx = dloss * (sigmoid(x) - z), dx overwritten. The sigmoid
// is evaluated from exp(-|x|) so it never overflows. Chunks of the range go to the threads.
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void sigmoid_bce_backward(const float* x, const float* label, const float* dloss, float* dx, const int32_t* p) {
  parallel_for(p[0], [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float v = x[i], t = std::exp(-std::fabs(v));
      const float s = v >= 0.f ? 1.f / (1.f + t) : t / (1.f + t);
      dx[i] = dloss[i] * (s - label[i]);
    }
  }, 16384);
}

}  // namespace sp
