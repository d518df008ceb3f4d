// conv2d_backward_filter: dw[oc,c',kh,kw] = sum_{n,oh,ow} dy[n,oc,oh,ow] * x[n,c,ih,iw] and, when
// db is given, db[oc] = sum_{n,oh,ow} dy[n,oc,oh,ow] (fp32 NCHW).
//
// Per group: dW_g (OCg x Kg) = sum over units of dy_unit (OCg x np) * col_unit^T (np x Kg), a
// unit being up to kGemmKC consecutive positions of the images taken one after another (so a
// unit may span images). Most k x k layers use the flat layout of conv2d_forward.cc: x in phase
// planes (conv_common.h), where the col row of a tap is a shifted run of a plane, and dy copied
// to the same flat positions q = oh*Wq + ow with zeros in the dropped columns ow >= OW; both
// operands are then packed by the transposing row packs of the GEMM (one B sliver at a time,
// used while it is in L1). 1x1/stride-1 layers pack x itself; other geometries im2col col^T.
// The units are cut into a fixed number of chunks (from the shape, never from the thread
// count); each (group, chunk) task accumulates its units in order into its own partial (chunk 0
// into dw itself), and the partials are then added in chunk order, so 1 and N threads give
// identical bits. Depthwise layers: depthwise.cc; 3x3 stride-1 layers with 64+ channels:
// Winograd F(3x3, 2x2) (conv_winograd.cc) unless it declines.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

namespace {
// A unit spans at most kGemmKC positions, so at most kGemmKC image segments (1x1 maps): the
// segment list fits on the stack.
constexpr int kMaxSegs = kGemmKC;
}  // namespace

namespace {
void filter_grad_gemm(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  const bool pw = s.pointwise();
  // Flat layout buffers (all images at once, when they fit in ~256 MiB).
  bool flat = !pw && PhasePlanes::usable(s, 1.25);  // measured: 7x7 outputs are faster by im2col
  const PhasePlanes pp(s);
  const int64_t xq_img = flat ? (int64_t)s.C * pp.nph * pp.plane : 0;
  const int64_t dq_img = flat ? (int64_t)s.OC * pp.L : 0;
  if (flat && (double)s.N * (xq_img + dq_img) > (double)(64 << 20)) flat = false;
  static thread_local AlignedBuf xqbuf, dqbuf, partbuf;  // kept between calls (page faults)
  float* xq = nullptr;
  float* dq = nullptr;
  std::vector<int64_t> koff;
  if (flat) {
    xq = xqbuf.get((size_t)(s.N * xq_img));
    dq = dqbuf.get((size_t)(s.N * dq_img));
    koff.resize((size_t)s.Kg);
    for (int k = 0; k < s.Kg; ++k) koff[k] = pp.tap_offset(s, k / s.KK, (k % s.KK) / s.KW, k % s.KW);
    parallel_for((int64_t)s.N * (s.C + s.OC), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t n = i / (s.C + s.OC), r = i % (s.C + s.OC);
        if (r < s.C) {
          pp.fill(s, x + (n * s.C + r) * s.HW, xq + n * xq_img + r * pp.nph * pp.plane);
          continue;
        }
        const int64_t oc = r - s.C;
        const float* src = dy + (n * s.OC + oc) * s.P;
        float* d = dq + n * dq_img + oc * pp.L;
        for (int oh = 0; oh < s.OH; ++oh) {
          float* dr = d + (int64_t)oh * pp.Wq;
          std::memcpy(dr, src + (int64_t)oh * s.OW, sizeof(float) * s.OW);
          if (oh + 1 < s.OH) std::memset(dr + s.OW, 0, sizeof(float) * (pp.Wq - s.OW));
        }
      }
    }, 4);
  }
  // The reduction runs over the positions of all images in a row (image-major), cut into units of
  // at most kGemmKC positions that may span images: small maps (an R-CNN head's 4x4 RoI features
  // at batch 16, 10x10 maps) then add one deep product into dw per unit instead of one shallow
  // product per image, each of which reads and writes all of dw.
  const int64_t L = flat ? pp.L : s.P;
  const int64_t T = (int64_t)s.N * L;
  const Tiling tl = make_tiling(T, kGemmKC, 8);
  const int64_t units = tl.count;
  const int64_t wsize = (int64_t)s.OC * s.Kg;
  int64_t chunks = std::min<int64_t>(units, std::max(1, 16 / s.G));
  const int64_t cap = ((int64_t)64 << 20) / (4 * std::max<int64_t>(wsize, 1));  // <= 64 MiB of partials
  chunks = std::max<int64_t>(1, std::min(chunks, cap + 1));
  float* part = chunks > 1 ? partbuf.get((size_t)(chunks - 1) * wsize) : nullptr;
  // Fewer (group, chunk) tasks than threads (small maps): the rows of dw (output channels) are
  // split as well, in chunks of at least 4 MR-row panels, one task per thread. A row's sums are the
  // same products in the same order however the rows are split, so the split changes no bit; each
  // row chunk packs its own copy of the units' columns, so no more chunks than threads.
  const int npan = (s.OCg + MR - 1) / MR;
  const int64_t base = (int64_t)s.G * chunks;
  const int64_t want = std::max(1, get_num_threads());
  const int occ = base >= want ? 1 : (int)std::max<int64_t>(1, std::min<int64_t>(npan / 4, (want + base - 1) / base));

  parallel_for(base * occ, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf abuf, bbuf;
    const int kpad = (int)round_up(s.Kg, NR);
    float* Ap = abuf.get((size_t)round_up(s.OCg, MR) * tl.len);
    float* Bp = bbuf.get((size_t)(flat || pw ? NR : kpad) * tl.len);
    for (int64_t t = tb; t < te; ++t) {
      const int oc_chunk = (int)(t % occ);
      const int g = (int)(t / occ / chunks);
      const int64_t ch = (t / occ) % chunks;
      const int64_t u0 = units * ch / chunks, u1 = units * (ch + 1) / chunks;
      const int r0 = (int)((int64_t)npan * oc_chunk / occ) * MR;
      const int r1 = std::min(s.OCg, (int)((int64_t)npan * (oc_chunk + 1) / occ) * MR);
      if (r1 <= r0) continue;
      float* out = (ch == 0 ? dw : part + (ch - 1) * wsize) + ((int64_t)g * s.OCg + r0) * s.Kg;
      if (u0 >= u1) {
        std::memset(out, 0, sizeof(float) * (size_t)(r1 - r0) * s.Kg);
        continue;
      }
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t t0 = tl.begin((int)u, T);
        const int np = (int)(std::min<int64_t>(T, t0 + tl.len) - t0);
        const int64_t aps = (int64_t)np * MR, bss = (int64_t)np * NR;
        // The unit's segments: image n, positions [p0, p0 + len) of it, at offset `at` in the unit.
        struct Seg {
          int n;
          int64_t p0;
          int len, at;
        };
        Seg segs[kMaxSegs];
        int nseg = 0;
        for (int64_t q = t0; q < t0 + np && nseg < kMaxSegs;) {
          const int n = (int)(q / L);
          const int64_t p0 = q % L, len = std::min<int64_t>(L - p0, t0 + np - q);
          segs[nseg++] = Seg{n, p0, (int)len, (int)(q - t0)};
          q += len;
        }
        // A = rows [r0, r1) of dy (OCg x positions), image by image into the panels' k ranges.
        for (int i = 0; i < nseg; ++i) {
          const Seg& sg = segs[i];
          const float* dyn = flat ? dq + sg.n * dq_img + (int64_t)g * s.OCg * L
                                  : dy + ((int64_t)sg.n * s.OC + (int64_t)g * s.OCg) * s.P;
          gemm_pack_a(uk, false, dyn, L, r0, r1 - r0, (int)sg.p0, sg.len, Ap + (int64_t)sg.at * MR, aps);
        }
        if (flat || pw) {
          // B = col^T (np x Kg), one NR-wide sliver of taps at a time.
          for (int k0 = 0; k0 < s.Kg; k0 += NR) {
            const int nb = std::min(NR, s.Kg - k0);
            for (int i = 0; i < nseg; ++i) {
              const Seg& sg = segs[i];
              const float* cols[kGemmMaxNR];
              const float* xqg = flat ? xq + sg.n * xq_img + (int64_t)g * s.Cg * pp.nph * pp.plane : nullptr;
              const float* xg = x + ((int64_t)sg.n * s.C + (int64_t)g * s.Cg) * s.HW;
              for (int c = 0; c < nb; ++c)
                cols[c] = flat ? xqg + koff[k0 + c] + sg.p0 : xg + (int64_t)(k0 + c) * s.HW + sg.p0;
              gemm_pack_rows_b(uk, cols, nb, sg.len, Bp + (int64_t)sg.at * NR);
            }
            gemm_macro(uk, r1 - r0, nb, np, Ap, aps, Bp, bss, out + k0, s.Kg, 1.f, u != u0);
          }
          continue;
        }
        // B = col^T (np x Kg) by im2col, in NR-wide slivers over k.
        {
          const int sw = s.SW;
          for (int k = 0; k < kpad; ++k) {
            float* d = Bp + (int64_t)(k / NR) * bss + (k % NR);
            if (k >= s.Kg) {
              for (int j = 0; j < np; ++j) d[(int64_t)j * NR] = 0.f;
              continue;
            }
            const int c = k / s.KK, kh = (k % s.KK) / s.KW, kw = k % s.KW;
            for (int i = 0; i < nseg; ++i) {
              const Seg& sg = segs[i];
              const float* xg = x + ((int64_t)sg.n * s.C + (int64_t)g * s.Cg) * s.HW;
              float* ds = d + (int64_t)sg.at * NR;
              im2col_walk(
                  s, xg + (int64_t)c * s.HW, kh, kw, sg.p0, sg.len,
                  [&](int j, const float* src, int len) {
                    float* o = ds + (int64_t)j * NR;
                    if (sw == 1)
                      for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = src[q];
                    else
                      for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = src[(int64_t)q * sw];
                  },
                  [&](int j, int len) {
                    float* o = ds + (int64_t)j * NR;
                    for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = 0.f;
                  });
            }
          }
        }
        gemm_packed(uk, r1 - r0, s.Kg, np, Ap, aps, Bp, bss, out, s.Kg, 1.f, u != u0);
      }
    }
    bbuf.release_if_over((size_t)1 << 22);
  }, 1);

  if (chunks > 1) {
    parallel_for(wsize, [&](int64_t b, int64_t e) {
      for (int64_t ch = 1; ch < chunks; ++ch) {
        const float* pc = part + (ch - 1) * wsize;
        for (int64_t i = b; i < e; ++i) dw[i] += pc[i];
      }
    }, 4096);
  }
  xqbuf.release_if_over((size_t)1 << 24);
  dqbuf.release_if_over((size_t)1 << 24);
  partbuf.release_if_over((size_t)1 << 24);
}

// db[oc] = sum of dy[., oc, ., .]
void bias_grad(const ConvShape& s, const float* dy, float* db) {
  parallel_for(s.OC, [&](int64_t b, int64_t e) {
    for (int64_t oc = b; oc < e; ++oc) {
      // Four interleaved partial sums (independent add chains), combined in a fixed order.
      double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
      for (int n = 0; n < s.N; ++n) {
        const float* d = dy + ((int64_t)n * s.OC + oc) * s.P;
        int64_t j = 0;
        for (; j + 4 <= s.P; j += 4) {
          a0 += d[j];
          a1 += d[j + 1];
          a2 += d[j + 2];
          a3 += d[j + 3];
        }
        for (; j < s.P; ++j) a0 += d[j];
      }
      db[oc] = (float)((a0 + a1) + (a2 + a3));
    }
  }, 4);
}
}  // namespace

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const int32_t* p) {
  const ConvShape s(p);
  if (s.depthwise()) {
    depthwise_backward_filter(s, x, dy, dw, db);
    return;
  }
  if (!(winograd_enabled() && conv_winograd_fits(s, false) && conv_filter_grad_winograd(s, x, dy, dw)))
    filter_grad_gemm(s, x, dy, dw);
  if (db) bias_grad(s, dy, db);
}

}  // namespace sp
