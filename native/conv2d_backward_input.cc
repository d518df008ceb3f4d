// conv2d_backward_input: dx = gradient of conv2d_forward wrt x, given dy (fp32 NCHW).
//
// Per group: colgrad (Kg x P) = W_g^T (Kg x OCg) * dy_g (OCg x P), then col2im scatters each row
// k = (c, kh, kw) back onto dx[c] at the positions forward's im2col read from. A task owns
// (image n, group g, block of input channels): the Kg rows of those channels only ever land in
// their own dx planes, so tasks never share outputs, and within a task spatial tiles and rows are
// added in a fixed order (1 and N threads give identical bits). Stride-1 layers instead run as a
// forward convolution of dy with the flipped, transposed filter (conv2d_forward.cc): K = OCg*KH*KW
// instead of OCg and no col2im; strided layers with little padding waste add colgrad rows onto
// phase planes as contiguous runs (backward_input_flat). Depthwise layers: depthwise.cc.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

namespace {

// Channel block size: split until there are enough tasks, keeping >= ~48 GEMM rows per task.
int channel_block(const ConvShape& s) {
  int cb = s.Cg;
  while ((int64_t)s.N * s.G * ((s.Cg + cb - 1) / cb) < 16 && cb > 1 && (int64_t)((cb + 1) / 2) * s.KK >= 48)
    cb = (cb + 1) / 2;
  return cb;
}

// W_g^T, rows [c0*KK, c0*KK + m) of channel block blk (A[i][oc] = w[oc][i]), packed for every
// (group, block) once, before the per-image tasks: packing it inside each task repeated the same
// transposing pack of the whole filter once per image (16 times for an R-CNN head at batch 16).
// Block (g, blk) starts at the returned buffer + (g * nblk + blk) * bstride.
float* pack_filter_t(const GemmMicro& uk, const ConvShape& s, const float* w, int cb, int nblk, int64_t bstride,
                     AlignedBuf& buf) {
  const int MR = uk.mr;
  const int64_t aps = (int64_t)s.OCg * MR;
  const int ppb = (cb * s.KK + MR - 1) / MR;  // panels per block
  float* Ap = buf.get((size_t)((int64_t)s.G * nblk * bstride));
  parallel_for((int64_t)s.G * nblk * ppb, [&](int64_t ub, int64_t ue) {
    for (int64_t u = ub; u < ue; ++u) {
      const int pan = (int)(u % ppb);
      const int64_t gb = u / ppb;
      const int blk = (int)(gb % nblk), g = (int)(gb / nblk);
      const int c0 = blk * cb, m = std::min(cb, s.Cg - c0) * s.KK;
      const int i = pan * MR;
      if (i >= m) continue;
      gemm_pack_a(uk, true, w + (int64_t)g * s.OCg * s.Kg, s.Kg, c0 * s.KK + i, std::min(MR, m - i), 0, s.OCg,
                  Ap + gb * bstride + (int64_t)pan * aps, aps);
    }
  }, 4);
  return Ap;
}

// Strided layers through the flat layout of conv2d_forward.cc: colgrad is computed at flat
// positions q = oh*Wq + ow (dy copied there, zero in the columns ow >= OW) and each of its rows
// is added as one contiguous run onto the phase planes of a dx channel (the transpose of the
// forward's shifted reads), which are finally scattered back to dx (PhasePlanes::unfill).
void backward_input_flat(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  const PhasePlanes pp(s);
  const int64_t L = pp.L, cplane = (int64_t)pp.nph * pp.plane;
  static thread_local AlignedBuf dqbuf;  // kept between calls (page faults)
  float* dq = dqbuf.get((size_t)s.N * s.OC * L);
  parallel_for((int64_t)s.N * s.OC, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float* src = dy + i * s.P;
      float* d = dq + i * L;
      for (int oh = 0; oh < s.OH; ++oh) {
        float* dr = d + (int64_t)oh * pp.Wq;
        std::memcpy(dr, src + (int64_t)oh * s.OW, sizeof(float) * s.OW);
        if (oh + 1 < s.OH) std::memset(dr + s.OW, 0, sizeof(float) * (pp.Wq - s.OW));
      }
    }
  }, 4);
  const int cb = channel_block(s);
  const int nblk = (s.Cg + cb - 1) / cb;
  const int mmax = cb * s.KK;
  std::vector<int64_t> koff((size_t)mmax);
  for (int r = 0; r < mmax; ++r) koff[r] = pp.tap_offset(s, r / s.KK, (r % s.KK) / s.KW, r % s.KW);
  const Tiling tl = make_tiling(L, std::max(NR, std::min(512, 65536 / std::max(mmax + s.OCg, 1))), NR);
  const int64_t aps = (int64_t)s.OCg * MR, bstride = (int64_t)((mmax + MR - 1) / MR) * aps;
  static thread_local AlignedBuf wtbuf;
  const float* Apall = pack_filter_t(uk, s, w, cb, nblk, bstride, wtbuf);
  parallel_for((int64_t)s.N * s.G * nblk, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf bbuf, colbuf, planebuf;
    const int64_t bss = (int64_t)s.OCg * NR;
    float* Bp = bbuf.get((size_t)((tl.len + NR - 1) / NR) * bss);
    float* col = colbuf.get((size_t)mmax * tl.len);
    float* planes = planebuf.get((size_t)cb * cplane);
    for (int64_t t = tb; t < te; ++t) {
      const int blk = (int)(t % nblk);
      const int64_t ng = t / nblk;
      const int g = (int)(ng % s.G), n = (int)(ng / s.G);
      const int c0 = blk * cb, nc = std::min(cb, s.Cg - c0), m = nc * s.KK;
      const float* dqg = dq + ((int64_t)n * s.OC + (int64_t)g * s.OCg) * L;
      const float* Ap = Apall + ((int64_t)g * nblk + blk) * bstride;
      std::memset(planes, 0, sizeof(float) * (size_t)nc * cplane);
      for (int tile = 0; tile < tl.count; ++tile) {
        const int64_t q0 = tl.begin(tile, L);
        const int np = (int)(std::min<int64_t>(L, q0 + tl.len) - q0);
        if (np <= 0) continue;
        gemm_pack_b(uk, false, dqg + q0, L, 0, s.OCg, 0, np, Bp, bss);
        gemm_packed(uk, m, np, s.OCg, Ap, aps, Bp, bss, col, tl.len, 1.f, false);
        for (int r = 0; r < m; ++r) {
          float* __restrict d = planes + koff[r] + q0;
          const float* __restrict c = col + (int64_t)r * tl.len;
          for (int j = 0; j < np; ++j) d[j] += c[j];
        }
      }
      float* dxc = dx + ((int64_t)n * s.C + (int64_t)g * s.Cg + c0) * s.HW;
      for (int c = 0; c < nc; ++c) pp.unfill(s, planes + (int64_t)c * cplane, dxc + (int64_t)c * s.HW);
    }
    colbuf.release_if_over((size_t)1 << 22);
    bbuf.release_if_over((size_t)1 << 22);
    planebuf.release_if_over((size_t)1 << 22);
  }, 1);
  dqbuf.release_if_over((size_t)1 << 24);
  wtbuf.release_if_over((size_t)1 << 24);
}

}  // namespace

void conv2d_backward_input(const float* dy, const float* w, float* dx, const int32_t* p) {
  const ConvShape s(p);
  if (s.depthwise()) {
    depthwise_backward_input(s, dy, w, dx);
    return;
  }
  if (s.SH == 1 && s.SW == 1) {
    // Stride 1: dx is the forward convolution of dy with the flipped, transposed filter
    // w'[c][oc][kh][kw] = w[oc][c][KH-1-kh][KW-1-kw], padding DH*(KH-1)-PT (may be negative)
    // and output H x W: a long-K GEMM and no col2im scatter.
    const int32_t q[CG_COUNT] = {s.N,  s.OC, s.OH, s.OW, s.C,  s.KH, s.KW, s.H, s.W, 1, 1,
                                 s.DH * (s.KH - 1) - s.PT, s.DW * (s.KW - 1) - s.PL, s.DH, s.DW, s.G};
    const ConvShape t(q);
    conv_forward_gemm(t, dy, w, nullptr, dx, -1, 0.f, /*flipped=*/true);
    return;
  }
  if (PhasePlanes::usable(s, 1.5) && (double)s.N * s.OC * PhasePlanes(s).L < (double)(64 << 20)) {
    backward_input_flat(s, dy, w, dx);
    return;
  }
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  const int cb = channel_block(s);
  const int nblk = (s.Cg + cb - 1) / cb;
  const int mmax = cb * s.KK;
  const Tiling tl = make_tiling(s.P, std::max(NR, std::min(512, 65536 / std::max(mmax + s.OCg, 1))), NR);
  const int64_t tasks = (int64_t)s.N * s.G * nblk;
  const int64_t aps = (int64_t)s.OCg * MR, bstride = (int64_t)((mmax + MR - 1) / MR) * aps;
  static thread_local AlignedBuf wtbuf;
  const float* Apall = pack_filter_t(uk, s, w, cb, nblk, bstride, wtbuf);
  parallel_for(tasks, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf bbuf, colbuf;
    const int64_t bss = (int64_t)s.OCg * NR;
    float* Bp = bbuf.get((size_t)((tl.len + NR - 1) / NR) * bss);
    float* col = colbuf.get((size_t)mmax * tl.len);
    for (int64_t t = tb; t < te; ++t) {
      const int blk = (int)(t % nblk);
      const int64_t ng = t / nblk;
      const int g = (int)(ng % s.G), n = (int)(ng / s.G);
      const int c0 = blk * cb, nc = std::min(cb, s.Cg - c0), m = nc * s.KK;
      const float* dyg = dy + ((int64_t)n * s.OC + (int64_t)g * s.OCg) * s.P;
      float* dxc = dx + ((int64_t)n * s.C + (int64_t)g * s.Cg + c0) * s.HW;
      const float* Ap = Apall + ((int64_t)g * nblk + blk) * bstride;
      std::memset(dxc, 0, sizeof(float) * (size_t)nc * s.HW);
      for (int tile = 0; tile < tl.count; ++tile) {
        const int64_t p0 = tl.begin(tile, s.P);
        const int np = (int)(std::min<int64_t>(s.P, p0 + tl.len) - p0);
        if (np <= 0) continue;
        gemm_pack_b(uk, false, dyg + p0, s.P, 0, s.OCg, 0, np, Bp, bss);
        gemm_packed(uk, m, np, s.OCg, Ap, aps, Bp, bss, col, tl.len, 1.f, false);
        for (int r = 0; r < m; ++r) {
          const int c = r / s.KK, kh = (r % s.KK) / s.KW, kw = r % s.KW;
          col2im_row(s, dxc + (int64_t)c * s.HW, kh, kw, p0, np, col + (int64_t)r * tl.len);
        }
      }
    }
    colbuf.release_if_over((size_t)1 << 22);
    bbuf.release_if_over((size_t)1 << 22);
  }, 1);
  wtbuf.release_if_over((size_t)1 << 24);
}

}  // namespace sp
