// Elementwise sigmoid cross entropy with logits x and targets z (YOLOv3 objectness and class
// losses): loss = max(x, 0) - x * z + log(1 + exp(-|x|)), the overflow-free form of
// -z log s(x) - (1 - z) log(1 - s(x)). Chunks of the range go to the threads.
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void sigmoid_bce_forward(const float* x, const float* label, float* loss, const int32_t* p) {
  parallel_for(p[0], [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float v = x[i];
      loss[i] = std::fmax(v, 0.f) - v * label[i] + std::log1p(std::exp(-std::fabs(v)));
    }
  }, 16384);
}

}  // namespace sp
