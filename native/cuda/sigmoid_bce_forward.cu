// sigmoid_bce_forward: elementwise sigmoid cross entropy with logits x and targets z over n = p[0]
// (YOLOv3 objectness and class losses): loss = max(x, 0) - x z + log(1 + exp(-|x|)), the
// overflow-free form of -z log s(x) - (1 - z) log(1 - s(x)). loss overwritten; one thread each.
#include "common.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {
namespace {
__global__ void sigmoid_bce_forward_kernel(const float* x, const float* label, float* loss, int64_t n) {
  SP_GRID_LOOP(i, n) {
    const float v = x[i];
    loss[i] = fmaxf(v, 0.f) - v * label[i] + log1pf(expf(-fabsf(v)));
  }
}
}  // namespace

void sigmoid_bce_forward(const float* x, const float* label, float* loss, const int32_t* p) {
  const int64_t n = p[0];
  if (n <= 0) return;
  SP_LAUNCH(sigmoid_bce_forward_kernel, blocks_for(n, 256), 256, 0, stream(), x, label, loss, n);
  check_launch("sigmoid_bce_forward");
}
}  // namespace cuda
}  // namespace sp
