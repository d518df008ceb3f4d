// im2col / col2im rows and spatial tiling for the GEMM-based convolutions (see conv_common.h).
// Both walk the output positions of a tile row segment by row segment: for one output row oh
// the tap (kh, kw) touches input row ih and the columns iw = ow*SW + off, off = kw*DW - PL,
// in bounds for ow in [lo, hi); outside that range the value is padding (zero).
#include "conv_common.h"

#include <algorithm>
#include <cstring>

namespace sp {

ConvShape::ConvShape(const int32_t* p)
    : N(p[CG_N]), C(p[CG_C]), H(p[CG_H]), W(p[CG_W]), OC(p[CG_OC]), KH(p[CG_KH]), KW(p[CG_KW]), OH(p[CG_OH]),
      OW(p[CG_OW]), SH(p[CG_SH]), SW(p[CG_SW]), PT(p[CG_PT]), PL(p[CG_PL]), DH(p[CG_DH]), DW(p[CG_DW]),
      G(p[CG_G]) {
  Cg = C / G;
  OCg = OC / G;
  KK = KH * KW;
  Kg = Cg * KK;
  HW = (int64_t)H * W;
  P = (int64_t)OH * OW;
}

namespace {
// Valid output-column range [lo, hi) of a tap with column offset off: 0 <= ow*SW + off < W.
inline void col_range(int OW, int W, int SW, int off, int& lo, int& hi) {
  lo = off >= 0 ? 0 : (-off + SW - 1) / SW;
  hi = W - off <= 0 ? 0 : (W - off + SW - 1) / SW;
  lo = std::min(lo, OW);
  hi = std::max(lo, std::min(hi, OW));
}
}  // namespace

void im2col_row(const ConvShape& s, const float* xc, int kh, int kw, int64_t p0, int np, float* row) {
  const int sw = s.SW;
  im2col_walk(
      s, xc, kh, kw, p0, np,
      [&](int j, const float* src, int len) {
        if (sw == 1)
          std::memcpy(row + j, src, sizeof(float) * len);
        else
          for (int q = 0; q < len; ++q) row[j + q] = src[(int64_t)q * sw];
      },
      [&](int j, int len) { std::memset(row + j, 0, sizeof(float) * len); });
}

void col2im_row(const ConvShape& s, float* dxc, int kh, int kw, int64_t p0, int np, const float* row) {
  const int off = kw * s.DW - s.PL;
  int lo, hi;
  col_range(s.OW, s.W, s.SW, off, lo, hi);
  int64_t p = p0;
  const int64_t pend = p0 + np;
  int oh = (int)(p / s.OW), ow0 = (int)(p % s.OW);
  const float* in = row;
  while (p < pend) {
    const int ow1 = (int)std::min<int64_t>(s.OW, ow0 + (pend - p));
    const int ih = oh * s.SH - s.PT + kh * s.DH;
    const int len = ow1 - ow0;
    if (ih >= 0 && ih < s.H) {
      float* __restrict xr = dxc + (int64_t)ih * s.W + off;
      const float* __restrict src = in - ow0;
      const int a = std::min(std::max(ow0, lo), ow1), b = std::max(a, std::min(ow1, hi));
      if (s.SW == 1) {
        for (int ow = a; ow < b; ++ow) xr[ow] += src[ow];
      } else {
        const int sw = s.SW;
        for (int ow = a; ow < b; ++ow) xr[(int64_t)ow * sw] += src[ow];
      }
    }
    in += len;
    p += len;
    ++oh;
    ow0 = 0;
  }
}

Tiling make_tiling(int64_t P, int target, int align) {
  target = std::max(target, align);
  int64_t count = (P + target - 1) / target;
  if (count < 1) count = 1;
  int64_t len = (P + count - 1) / count;
  len = (len + align - 1) / align * align;
  count = (P + len - 1) / len;
  return Tiling{(int)std::max<int64_t>(count, 1), (int)len};
}

}  // namespace sp
