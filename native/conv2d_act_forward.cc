// conv2d_act_forward: y = act(conv2d(x, w) + b), p = the 16 conv integers + act (fused_act.h),
// alpha = leaky_relu's slope. The GEMM convolutions apply the activation to each output tile
// right after computing it, while it is in cache (conv_forward_gemm's epilogue, the depthwise
// kernel's rows or planes), so the pre-activation tensor never exists as a buffer of its own.
#include <cstdint>

#include "conv_common.h"
#include "kernels.h"

namespace sp {

void conv2d_act_forward(const float* x, const float* w, const float* b, float* y, const int32_t* p, float alpha) {
  const ConvShape s(p);
  if (!s.depthwise()) {
    conv_forward_gemm(s, x, w, b, y, p[CG_COUNT], alpha);
    return;
  }
  depthwise_forward(s, x, w, b, y, p[CG_COUNT], alpha);
}

void conv2d_act_forward_prepared(FilterCache* fc, const float* x, const float* w, const float* b, float* y,
                                 const int32_t* p, float alpha) {
  const ConvShape s(p);
  if (s.depthwise()) {
    depthwise_forward(s, x, w, b, y, p[CG_COUNT], alpha);  // nothing to keep: it reads w as it is
    return;
  }
  conv_forward_gemm(s, x, w, b, y, p[CG_COUNT], alpha, false, fc);
}

void conv2d_concat_forward(FilterCache* fc, const ConcatInput& cat, const float* w, const float* b, float* y,
                           const int32_t* p, float alpha) {
  conv_forward_gemm(ConvShape(p), cat.x[0], w, b, y, p[CG_COUNT], alpha, false, fc, &cat);
}

}  // namespace sp
