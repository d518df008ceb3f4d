// conv2d_forward: y[n,oc,oh,ow] = b[oc] + sum_{c in group, kh, kw} x[n,c,ih,iw] * w[oc,c',kh,kw]
// (fp32 NCHW, ih = oh*SH - PT + kh*DH, iw = ow*SW - PL + kw*DW, zero outside the input).
//
// Per (image n, group g, spatial tile): y_g[:, tile] = W_g * col[:, tile], with W_g (OCg x Kg)
// packed once into microkernel panels and col written straight into the packed B layout
// (NR-wide slivers), so the column buffer stays in L2; the bias is one more K row (W column b,
// col row of ones). Three ways to fill col:
//  - 1x1/stride-1/unpadded: x itself, packed directly;
//  - flat (most k x k layers): x is first re-laid out into zero-padded phase planes
//    (PhasePlanes, conv_common.h) in which every tap is a shift, so a sliver of col is NR
//    consecutive floats (block copies instead of a per-element im2col); the GEMM runs over flat
//    positions q = oh*Wq + ow and the columns ow >= OW are dropped when the tile is stored.
//    Its tiles run over the slivers of all images of a pass, so a 10x10 map with 512-1024
//    channels multiplies both images of a batch at once and streams the large packed filter
//    once, and col is built one K-block at a time (kGemmKC x 256 floats, in cache);
//  - im2col rows otherwise (wide padding waste, or strides the phase planes do not cover).
// Depthwise layers go to a direct kernel (depthwise.cc). Tasks are independent output tiles with
// a thread-count-independent tiling (only the output-channel chunks follow the thread count), and
// every output element is one dot product over K in a fixed order, so 1 and N threads give
// identical bits.
// Small maps (10x10 to 19x19 with 512-1024 channels) give fewer tiles than threads: there the
// output channels are split too (oc_chunks); each chunk is still the same dot products in the
// same order, so neither the split nor the tiling across images changes a bit.
#include <algorithm>
#include <memory>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "upsample_common.h"
#include "threadpool.h"

namespace sp {

namespace {

// The im2col row of tap (kh, kw) of input plane xc, output positions [p0, p0 + np), dealt into
// NR-wide slivers: position j lands at rowbase[(j / NR) * sstride + j % NR]; the lanes of the last
// sliver past np are zero.
void im2col_slivers(const ConvShape& s, const float* xc, int kh, int kw, int64_t p0, int np, float* rowbase,
                    int64_t sstride, int NR) {
  const int sw = s.SW;
  im2col_walk(
      s, xc, kh, kw, p0, np,
      [&](int j, const float* src, int len) {
        while (len > 0) {
          const int r = j % NR, m = std::min(len, NR - r);
          float* d = rowbase + (int64_t)(j / NR) * sstride + r;
          if (sw == 1)
            for (int q = 0; q < m; ++q) d[q] = src[q];
          else
            for (int q = 0; q < m; ++q) d[q] = src[(int64_t)q * sw];
          src += (int64_t)m * sw;
          j += m;
          len -= m;
        }
      },
      [&](int j, int len) {
        while (len > 0) {
          const int r = j % NR, m = std::min(len, NR - r);
          float* d = rowbase + (int64_t)(j / NR) * sstride + r;
          for (int q = 0; q < m; ++q) d[q] = 0.f;
          j += m;
          len -= m;
        }
      });
  if (np % NR) {
    float* d = rowbase + (int64_t)(np / NR) * sstride;
    for (int q = np % NR; q < NR; ++q) d[q] = 0.f;
  }
}

// The flat path (see the file comment): Wp holds the packed W_g (+ bias column) of every group.
// The GEMM columns of one pass are slivers of NR flat positions, image after image (the last
// sliver of an image runs past L: those columns are computed and dropped). A tile is a run of
// slivers that may span images, so small maps put several images into one product and the packed
// filter is streamed once per tile instead of once per image.
void conv_forward_flat(const ConvShape& s, const float* x, const float* Wp, int64_t aps, int npan, bool bias,
                       float* y, int act, float alpha) {
  const GemmMicro& uk = gemm_micro();
  const int NR = uk.nr;
  const int Kb = s.Kg + (bias ? 1 : 0);
  const PhasePlanes pp(s);
  const int64_t gstride = (int64_t)s.Cg * pp.nph * pp.plane;  // floats per group of one image
  const int64_t per_img = gstride * s.G;
  const int64_t nsl_img = (pp.L + NR - 1) / NR;  // slivers per image
  // Images per pass: the phase planes of a pass stay under ~32 MiB.
  const int nb = (int)std::max<int64_t>(1, std::min<int64_t>(s.N, ((int64_t)8 << 20) / std::max<int64_t>(per_img, 1)));
  // Kept per calling thread between calls (a fresh multi-MiB buffer costs page faults).
  static thread_local AlignedBuf xqbuf;
  const int64_t slack = 2 * (int64_t)NR;  // slivers past L read (discarded) values up to here
  float* xq = xqbuf.get((size_t)(nb * per_img + slack));
  std::memset(xq + nb * per_img, 0, sizeof(float) * slack);
  std::vector<int64_t> koff((size_t)s.Kg);
  for (int k = 0; k < s.Kg; ++k) koff[k] = pp.tap_offset(s, k / s.KK, (k % s.KK) / s.KW, k % s.KW);
  // Slivers per tile: 256 columns (measured against 128 and 512 on the YOLOv3 head layers).
  const int tsl = std::max(1, 256 / NR);
  const int nkb = gemm_k_blocks(Kb);
  const int MR = uk.mr;
  for (int n0 = 0; n0 < s.N; n0 += nb) {
    const int nimg = std::min(nb, s.N - n0);
    const int64_t nsl = nimg * nsl_img;
    const Tiling tl = make_tiling(nsl, tsl, 1);
    const int64_t ldct = (int64_t)tl.len * NR;
    const int occ = oc_chunks((int64_t)s.G * tl.count, npan);
    parallel_for((int64_t)nimg * s.C, [&](int64_t cb, int64_t ce) {
      for (int64_t i = cb; i < ce; ++i)
        pp.fill(s, x + ((int64_t)n0 * s.C + i) * s.HW, xq + i * pp.nph * pp.plane);
    }, 4);
    parallel_for((int64_t)s.G * tl.count * occ, [&](int64_t tb, int64_t te) {
      static thread_local AlignedBuf colbuf, cbuf;
      float* col = colbuf.get((size_t)kGemmKC * ldct);
      float* ct = cbuf.get((size_t)s.OCg * ldct);
      std::vector<int64_t> sbase((size_t)tl.len);  // plane offset of each sliver of the tile
      for (int64_t t = tb; t < te; ++t) {
        const int chunk = (int)(t % occ);
        const int64_t tt = t / occ;
        const int tile = (int)(tt % tl.count);
        const int g = (int)(tt / tl.count);
        const int64_t s0 = tl.begin(tile, nsl);
        const int ns = (int)(std::min<int64_t>(nsl, s0 + tl.len) - s0);
        if (ns <= 0) continue;
        int i0, i1;
        chunk_rows(chunk, occ, npan, MR, s.OCg, i0, i1);
        if (i1 <= i0) continue;
        for (int sl = 0; sl < ns; ++sl) {
          const int64_t sg = s0 + sl;
          sbase[sl] = (sg / nsl_img) * per_img + (int64_t)g * gstride + (sg % nsl_img) * NR;
        }
        // K-block by K-block (the blocks gemm_packed would use): the block's col (kc x tile) is
        // dealt out tap by tap from the planes and multiplied at once, so it is still in cache.
        for (int kb = 0; kb < nkb; ++kb) {
          const int k0 = gemm_k_begin(Kb, nkb, kb), kc = gemm_k_begin(Kb, nkb, kb + 1) - k0;
          const int64_t bss = (int64_t)kc * NR;
          for (int k = k0; k < k0 + kc; ++k) {
            float* d = col + (int64_t)(k - k0) * NR;
            if (k == s.Kg) {  // the bias row
              fill_bias_row(col, ns, bss, k - k0, NR);
              continue;
            }
            const float* src = xq + koff[k];
            if (NR == 16) {
              for (int sl = 0; sl < ns; ++sl) std::memcpy(d + sl * bss, src + sbase[sl], 16 * sizeof(float));
            } else if (NR == 32) {
              for (int sl = 0; sl < ns; ++sl) std::memcpy(d + sl * bss, src + sbase[sl], 32 * sizeof(float));
            } else {
              for (int sl = 0; sl < ns; ++sl) std::memcpy(d + sl * bss, src + sbase[sl], NR * sizeof(float));
            }
          }
          gemm_packed(uk, i1 - i0, ns * NR, kc, Wp + ((int64_t)g * npan + i0 / MR) * aps + (int64_t)k0 * MR, aps,
                      col, bss, ct + (int64_t)i0 * ldct, ldct, 1.f, kb > 0, kb == nkb - 1 ? act : -1, alpha);
        }
        // Store per image: the tile's slivers of image n are one run of flat positions [qa, qb);
        // of those, the columns with ow < OW, row segment by row segment.
        for (int sa = 0; sa < ns;) {
          const int64_t n = (s0 + sa) / nsl_img;
          const int sb = (int)std::min<int64_t>(ns, (n + 1) * nsl_img - s0);
          const int64_t qa = ((s0 + sa) % nsl_img) * NR;
          const int64_t qe = std::min<int64_t>(pp.L, qa + (int64_t)(sb - sa) * NR);
          const float* cbase = ct + (int64_t)sa * NR - qa;
          float* yg = y + ((int64_t)(n0 + n) * s.OC + (int64_t)g * s.OCg) * s.P;
          for (int64_t q = qa; q < qe;) {
            const int oh = (int)(q / pp.Wq), ow = (int)(q % pp.Wq);
            const int64_t rowend = (int64_t)oh * pp.Wq + pp.Wq;
            if (ow < s.OW) {
              const int len = (int)std::min<int64_t>(s.OW - ow, qe - q);
              const float* src = cbase + q;
              float* dst = yg + (int64_t)oh * s.OW + ow;
              for (int oc = i0; oc < i1; ++oc)
                std::memcpy(dst + (int64_t)oc * s.P, src + (int64_t)oc * ldct, sizeof(float) * len);
            }
            q = std::min(rowend, qe);
          }
          sa = sb;
        }
      }
      colbuf.release_if_over((size_t)1 << 22);
      cbuf.release_if_over((size_t)1 << 22);
    }, 1);
  }
  xqbuf.release_if_over((size_t)1 << 24);
}

// im2col for small maps (P under a tile) where the flat layout would waste many columns (4x4 RoI
// features: 22 flat positions, 2 slivers, for 16 outputs): the columns of all images go one after
// another, each image starting on a sliver (its last sliver zero-padded), and a tile of up to 256
// columns spans images, so the packed filter streams once per tile, not once per image. Per tile:
// the columns (all K rows) are built once, split over threads by rows of col, then the product is
// split over threads by output-channel chunks (each output is still one dot product over K in
// gemm_packed's order), then the outputs are stored image by image.
void conv_forward_im2col_batched(const ConvShape& s, const float* x, const float* Wp, int64_t aps, int npan,
                                 bool bias, float* y, int act, float alpha) {
  const GemmMicro& uk = gemm_micro();
  const int NR = uk.nr, MR = uk.mr;
  const int Kb = s.Kg + (bias ? 1 : 0);
  const int64_t nsl_img = (s.P + NR - 1) / NR;
  const int64_t nsl = (int64_t)s.N * nsl_img;
  const Tiling tl = make_tiling(nsl, std::max(1, 256 / NR), 1);
  const int64_t ldct = (int64_t)tl.len * NR, sstride = (int64_t)Kb * NR;
  // Row chunks of the product: at least 4 panels each, about 4 per thread.
  const int occ = (int)std::max<int64_t>(1, std::min<int64_t>(npan / 4, 4 * (int64_t)std::max(1, get_num_threads())));
  static thread_local AlignedBuf colbuf, cbuf;
  float* col = colbuf.get((size_t)(sstride * tl.len));
  float* ct = cbuf.get((size_t)s.OCg * ldct);
  for (int g = 0; g < s.G; ++g)
    for (int tile = 0; tile < tl.count; ++tile) {
      const int64_t s0 = tl.begin(tile, nsl);
      const int ns = (int)(std::min<int64_t>(nsl, s0 + tl.len) - s0);
      if (ns <= 0) continue;
      // The tile's runs: image n, output positions [pa, pa + np), first sliver sa of the tile.
      struct Run {
        int64_t n, pa;
        int np, sa;
      };
      std::vector<Run> runs;
      for (int sa = 0; sa < ns;) {
        const int64_t n = (s0 + sa) / nsl_img;
        const int sb = (int)std::min<int64_t>(ns, (n + 1) * nsl_img - s0);
        const int64_t pa = ((s0 + sa) % nsl_img) * NR;
        runs.push_back(Run{n, pa, (int)(std::min<int64_t>(s.P, pa + (int64_t)(sb - sa) * NR) - pa), sa});
        sa = sb;
      }
      parallel_for(Kb, [&](int64_t kb, int64_t ke) {
        for (int64_t k = kb; k < ke; ++k) {
          if (k == s.Kg) {  // the bias row of ones
            fill_bias_row(col, ns, sstride, k, NR);
            continue;
          }
          const int c = (int)(k / s.KK), kh = (int)((k % s.KK) / s.KW), kw = (int)(k % s.KW);
          for (const Run& r : runs) {
            // Column j of the run lands at col[(sa + j/NR)*sstride + k*NR + j%NR].
            float* rowbase = col + (int64_t)r.sa * sstride + k * NR;
            const float* xc = x + (r.n * s.C + (int64_t)g * s.Cg + c) * s.HW;
            im2col_slivers(s, xc, kh, kw, r.pa, r.np, rowbase, sstride, NR);
          }
        }
      }, 16);
      parallel_for(occ, [&](int64_t cb, int64_t ce) {
        for (int64_t chunk = cb; chunk < ce; ++chunk) {
          int i0, i1;
          chunk_rows((int)chunk, occ, npan, MR, s.OCg, i0, i1);
          if (i1 <= i0) continue;
          gemm_packed(uk, i1 - i0, ns * NR, Kb, Wp + ((int64_t)g * npan + i0 / MR) * aps, aps, col, sstride,
                      ct + (int64_t)i0 * ldct, ldct, 1.f, false, act, alpha);
        }
      }, 1);
      parallel_for(s.OCg, [&](int64_t ob, int64_t oe) {
        for (int64_t oc = ob; oc < oe; ++oc)
          for (const Run& r : runs) {
            float* yo = y + (r.n * s.OC + (int64_t)g * s.OCg + oc) * s.P + r.pa;
            std::memcpy(yo, ct + oc * ldct + (int64_t)r.sa * NR, sizeof(float) * r.np);
          }
      }, 16);
    }
  colbuf.release_if_over((size_t)1 << 22);
  cbuf.release_if_over((size_t)1 << 22);
}

}  // namespace

void pack_conv_filter(const ConvShape& s, const float* w, const float* b, float* Wp) {
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr;
  const int npan = (s.OCg + MR - 1) / MR;
  const int64_t aps = (int64_t)(s.Kg + (b ? 1 : 0)) * MR;
  parallel_for((int64_t)s.G * npan, [&](int64_t ub, int64_t ue) {
    for (int64_t u = ub; u < ue; ++u) {
      const int g = (int)(u / npan), i = (int)(u % npan) * MR, mb = std::min(MR, s.OCg - i);
      float* panel = Wp + u * aps;
      gemm_pack_a(uk, false, w + (int64_t)g * s.OCg * s.Kg, s.Kg, i, mb, 0, s.Kg, panel, aps);
      if (b)
        for (int r = 0; r < MR; ++r) panel[(int64_t)s.Kg * MR + r] = r < mb ? b[g * s.OCg + i + r] : 0.f;
    }
  }, 16);
}

namespace {

// The panels conv_forward_gemm multiplies when w is the filter of the forward layer whose stride-1
// input gradient this is (see `flipped` there), bias column included.
void pack_flipped_filter(const ConvShape& s, const float* w, const float* b, float* Wp) {
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr;
  const int npan = (s.OCg + MR - 1) / MR;
  const int64_t aps = (int64_t)(s.Kg + (b ? 1 : 0)) * MR;
  // Row r, column k = (c, kk) of this layer is w[g*Cg + c][i + r][KK-1-kk] of the forward one.
  // By blocks of 8 panels: for each c the block's rows of w[g*Cg + c] (8*MR*KK contiguous
  // floats) are read once and each MR x KK piece is transposed by the microkernel's row pack
  // (taps in order) and copied, its KK columns of MR in reverse, to the end of its panel (8
  // sequential write streams; dealing each filter row to all panels at once, 43 scattered
  // streams, or one panel at a time, a page per c, ran at a third of the forward pack's speed).
  const int pb = 8, nblk = (npan + pb - 1) / pb;
  parallel_for((int64_t)s.G * nblk, [&](int64_t bb, int64_t be) {
    static thread_local AlignedBuf tbuf;
    float* tp = tbuf.get((size_t)s.KK * MR);
    const float* rows[kGemmMaxMR];
    for (int64_t gb = bb; gb < be; ++gb) {
      const int g = (int)(gb / nblk), u0 = (int)(gb % nblk) * pb, u1 = std::min(npan, u0 + pb);
      for (int c = 0; c < s.Cg; ++c) {
        const float* wc = w + ((int64_t)g * s.Cg + c) * s.OCg * s.KK;
        for (int u = u0; u < u1; ++u) {
          const int i = u * MR, mb = std::min(MR, s.OCg - i);
          float* d = Wp + ((int64_t)g * npan + u) * aps + (int64_t)c * s.KK * MR;
          if (s.KK == 1) {  // a 1x1 filter: the block is MR contiguous floats already
            std::memcpy(d, wc + i, sizeof(float) * mb);
            for (int r = mb; r < MR; ++r) d[r] = 0.f;
            continue;
          }
          for (int r = 0; r < mb; ++r) rows[r] = wc + (int64_t)(i + r) * s.KK;
          gemm_pack_rows_a(uk, rows, mb, s.KK, tp);
          for (int kk = 0; kk < s.KK; ++kk)
            std::memcpy(d + (int64_t)kk * MR, tp + (int64_t)(s.KK - 1 - kk) * MR, sizeof(float) * MR);
        }
      }
    }
  }, 1);
  if (b)
    for (int64_t u = 0; u < (int64_t)s.G * npan; ++u)
      for (int r = 0, i = (int)(u % npan) * MR; r < MR; ++r)
        Wp[u * aps + (int64_t)s.Kg * MR + r] = i + r < s.OCg ? b[(u / npan) * s.OCg + i + r] : 0.f;
}

}  // namespace

void FilterCache::clear() {
  gemm.release_if_over(0);
  wino.release_if_over(0);
  blocked.release_if_over(0);
  gemm_ready = false;
  blocked_ready = false;
  wino_state = 0;
  bytes = 0;
  w = b = nullptr;
  OC = 0;
}

void FilterCache::bind(const ConvShape& s, const float* w_, const float* b_) {
  const int MR = gemm_micro().mr;
  if (OC && w == w_ && b == b_ && OC == s.OC && Cg == s.Cg && KH == s.KH && KW == s.KW && G == s.G && mr == MR) return;
  clear();
  w = w_;
  b = b_;
  OC = s.OC, Cg = s.Cg, KH = s.KH, KW = s.KW, G = s.G, mr = MR;
}

namespace {

// Rows [k0, k0 + kc) of the concatenated input (ConcatInput) of image n, positions [p0, p0 + np) of
// the H x W output grid: row k - k0 at dst + (k - k0) * ldd. tab: per source resized, the source
// row of each output row, then the source column of each output column (null: not resized).
struct ConcatRows {
  const ConcatInput& c;
  int H, W;
  std::vector<int> tab[2];
  bool twice[2] = {false, false};  // source i's columns doubled: column ow from column ow / 2
  ConcatRows(const ConcatInput& cat, int H_, int W_) : c(cat), H(H_), W(W_) {
    for (int i = 0; i < 2; ++i) {
      if (c.H[i] == H && c.W[i] == W) continue;
      const UpsampleAxis ah = upsample_axis(c.H[i], H, false, c.align[i]), aw = upsample_axis(c.W[i], W, false, c.align[i]);
      tab[i] = ah.i0;
      tab[i].insert(tab[i].end(), aw.i0.begin(), aw.i0.end());
      twice[i] = true;
      for (int ow = 0; ow < W; ++ow) twice[i] = twice[i] && aw.i0[(size_t)ow] == ow / 2;
    }
  }
  // source i, its channel ch, image n: the plane
  const float* plane(int i, int n, int ch) const {
    return c.x[i] + ((int64_t)n * c.C[i] + ch) * c.H[i] * c.W[i];
  }
  // Rows [k0, k0 + kc) of source i (channels of that source), positions [p0, p0 + np): row k - k0 at
  // dst + (k - k0) * ldd. A resized source: row segment by row segment through the column table,
  // a segment whose source row is the one before's copied from it.
  void rows(int i, int n, int k0, int kc, int64_t p0, int np, float* dst, int64_t ldd) const {
    for (int k = k0; k < k0 + kc; ++k) {
      const float* src = plane(i, n, k);
      float* d = dst + (int64_t)(k - k0) * ldd;
      if (tab[i].empty()) {
        std::memcpy(d, src + p0, sizeof(float) * np);
        continue;
      }
      const int* th = tab[i].data();
      const int* tw = th + H;
      int64_t p = p0;
      const float* prev = nullptr;  // the segment before, when it covered a whole row
      int prev_row = -1;
      for (int j = 0; j < np;) {
        const int oh = (int)(p / W), ow0 = (int)(p % W), len = (int)std::min<int64_t>(W - ow0, np - j);
        if (ow0 == 0 && len == W && prev && th[oh] == prev_row) {
          std::memcpy(d + j, prev, sizeof(float) * W);
        } else {
          const float* r = src + (int64_t)th[oh] * c.W[i];
          if (twice[i] && !(ow0 & 1) && !(len & 1)) {
            // YOLOv3's 2x nearest upsample (segments start and end on whole pairs: tiles are
            // whole slivers, rows even): each float twice, a plain loop the compiler vectorizes
            // (the table's lookups one float at a time took an eighth of r578's 384 -> 26
            // concatenation's 1x1 layer; it and 384 -> 128 0.05-0.08 ms faster in model forwards)
            float* o = d + j;
            const float* rs = r + ow0 / 2;
            for (int e = 0; e < len / 2; ++e) o[2 * e] = o[2 * e + 1] = rs[e];
          } else {
            for (int q = 0; q < len; ++q) d[j + q] = r[tw[ow0 + q]];
          }
        }
        prev = ow0 == 0 && len == W ? d + j : nullptr;
        prev_row = th[oh];
        j += len;
        p += len;
      }
    }
  }
};

}  // namespace

const float* conv_packed_filter(const ConvShape& s, const float* w, const float* b, FilterCache* fc, AlignedBuf& scratch) {
  const int MR = gemm_micro().mr;
  const size_t wsize = (size_t)s.G * ((s.OCg + MR - 1) / MR) * (s.Kg + (b ? 1 : 0)) * MR;
  float* Wp = fc ? fc->gemm.get(wsize) : scratch.get(wsize);
  if (fc && fc->gemm_ready) return Wp;  // packed by an earlier call
  pack_conv_filter(s, w, b, Wp);
  if (fc) {
    fc->gemm_ready = true;
    fc->bytes += wsize * sizeof(float);
  }
  return Wp;
}

void conv_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act,
                       float alpha, bool flipped, FilterCache* fc, const ConcatInput* cat) {
  if (flipped) fc = nullptr;
  if (fc) fc->bind(s, w, b);
  if (winograd_enabled() && conv_winograd_fits(s, true) && conv_forward_winograd(s, x, w, b, y, act, alpha, flipped, fc)) return;
  if (!flipped && stem_forward(s, x, w, b, y, act, alpha)) return;
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  // The bias rides along as one extra K row: W gets a column b[oc], col a row of ones.
  const int Kb = s.Kg + (b ? 1 : 0);
  const int npan = (s.OCg + MR - 1) / MR;
  const int64_t aps = (int64_t)Kb * MR;
  // Kept per calling thread between calls: a fresh filter-sized buffer (up to ~19 MB for the
  // 1024-channel 3x3 layers) is a new mapping each call, page-faulted and zeroed by the kernel.
  static thread_local AlignedBuf wbuf;
  const float* Wp;
  if (flipped) {
    float* f = wbuf.get((size_t)s.G * npan * aps);
    pack_flipped_filter(s, w, b, f);
    Wp = f;
  } else {
    Wp = conv_packed_filter(s, w, b, fc, wbuf);
  }

  const bool pw = s.pointwise();
  std::unique_ptr<ConcatRows> cat_rows;
  if (cat) cat_rows.reset(new ConcatRows(*cat, s.OH, s.OW));  // (a pointwise layer: the caller checks)
  // Flat unless its dropped columns cost more than a fifth over im2col's (per image, in whole
  // slivers): 10x10 maps (128 against 112 columns) stay flat, 4x4 (32 against 16) do not.
  // (batched im2col holds all K rows of a 256-column tile: at most 64 MiB of it)
  const bool small = !pw && s.P < 256 && (double)Kb * 256 * sizeof(float) <= (double)(64 << 20);
  bool flat = !pw && PhasePlanes::usable(s, 1.5);  // measured: wins up to 7x7 outputs (9/7)
  if (flat && small) flat = round_up(PhasePlanes(s).L, NR) * 5 <= round_up(s.P, NR) * 6;
  if (flat || small) {
    if (flat)
      conv_forward_flat(s, x, Wp, aps, npan, b != nullptr, y, act, alpha);
    else
      conv_forward_im2col_batched(s, x, Wp, aps, npan, b != nullptr, y, act, alpha);
    wbuf.release_if_over((size_t)1 << 24);
    return;
  }
  // Tiles of 256 columns of one image; col is built one K-block (kGemmKC rows) at a time and
  // multiplied while in cache, so the packed filter streams once per tile.
  const Tiling tl = make_tiling(s.P, 256, NR);
  const int64_t tasks = (int64_t)s.N * s.G * tl.count;
  const int occ = oc_chunks(tasks, npan);
  const int nkb = gemm_k_blocks(Kb);
  // Task t: output-channel chunk t / tasks (the panels it multiplies), then image, group and tile.
  // With more than one chunk, a thread's run of tasks shares its chunk (parallel_for hands out
  // whole chunks) and goes K-block by K-block over all of them, so each K-block of the chunk's
  // panels is fetched once and reused from cache for every image and tile (10x10 maps with 512 to
  // 1024 channels: the panels are megabytes). Each output is still one dot product over K in
  // gemm_packed's block order: the same bits for any split.
  const auto item = [&](int64_t t, int kb, float* col) {
    const int chunk = (int)(t / tasks);
    const int64_t tt = t % tasks;
    const int tile = (int)(tt % tl.count);
    const int64_t ng = tt / tl.count;
    const int g = (int)(ng % s.G), n = (int)(ng / s.G);
    const int64_t p0 = tl.begin(tile, s.P);
    const int np = (int)(std::min<int64_t>(s.P, p0 + tl.len) - p0);
    if (np <= 0) return;
    const int nsl = (np + NR - 1) / NR;
    const float* xg = x + ((int64_t)n * s.C + (int64_t)g * s.Cg) * s.HW;
    float* yg = y + ((int64_t)n * s.OC + (int64_t)g * s.OCg) * s.P + p0;
    int i0, i1;
    chunk_rows(chunk, occ, npan, MR, s.OCg, i0, i1);
    if (i1 <= i0) return;
    const int k0 = gemm_k_begin(Kb, nkb, kb), kc = gemm_k_begin(Kb, nkb, kb + 1) - k0;
    const int64_t sstride = odd_line_stride((int64_t)kc * NR);
    const int kx = std::min(kc, s.Kg - k0);  // rows of x; the bias row (k == Kg) follows
    // A pointwise layer's rows of x are packed like any col (copy_b, row after row):
    // reading them in place (gemm_direct) measured 0.87-1.0x of packing on the backbone's 1x1
    // layers (512 -> 512 on 20x20, 1024 -> 1024 on 10x10, A/B in one process, AVX-512 and AVX2).
    // With at most 3 panels of output channels a packed row serves too few of them: in place
    // measured 1.47x on 384 -> 26 at 40x40 (1.11x with cold caches), 1.15x on 51 -> 26, 1.10x on
    // 256 -> 26 (AVX-512, 2 threads; even from 7 panels up: 768 -> 77, 512 -> 75).
    const float* Ap = Wp + ((int64_t)g * npan + i0 / MR) * aps + (int64_t)k0 * MR;  // the chunk's panels
    // The in-place product of the chunk's panels with kx rows of B, ldb apart (and the bias row);
    // false where the microkernel has no in-place form.
    const auto direct = [&](const float* B, int64_t ldb) {
      return gemm_direct(uk, i1 - i0, np, kx, kx < kc, Ap, aps, B, ldb, yg + (int64_t)i0 * s.P, s.P, kb > 0,
                         kb == nkb - 1 ? act : -1, alpha);
    };
    if (cat_rows) {
      // The rows of the concatenation: for the in-place product (few output-channel panels) copied
      // into cache, else packed straight from each source (a resized one's rows made in cache first);
      // the same slivers either way, so the same products in the same order.
      static thread_local AlignedBuf rowbuf;
      const int ca = cat->C[0], ka = std::max(0, std::min(k0 + kx, ca) - k0);  // rows from the first source
      if (npan <= 3) {
        // A K-block whose rows all come from one source that is not resized is read where it lies,
        // as a pointwise layer's rows are (r578's 384 -> 26: its second block, the finer map's last
        // 192 channels; the layer 0.376 -> 0.351 ms in a model forward, A/B in one process); else
        // its rows are copied.
        const int only = kx > 0 && ka == kx ? 0 : kx > 0 && ka == 0 ? 1 : -1;
        if (only >= 0 && cat_rows->tab[only].empty() && direct(cat_rows->plane(only, n, only ? k0 - ca : k0) + p0, s.HW))
          return;
        float* r = rowbuf.get((size_t)std::max(kx, 1) * np);
        cat_rows->rows(0, n, k0, ka, p0, np, r, np);
        cat_rows->rows(1, n, k0 + ka - ca, kx - ka, p0, np, r + (int64_t)ka * np, np);
        if (direct(r, np)) return;
        gemm_pack_b(uk, false, r, np, 0, kx, 0, np, col, sstride);
      } else {
        for (int i = 0; i < 2; ++i) {
          const int r0 = i ? ka : 0, rn = i ? kx - ka : ka;  // rows of col
          if (rn <= 0) continue;
          const int c0 = i ? k0 + ka - ca : k0;  // the source's first channel
          if (cat_rows->tab[i].empty()) {
            gemm_pack_b(uk, false, cat_rows->plane(i, n, 0) + p0, s.HW, c0, rn, 0, np, col + (int64_t)r0 * NR, sstride);
          } else {
            float* r = rowbuf.get((size_t)rn * np);
            cat_rows->rows(i, n, c0, rn, p0, np, r, np);
            gemm_pack_b(uk, false, r, np, 0, rn, 0, np, col + (int64_t)r0 * NR, sstride);
          }
        }
      }
    } else if (pw) {
      if (npan <= 3 && direct(xg + p0 + (int64_t)k0 * s.HW, s.HW)) return;
      gemm_pack_b(uk, false, xg + p0, s.HW, k0, kx, 0, np, col, sstride);
    } else {
      // im2col straight into NR-wide slivers: column j of row k lands at
      // col[(j/NR)*sstride + (k-k0)*NR + j%NR].
      for (int k = k0; k < k0 + kx; ++k) {
        const int c = k / s.KK, kh = (k % s.KK) / s.KW, kw = k % s.KW;
        float* rowbase = col + (int64_t)(k - k0) * NR;
        im2col_slivers(s, xg + (int64_t)c * s.HW, kh, kw, p0, np, rowbase, sstride, NR);
      }
    }
    if (kx < kc) fill_bias_row(col, nsl, sstride, kx, NR);  // the bias row of ones
    gemm_packed(uk, i1 - i0, np, kc, Ap, aps, col, sstride, yg + (int64_t)i0 * s.P, s.P, 1.f, kb > 0,
                kb == nkb - 1 ? act : -1, alpha);
  };
  const auto body = [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf colbuf;
    // slivers an odd number of lines apart (copy_b and im2col write them row by row)
    float* col = colbuf.get((size_t)odd_line_stride((int64_t)kGemmKC * NR) * (tl.len / NR));
    // runs [ta, tz): the tasks of one chunk, or a single task when there is one chunk
    for (int64_t ta = tb, tz; ta < te; ta = tz) {
      tz = occ > 1 ? std::min(te, (ta / tasks + 1) * tasks) : ta + 1;
      for (int kb = 0; kb < nkb; ++kb)
        for (int64_t t = ta; t < tz; ++t) item(t, kb, col);
    }
    colbuf.release_if_over((size_t)1 << 22);
  };
  if (occ > 1)
    parallel_for(tasks * occ, body, tasks);
  else
    parallel_tasks(tasks, body);
  wbuf.release_if_over((size_t)1 << 24);
}

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const int32_t* p) {
  const ConvShape s(p);
  if (s.depthwise()) {
    depthwise_forward(s, x, w, b, y);
    return;
  }
  conv_forward_gemm(s, x, w, b, y);
}

}  // namespace sp
