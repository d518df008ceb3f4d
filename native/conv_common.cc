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
inline void col_range(int OW, int W, int SW, int64_t off, int& lo, int& hi) {
  const int64_t l = off >= 0 ? 0 : (-off + SW - 1) / SW;
  const int64_t h = W - off <= 0 ? 0 : (W - off + SW - 1) / SW;
  lo = (int)std::min<int64_t>(l, OW);
  hi = (int)std::max<int64_t>(lo, std::min<int64_t>(h, OW));
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
  const int64_t off = (int64_t)kw * s.DW - s.PL;
  int lo, hi;
  col_range(s.OW, s.W, s.SW, off, lo, hi);
  int64_t p = p0;
  const int64_t pend = p0 + np;
  int oh = (int)(p / s.OW), ow0 = (int)(p % s.OW);
  const float* in = row;
  while (p < pend) {
    const int ow1 = (int)std::min<int64_t>(s.OW, ow0 + (pend - p));
    const int64_t ih = (int64_t)oh * s.SH - s.PT + (int64_t)kh * s.DH;
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

PhasePlanes::PhasePlanes(const ConvShape& s) {
  for (int& v : phase) v = -1;
  // The product in 64 bits: a huge SW times SH must not wrap into the 16 slots of phase[].
  if (s.SH < 1 || s.SW < 1 || (int64_t)s.SH * s.SW > 16) return;
  // Within int: addon.cc bounds (KH-1)*DH and (KW-1)*DW by the input side plus 2^25.
  Hq = (int)(s.OH + ((int64_t)(s.KH - 1) * s.DH) / s.SH);
  Wq = (int)(s.OW + ((int64_t)(s.KW - 1) * s.DW) / s.SW);
  plane = (int64_t)Hq * Wq;
  L = (int64_t)(s.OH - 1) * Wq + s.OW;
  for (int kh = 0; kh < s.KH; ++kh)
    for (int kw = 0; kw < s.KW; ++kw) {
      int& v = phase[(((int64_t)kh * s.DH) % s.SH) * s.SW + ((int64_t)kw * s.DW) % s.SW];
      if (v < 0) v = nph++;
    }
}

bool PhasePlanes::usable(const ConvShape& s, double max_ratio) {
  if (s.SH < 1 || s.SW < 1 || (int64_t)s.SH * s.SW > 16 || s.OH < 1 || s.OW < 1) return false;
  const PhasePlanes pp(s);
  // The planes of one image stay under 256 MiB: a huge dilation or padding (legal up to the limits
  // in kernels.h) takes the im2col path, whose scratch does not grow with the plane.
  return pp.Wq <= max_ratio * s.OW && (double)s.C * pp.nph * pp.plane <= (double)(64 << 20);
}

void PhasePlanes::fill(const ConvShape& s, const float* xc, float* dst) const {
  for (int a = 0; a < s.SH; ++a)
    for (int b = 0; b < s.SW; ++b) {
      const int ph = phase[a * s.SW + b];
      if (ph < 0) continue;
      float* d = dst + (int64_t)ph * plane;
      // Columns j with 0 <= j*SW + b - PL < W.
      const int64_t off = (int64_t)b - s.PL;
      int lo, hi;
      col_range(Wq, s.W, s.SW, off, lo, hi);
      for (int i = 0; i < Hq; ++i, d += Wq) {
        const int64_t ih = (int64_t)i * s.SH + a - s.PT;
        if (ih < 0 || ih >= s.H) {
          std::memset(d, 0, sizeof(float) * Wq);
          continue;
        }
        const float* src = xc + (int64_t)ih * s.W + off;
        if (lo > 0) std::memset(d, 0, sizeof(float) * lo);
        if (s.SW == 1)
          std::memcpy(d + lo, src + lo, sizeof(float) * (hi - lo));
        else if (s.SW == 2)
          for (int j = lo; j < hi; ++j) d[j] = src[2 * j];
        else
          for (int j = lo; j < hi; ++j) d[j] = src[(int64_t)j * s.SW];
        if (hi < Wq) std::memset(d + hi, 0, sizeof(float) * (Wq - hi));
      }
    }
}

void PhasePlanes::unfill(const ConvShape& s, const float* src, float* dxc) const {
  std::memset(dxc, 0, sizeof(float) * (size_t)s.HW);
  for (int a = 0; a < s.SH; ++a)
    for (int b = 0; b < s.SW; ++b) {
      const int ph = phase[a * s.SW + b];
      if (ph < 0) continue;
      const float* d = src + (int64_t)ph * plane;
      const int64_t off = (int64_t)b - s.PL;
      int lo, hi;
      col_range(Wq, s.W, s.SW, off, lo, hi);
      for (int i = 0; i < Hq; ++i, d += Wq) {
        const int64_t ih = (int64_t)i * s.SH + a - s.PT;
        if (ih < 0 || ih >= s.H) continue;
        float* o = dxc + (int64_t)ih * s.W + off;
        if (s.SW == 1)
          std::memcpy(o + lo, d + lo, sizeof(float) * (hi - lo));
        else if (s.SW == 2)
          for (int j = lo; j < hi; ++j) o[2 * j] = d[j];
        else
          for (int j = lo; j < hi; ++j) o[(int64_t)j * s.SW] = d[j];
      }
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
