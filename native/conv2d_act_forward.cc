// conv2d_act_forward: y = act(conv2d(x, w) + b), p = the 16 conv integers + act (fused_act.h),
// alpha = leaky_relu's slope. The GEMM convolutions apply the activation to each output tile
// right after computing it, while it is in cache (conv_forward_gemm's epilogue, the depthwise
// kernel's rows or planes), so the pre-activation tensor never exists as a buffer of its own.
#include <cstdint>

#include "conv_common.h"
#include "gemm_internal.h"
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

bool conv_wino_pw_usable(const int32_t* p3, const int32_t* p1) {
  const ConvShape s3(p3), s1(p1);
  // the 1x1 layer's local outputs (OC1 x 4 tiles' worth of columns) within 256 KiB a core, and no
  // more of them than the 3x3 layer's: a wider 1x1 layer stores more by tiles than the pair saves
  // (r578's 26 -> 51 -> 75 detection output at 40x40: its forward 1.006-1.013x at 320 b2 and 1.009x
  // at 608 b1 with that pair run as two calls, A/B in one process, AVX-512)
  return winograd_enabled() && conv_winograd_by_sliver(s3) && s1.pointwise() && s1.G == 1 && s1.C == s3.OC &&
         s1.OC <= s3.OC && s1.N == s3.N && s1.H == s3.OH && s1.W == s3.OW &&
         (double)s1.OC * 4 * gemm_micro().nr * sizeof(float) <= 256 * 1024;
}

void conv_wino_pw_forward(FilterCache* fc3, FilterCache* fc1, const float* x, const float* w3, const float* b3, float* y3,
                          const float* w1, const float* b1, float* y, const int32_t* p3, const int32_t* p1, float alpha3,
                          float alpha1) {
  if (conv_wino_pw_usable(p3, p1)) {
    const ConvShape s3(p3), s1(p1);
    static thread_local AlignedBuf wbuf;
    if (fc1) fc1->bind(s1, w1, b1);
    const WinoPointwise pw{conv_packed_filter(s1, w1, b1, fc1, wbuf), s1.OC, b1 != nullptr, p1[CG_COUNT], alpha1, y};
    if (fc3) fc3->bind(s3, w3, b3);
    const bool done = conv_forward_winograd(s3, x, w3, b3, nullptr, p3[CG_COUNT], alpha3, false, fc3, &pw);
    wbuf.release_if_over((size_t)1 << 22);
    if (done) return;
  }
  conv2d_act_forward_prepared(fc3, x, w3, b3, y3, p3, alpha3);
  conv2d_act_forward_prepared(fc1, y3, w1, b1, y, p1, alpha1);
}

}  // namespace sp
