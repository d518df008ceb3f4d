// Convolutions on channel-blocked (NCHW16c) maps for inference: the layout, what runs on it and
// why are in conv2d_blocked_avx512.cc. Declared here for conv2d_blocked.cc (the entry point) and
// the AVX-512 build.
#pragma once
#include <cstdint>

#include "conv_common.h"

namespace sp {

constexpr int kBlockedWidth = 16;  // channels per block

// Bits of the layout argument: which of x and y are blocked (the other ones are NCHW).
enum BlockedLayout { BLOCKED_X = 1, BLOCKED_Y = 2 };

// Why conv2d_blocked_forward cannot run geometry p (conv2d_act_forward's, act included) with this
// layout on this machine, or null when it can: a 1x1, stride-1, unpadded, one-group layer with C a
// multiple of 16, OC of 32, x blocked; or a 3x3 depthwise layer (groups == C == OC), stride 1 or 2,
// padding 1 at top and left, dilation 1, C a multiple of 16, y blocked; AVX-512 either way.
const char* conv2d_blocked_problem(const int32_t* p, int layout);
// conv2d_act_forward (act = p[CG_COUNT], -1: none) with x and y in `layout`, the same values;
// fc: the 1x1 filter's cache (its blocked packing is kept there), or null.
void conv2d_blocked_forward(FilterCache* fc, const float* x, const float* w, const float* b, float* y, const int32_t* p,
                            float alpha, int layout);

#if defined(__x86_64__)
// The AVX-512 kernels. wp: the 1x1 filter as OC/32 panels of (C + bias) rows of 32 output channels,
// the bias (when `bias`) as row C.
void conv2d_blocked_pw_avx512(const ConvShape& s, const float* x, const float* wp, bool bias, float* y, bool yblocked,
                              int act, float alpha);
void conv2d_blocked_dw_avx512(const ConvShape& s, const float* x, bool xblocked, const float* w, const float* b, float* y,
                              int act, float alpha);
#endif

}  // namespace sp
