// Depthwise convolution loops of depthwise_impl.h compiled for AVX512 (CMakeLists.txt gives
// this file its ISA flags); called only after the CPU check in depthwise.cc. Empty off x86-64.
#if defined(__x86_64__)
#include "depthwise_impl.h"

namespace sp {

void depthwise_forward_range_avx512(const ConvShape& s, const float* x, const float* w, const float* b, float* y,
                                 int64_t tb, int64_t te, float* scratch, int act, float alpha) {
  dw_forward_range(s, x, w, b, y, tb, te, scratch, act, alpha);
}
void stem_forward_range_avx512(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                             int64_t te, float* scratch, int act, float alpha) {
  stem_forward_range(s, x, w, b, y, tb, te, scratch, act, alpha);
}
void dw_band_range_avx512(const ConvShape& s, const float* x, const float* w, const float* b, int n, int c0, int c1,
                        int oh0, int oh1, float* d, int64_t ldd, float* scratch, int act, float alpha) {
  dw_band_range(s, x, w, b, n, c0, c1, oh0, oh1, d, ldd, scratch, act, alpha);
}
void depthwise_backward_input_range_avx512(const ConvShape& s, const float* dy, const float* w, float* dx, int64_t tb,
                                        int64_t te) {
  dw_backward_input_range(s, dy, w, dx, tb, te);
}
void depthwise_backward_filter_range_avx512(const ConvShape& s, const float* x, const float* dy, float* dw, float* db,
                                         int64_t tb, int64_t te, float* acc) {
  dw_backward_filter_range(s, x, dy, dw, db, tb, te, acc);
}

}  // namespace sp
#endif
