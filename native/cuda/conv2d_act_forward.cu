// conv2d_act_forward: y = act(conv2d_forward(x, w, b)) with act = p[16] (fused_act.cuh: relu,
// leaky_relu with alpha >= 0, relu6), float alpha; p = conv geometry + {act}; y overwritten.
// The convolution of conv2d_forward.cu (implicit GEMM, 1x1 and depthwise specialised) with the
// activation applied as each output value is stored: the pre-activation tensor never exists.
#include "conv2d_igemm.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

void conv2d_act_forward(const float* x, const float* w, const float* b, float* y, const int32_t* p, float alpha) {
  conv_forward_act(conv_geo(p), x, w, b, y, p[16], alpha);
}

}  // namespace cuda
}  // namespace sp
