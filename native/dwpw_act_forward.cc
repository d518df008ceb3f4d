// dwpw_act_forward: a depthwise 3x3 layer and the pointwise (1x1) layer that reads it, in one pass
// over memory: y = act2(conv1x1(act1(dwconv3x3(x, wd) + bd), wp) + bp). The depthwise output is
// never a tensor: per image and band of output rows, one K-block of its channels at a time is
// computed into a buffer that stays in cache (dw_band, the depthwise kernel's own row or plane
// functions for that shape) and multiplied at once by the packed pointwise filter, K-block by
// K-block as conv_forward_gemm's pointwise path does. Each output is therefore the same dot
// product in the same order as the two kernels give one after the other: the same bits, for any
// number of threads (tasks are (image, band, output-channel chunk), a shape-only split; a chunk
// recomputes its band's depthwise values, 9 multiply-adds per value against K for the product).
// p = conv geometry of the depthwise layer + {act1, OC2, act2}; the pointwise layer's input is the
// depthwise output (C2 = OC, OH x OW), one group, with OC2 output channels.
#include <algorithm>
#include <cstring>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

void pointwise_rows(const GemmMicro& uk, int m, int64_t np, int kx, int kc, const float* Ap, int64_t aps, const float* d,
                    int64_t ldd, float* y, int64_t ldy, bool accumulate, int act, float alpha, float* col) {
  const int NR = uk.nr;
  const int64_t sstride = (int64_t)kc * NR;
  for (int64_t j0 = 0; j0 < np; j0 += 256) {
    const int nj = (int)std::min<int64_t>(256, np - j0);
    if (gemm_direct(uk, m, nj, kx, kx < kc, Ap, aps, d + j0, ldd, y + j0, ldy, accumulate, act, alpha)) continue;
    gemm_pack_b(uk, false, d + j0, ldd, 0, kx, 0, nj, col, sstride);
    if (kx < kc) fill_bias_row(col, (nj + NR - 1) / NR, sstride, kx, NR);
    gemm_packed(uk, m, nj, kc, Ap, aps, col, sstride, y + j0, ldy, 1.f, accumulate, act, alpha);
  }
}

void dwpw_act_forward(const float* x, const float* wd, const float* bd, const float* wp, const float* bp, float* y,
                      const int32_t* p, float alpha1, float alpha2) {
  const ConvShape sd(p);
  const int act1 = p[CG_COUNT], OC2 = p[CG_COUNT + 1], act2 = p[CG_COUNT + 2];
  // the pointwise layer: the depthwise output in, OC2 out, 1x1, stride 1, unpadded, one group
  const int32_t q[CG_COUNT] = {sd.N, sd.OC, sd.OH, sd.OW, OC2, 1, 1, sd.OH, sd.OW, 1, 1, 0, 0, 1, 1, 1};
  const ConvShape sp(q);
  const DwBandPlan band_plan = dw_band_plan(sd);
  if (!band_plan.fits) {
    // Any other depthwise geometry: the two kernels one after the other.
    AlignedBuf mid;
    float* d = mid.get((size_t)sd.N * sd.OC * sd.P);
    depthwise_forward(sd, x, wd, bd, d, act1, alpha1);
    conv_forward_gemm(sp, d, wp, bp, y, act2, alpha2);
    return;
  }
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr;
  const int C = sd.OC, Kb = C + (bp ? 1 : 0);
  const int npan = (OC2 + MR - 1) / MR;
  const int64_t aps = (int64_t)Kb * MR;
  static thread_local AlignedBuf wbuf;
  float* Wp = wbuf.get((size_t)npan * aps);
  pack_conv_filter(sp, wp, bp, Wp);
  // Bands of whole output rows, at least 256 positions (the pointwise path's tile), or whole
  // images where the depthwise half computes whole planes.
  const int rows = band_plan.by_rows ? std::min(sd.OH, std::max(1, (256 + sd.OW - 1) / sd.OW)) : sd.OH;
  const int nband = (sd.OH + rows - 1) / rows;
  const int64_t tasks = (int64_t)sd.N * nband;
  const int occ = oc_chunks(tasks, npan);
  const int nkb = gemm_k_blocks(Kb);
  const int kcmax = (Kb + nkb - 1) / nkb;
  const int64_t ldd = (int64_t)rows * sd.OW;  // floats per channel of a band
  const int64_t dscr = band_plan.scratch;
  check_scratch((double)kcmax * ldd + (double)dscr);
  parallel_for(tasks * occ, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf dbuf, colbuf, sbuf;
    float* d = dbuf.get((size_t)kcmax * ldd);
    float* col = colbuf.get((size_t)kGemmKC * 256);
    float* scratch = sbuf.get((size_t)dscr);
    for (int64_t t = tb; t < te; ++t) {
      const int chunk = (int)(t % occ);
      const int64_t nb = t / occ;
      const int band = (int)(nb % nband), n = (int)(nb / nband);
      const int oh0 = band * rows, oh1 = std::min(sd.OH, oh0 + rows);
      const int64_t np = (int64_t)(oh1 - oh0) * sd.OW, p0 = (int64_t)oh0 * sd.OW;
      int i0, i1;
      chunk_rows(chunk, occ, npan, MR, OC2, i0, i1);
      if (i1 <= i0) continue;
      float* yb = y + ((int64_t)n * OC2 + i0) * sp.P + p0;
      for (int kb = 0; kb < nkb; ++kb) {
        const int k0 = gemm_k_begin(Kb, nkb, kb), kc = gemm_k_begin(Kb, nkb, kb + 1) - k0;
        const int kx = std::min(kc, C - k0);  // depthwise channels; the bias row (k == C) follows
        dw_band(sd, x, wd, bd, n, k0, k0 + kx, oh0, oh1, d, ldd, scratch, act1, alpha1);
        pointwise_rows(uk, i1 - i0, np, kx, kc, Wp + (int64_t)(i0 / MR) * aps + (int64_t)k0 * MR, aps, d, ldd, yb, sp.P,
                       kb > 0, kb == nkb - 1 ? act2 : -1, alpha2, col);
      }
    }
    dbuf.release_if_over((size_t)1 << 22);
    colbuf.release_if_over((size_t)1 << 22);
    sbuf.release_if_over((size_t)1 << 20);
  }, 1);
  wbuf.release_if_over((size_t)1 << 24);
}

}  // namespace sp
