// conv2d_blocked_forward: conv2d_act_forward on channel-blocked maps (conv2d_blocked.h), for the
// layers of an inference forward whose maps stay blocked from one layer to the next (the replayed
// forward's layout pass, src/graph/blocked_layout.ts). Checks what the kernels need, packs and
// keeps the 1x1 filter, and runs the AVX-512 kernels; nothing runs without AVX-512.
#include "conv2d_blocked.h"

#include "cpu.h"
#include "gemm_internal.h"

namespace sp {

const char* conv2d_blocked_problem(const int32_t* p, int layout) {
  if (!cpu_has_avx512()) return "channel-blocked convolutions need AVX-512 (this CPU's kernels: not AVX-512)";
  const ConvShape s(p);
  if (s.C % kBlockedWidth) return "the input channels C a multiple of 16";
  if (s.pointwise() && s.G == 1) {
    if (s.OC % 32) return "a 1x1 layer's output channels OC a multiple of 32";
    if (!(layout & BLOCKED_X)) return "a 1x1 layer's x blocked (layout bit 1)";
    return nullptr;
  }
  if (s.depthwise() && s.OC == s.C) {
    if (s.KH != 3 || s.KW != 3 || s.DH != 1 || s.DW != 1 || s.PT != 1 || s.PL != 1 || s.SH != s.SW || (s.SW != 1 && s.SW != 2))
      return "a depthwise layer of 3x3 taps, dilation 1, padding 1 at top and left and stride 1 or 2";
    if (!(layout & BLOCKED_Y)) return "a depthwise layer's y blocked (layout bit 2)";
    return nullptr;
  }
  return "a 1x1 layer (stride 1, no padding, one group) or a 3x3 depthwise layer (groups == C == OC)";
}

namespace {

// The 1x1 filter w (OC x C) as OC/32 panels of (C + bias) rows of 32 output channels (the bias as
// row C), kept in fc when there is one.
const float* blocked_filter(FilterCache* fc, const ConvShape& s, const float* w, const float* b) {
  const int64_t rows = (int64_t)s.C + (b ? 1 : 0);
  const size_t n = (size_t)s.OC * rows;
  static thread_local AlignedBuf wbuf;
  if (fc) fc->bind(s, w, b);
  if (fc && fc->blocked_ready) return fc->blocked.get(n);
  float* wp = fc ? fc->blocked.get(n) : wbuf.get(n);
  for (int q = 0; q < s.OC / 32; ++q) {
    float* d = wp + (int64_t)q * rows * 32;
    for (int o = 0; o < 32; ++o) {
      const float* wo = w + (int64_t)(q * 32 + o) * s.C;
      for (int k = 0; k < s.C; ++k) d[(int64_t)k * 32 + o] = wo[k];
      if (b) d[(int64_t)s.C * 32 + o] = b[q * 32 + o];
    }
  }
  if (fc) {
    fc->blocked_ready = true;
    fc->bytes += n * sizeof(float);
  }
  return wp;
}

}  // namespace

void conv2d_blocked_forward(FilterCache* fc, const float* x, const float* w, const float* b, float* y, const int32_t* p,
                            float alpha, int layout) {
#if defined(__x86_64__)
  const ConvShape s(p);
  const int act = p[CG_COUNT];
  if (s.depthwise()) {
    conv2d_blocked_dw_avx512(s, x, (layout & BLOCKED_X) != 0, w, b, y, act, alpha);
    return;
  }
  conv2d_blocked_pw_avx512(s, x, blocked_filter(fc, s, w, b), b != nullptr, y, (layout & BLOCKED_Y) != 0, act, alpha);
#else
  (void)fc, (void)x, (void)w, (void)b, (void)y, (void)p, (void)alpha, (void)layout;
#endif
}

}  // namespace sp
