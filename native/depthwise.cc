// Depthwise convolution entry points: split the planes over the thread pool and run the widest
// ISA build of depthwise_impl.h that the CPU supports (cpu.h, honouring SLIMPRUNE_ISA); this file
// is also the baseline (SSE2 / WASM SIMD) build of those loops.
#include <algorithm>
#include <vector>

#include "conv_common.h"
#include "cpu.h"
#include "depthwise_impl.h"
#include "gemm_internal.h"
#include "threadpool.h"

namespace sp {

#if defined(__x86_64__)
#define SP_DW_DECLARE(isa)                                                                                   \
  void depthwise_forward_range_##isa(const ConvShape&, const float*, const float*, const float*, float*,     \
                                     int64_t, int64_t, float*, int, float);                                  \
  void stem_forward_range_##isa(const ConvShape&, const float*, const float*, const float*, float*, int64_t,  \
                                int64_t, float*, int, float);                                                \
  void depthwise_backward_input_range_##isa(const ConvShape&, const float*, const float*, float*, int64_t,   \
                                            int64_t);                                                        \
  void depthwise_backward_filter_range_##isa(const ConvShape&, const float*, const float*, float*, float*,   \
                                             int64_t, int64_t, float*);                                         \
  void dw_band_range_##isa(const ConvShape&, const float*, const float*, const float*, int, int, int, int, int,     \
                           float*, int64_t, float*, int, float);                                                   \
  void stem_rows_##isa(const ConvShape&, const float*, const float*, const float*, int, int, int, float*, int64_t, \
                       float*, int, float);                                                                      \
  void dw_window_range_##isa(const ConvShape&, const float*, int64_t, int, const float*, const float*, int, int,   \
                             int, int, float*, int64_t, const float*, int, float);
SP_DW_DECLARE(avx2)
SP_DW_DECLARE(avx512)
#undef SP_DW_DECLARE
#endif

namespace {
using FwdFn = void (*)(const ConvShape&, const float*, const float*, const float*, float*, int64_t, int64_t, float*,
                       int, float);
using BinFn = void (*)(const ConvShape&, const float*, const float*, float*, int64_t, int64_t);
using BwFn = void (*)(const ConvShape&, const float*, const float*, float*, float*, int64_t, int64_t, float*);
using BandFn = void (*)(const ConvShape&, const float*, const float*, const float*, int, int, int, int, int, float*,
                        int64_t, float*, int, float);
using StemRowsFn = void (*)(const ConvShape&, const float*, const float*, const float*, int, int, int, float*, int64_t,
                           float*, int, float);
using WindowFn = void (*)(const ConvShape&, const float*, int64_t, int, const float*, const float*, int, int, int, int,
                          float*, int64_t, const float*, int, float);
struct DwFns {
  FwdFn fwd;
  BinFn bin;
  BwFn bw;
  FwdFn stem;
  BandFn band;
  StemRowsFn stem_rows;
  WindowFn window;
};
const DwFns& dw_fns() {
  static const DwFns f = [] {
#if defined(__x86_64__)
    if (cpu_has_avx512())
      return DwFns{depthwise_forward_range_avx512, depthwise_backward_input_range_avx512,
                   depthwise_backward_filter_range_avx512, stem_forward_range_avx512, dw_band_range_avx512,
                   stem_rows_avx512, dw_window_range_avx512};
    if (cpu_has_avx2_fma())
      return DwFns{depthwise_forward_range_avx2, depthwise_backward_input_range_avx2,
                   depthwise_backward_filter_range_avx2, stem_forward_range_avx2, dw_band_range_avx2,
                   stem_rows_avx2, dw_window_range_avx2};
#endif
    return DwFns{dw_forward_range, dw_backward_input_range, dw_backward_filter_range, stem_forward_range, dw_band_range,
                 stem_rows, dw_window_range};
  }();
  return f;
}
}  // namespace

namespace {
// DwFlat's padded plane, or dw3's row of zeros (stride 1)
size_t dw_scratch(const ConvShape& s) {
  return std::max<size_t>(DwFlat::usable(s) ? (size_t)DwFlat(s).scratch(s) : 1, dw3_usable(s) ? s.W : 1);
}
}  // namespace

void depthwise_planes(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                      int64_t te, int act, float alpha) {
  const size_t scratch = dw_scratch(s);
  check_scratch((double)scratch);
  static thread_local AlignedBuf buf;  // kept between calls: no allocation or zeroing per call
  dw_fns().fwd(s, x, w, b, y, tb, te, buf.get(scratch), act, alpha);
  buf.release_if_over((size_t)1 << 20);
}

void depthwise_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act,
                       float alpha) {
  check_scratch((double)dw_scratch(s));  // here, before any worker could throw it
  parallel_for((int64_t)s.N * s.OC, [&](int64_t tb, int64_t te) { depthwise_planes(s, x, w, b, y, tb, te, act, alpha); }, 4);
}

bool stem_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act, float alpha) {
  if (!stem_usable(s)) return false;
  const FwdFn fn = dw_fns().stem;
  const size_t scratch = (size_t)stem_scratch(s);
  check_scratch((double)scratch);
  const std::vector<float> wp = stem_pack(s, w);
  parallel_for((int64_t)s.N * s.OH, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf buf;
    fn(s, x, wp.data(), b, y, tb, te, buf.get(scratch), act, alpha);
    buf.release_if_over((size_t)1 << 20);
  }, 4);
  return true;
}

bool stem_band_usable(const ConvShape& s) { return stem_usable(s); }
int64_t stem_band_scratch(const ConvShape& s) { return stem_scratch(s); }
std::vector<float> stem_pack(const ConvShape& s, const float* w) {
  std::vector<float> wp((size_t)stem_packed_size(s));
  stem_pack_filter(s, w, wp.data());
  return wp;
}
void stem_band(const ConvShape& s, const float* x, const float* wpk, const float* b, int n, int oh0, int oh1, float* y,
               int64_t ycs, float* scratch, int act, float alpha) {
  dw_fns().stem_rows(s, x, wpk, b, n, oh0, oh1, y, ycs, scratch, act, alpha);
}
void dw_window(const ConvShape& s, const float* win, int64_t wcs, int ih0, const float* w, const float* b, int c0, int c1,
               int oh0, int oh1, float* d, int64_t ldd, const float* zeros, int act, float alpha) {
  dw_fns().window(s, win, wcs, ih0, w, b, c0, c1, oh0, oh1, d, ldd, zeros, act, alpha);
}

DwBandPlan dw_band_plan(const ConvShape& s) {
  const bool fits = dw_band_usable(s);
  return DwBandPlan{fits, fits && dw3_usable(s), fits ? dw_band_scratch(s) : 0};
}
void dw_band(const ConvShape& s, const float* x, const float* w, const float* b, int n, int c0, int c1, int oh0, int oh1,
             float* d, int64_t ldd, float* scratch, int act, float alpha) {
  dw_fns().band(s, x, w, b, n, c0, c1, oh0, oh1, d, ldd, scratch, act, alpha);
}

void depthwise_backward_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (s.OCg == 1 && s.SH == 1 && s.SW == 1) {
    // Multiplier 1, stride 1: dx is the depthwise forward convolution of dy with the flipped
    // filter, padding DH*(KH-1)-PT / DW*(KW-1)-PL and output H x W.
    const int32_t q[CG_COUNT] = {s.N, s.OC, s.OH, s.OW, s.C, s.KH, s.KW, s.H, s.W, 1, 1,
                                 s.DH * (s.KH - 1) - s.PT, s.DW * (s.KW - 1) - s.PL, s.DH, s.DW, s.G};
    const ConvShape t(q);
    if (DwFlat::usable(t)) {
      std::vector<float> wf((size_t)s.OC * s.KK);
      for (int64_t oc = 0; oc < s.OC; ++oc)
        for (int k = 0; k < s.KK; ++k) wf[oc * s.KK + k] = w[oc * s.KK + s.KK - 1 - k];
      depthwise_forward(t, dy, wf.data(), nullptr, dx);
      return;
    }
  }
  const BinFn fn = dw_fns().bin;
  parallel_for((int64_t)s.N * s.C, [&](int64_t tb, int64_t te) { fn(s, dy, w, dx, tb, te); }, 4);
}

void depthwise_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw, float* db) {
  const BwFn fn = dw_fns().bw;
  const size_t scratch = std::max<size_t>((size_t)(s.KK + 1) * s.OW, DwFlat::usable(s) ? (size_t)DwFlat(s).scratch(s) : 0);
  check_scratch((double)scratch);
  parallel_for(s.OC, [&](int64_t tb, int64_t te) {
    std::vector<float> acc(scratch);
    fn(s, x, dy, dw, db, tb, te, acc.data());
  }, 1);
}

}  // namespace sp
