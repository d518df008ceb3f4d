// dwpw_act_forward: a depthwise layer and the 1x1 layer reading it, y = act2(conv1x1(act(conv2d(x,
// wd) + bd), wp) + bp); p = the depthwise layer's conv geometry + {act, OC2, act2}. On the GPU the
// two convolutions of conv2d_act_forward one after the other (the same numbers as two
// conv2d_act_forward calls), the depthwise output held in fused_scratch().
#include "conv2d_igemm.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

void dwpw_act_forward(const float* x, const float* wd, const float* bd, const float* wp, const float* bp, float* y,
                      const int32_t* p, float alpha, float alpha2) {
  const int64_t n = (int64_t)p[0] * p[4] * p[7] * p[8];
  float* mid = static_cast<float*>(fused_scratch((size_t)(n > 0 ? n : 1) * sizeof(float)));
  conv_forward_act(conv_geo(p), x, wd, bd, mid, p[16], alpha);
  const int32_t q[17] = {p[0], p[4], p[7], p[8], p[17], 1, 1, p[7], p[8], 1, 1, 0, 0, 1, 1, 1, p[18]};
  conv_forward_act(conv_geo(q), mid, wp, bp, y, q[16], alpha2);
}

}  // namespace cuda
}  // namespace sp
