// conv_chain_forward: an image's first layers, a stem convolution and the depthwise + pointwise
// pairs after it (MobileNetV1: 3 -> 32 stride 2, then 32 -> 64 and 64 -> 128 at stride 2), in one
// pass over bands of the last pair's output rows. The maps between them (at 320 batch 2: the
// stem's 6.5 MB and the first pair's 13 MB) are never written whole: each level keeps a window of
// the rows the next one reads, in cache, and a band extends each window by the rows it still
// lacks (a window's last rows are kept for the next band, so nothing is computed twice within a
// thread's run of bands). Every value is computed by the function the separate kernels use for it
// (stem rows: the stem kernel's; depthwise rows: dw_band's; the pointwise products: the packed
// filter over the same K-blocks), so the output has the bits of conv2d_act_forward followed by
// dwpw_act_forward per pair, for any number of threads (tasks are (image, band), a shape-only split).
#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

namespace {

// The pointwise layer of a depthwise geometry sd with OC2 output channels (dwpw_act_forward's).
ConvShape pointwise_of(const ConvShape& sd, int OC2) {
  const int32_t q[CG_COUNT] = {sd.N, sd.OC, sd.OH, sd.OW, OC2, 1, 1, sd.OH, sd.OW, 1, 1, 0, 0, 1, 1, 1};
  return ConvShape(q);
}

// Output positions a band of the last pair's rows aims at (a third of dwpw_act_forward's 256-column
// tile row: the windows of the levels before it then stay within about half of a 1 MiB L2).
constexpr int kBandPositions = 128;

}  // namespace

bool conv_chain_usable(const int32_t* p, int npairs) {
  if (npairs < 1) return false;
  if (!stem_band_usable(ConvShape(p))) return false;
  for (int l = 0; l < npairs; ++l) {
    const DwBandPlan plan = dw_band_plan(ConvShape(p + CG_COUNT + 1 + l * (CG_COUNT + 3)));
    if (!plan.fits || !plan.by_rows) return false;
  }
  return true;
}

void conv_chain_forward(const float* x, const float* const* w, float* y, const int32_t* p, int npairs, const float* f) {
  const int32_t* ps = p;
  const auto pair_p = [&](int l) { return p + CG_COUNT + 1 + l * (CG_COUNT + 3); };
  if (!conv_chain_usable(p, npairs)) {
    // Any other geometry: the kernels one after the other, through temporaries.
    const ConvShape s0(ps);
    AlignedBuf bufs[2];
    float* cur = bufs[0].get((size_t)s0.N * s0.OC * s0.P);
    conv2d_act_forward(x, w[0], w[1], cur, ps, f[0]);
    for (int l = 0; l < npairs; ++l) {
      const int32_t* q = pair_p(l);
      const ConvShape sd(q);
      float* out = l == npairs - 1 ? y : bufs[(l + 1) % 2].get((size_t)sd.N * q[CG_COUNT + 1] * sd.P);
      dwpw_act_forward(cur, w[2 + 4 * l], w[3 + 4 * l], w[4 + 4 * l], w[5 + 4 * l], out, q, f[1 + 2 * l], f[2 + 2 * l]);
      cur = out;
    }
    return;
  }
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr;
  const int L = npairs + 1;  // level 0: the stem; level l >= 1: pair l - 1
  struct Level {
    ConvShape s;      // the stem's geometry, or the pair's depthwise geometry
    int C = 0;        // output channels
    int H = 0, W = 0;  // output rows and columns
    int act = -1, act2 = -1, OC2 = 0, Kb = 0, nkb = 0, kcmax = 0;
    float alpha = 0, alpha2 = 0;
    const float *wd = nullptr, *bd = nullptr, *bp = nullptr;
    int64_t aps = 0;
    int maxrows = 0;   // rows one call of produce() makes at most (a window of the output holds as many)
    explicit Level(const ConvShape& sh) : s(sh) {}
  };
  std::vector<Level> lv;
  lv.emplace_back(ConvShape(ps));
  lv[0].C = lv[0].s.OC, lv[0].H = lv[0].s.OH, lv[0].W = lv[0].s.OW, lv[0].act = ps[CG_COUNT], lv[0].alpha = f[0];
  for (int l = 0; l < npairs; ++l) {
    const int32_t* q = pair_p(l);
    lv.emplace_back(ConvShape(q));
    Level& v = lv.back();
    v.act = q[CG_COUNT], v.OC2 = q[CG_COUNT + 1], v.act2 = q[CG_COUNT + 2];
    v.alpha = f[1 + 2 * l], v.alpha2 = f[2 + 2 * l];
    v.C = v.OC2, v.H = v.s.OH, v.W = v.s.OW;
    v.wd = w[2 + 4 * l], v.bd = w[3 + 4 * l], v.bp = w[5 + 4 * l];
    v.Kb = v.s.OC + (v.bp ? 1 : 0);
    v.nkb = gemm_k_blocks(v.Kb);
    v.kcmax = (v.Kb + v.nkb - 1) / v.nkb;
    v.aps = (int64_t)v.Kb * MR;
  }
  // Rows per band of the last level; then, backwards, the rows each window must hold: a request
  // for r rows of level l's output reads (r - 1) * stride + 3 rows of level l - 1's.
  Level& last = lv[L - 1];
  const int band = std::min(last.H, std::max(1, (kBandPositions + last.W - 1) / last.W));
  last.maxrows = band;
  for (int l = L - 1; l >= 1; --l) {
    lv[l - 1].maxrows = std::min(lv[l - 1].H, (lv[l].maxrows - 1) * lv[l].s.SH + 3);
  }
  // The packed pointwise filters (dwpw_act_forward's packing) and the stem's.
  std::vector<AlignedBuf> packed((size_t)L);
  std::vector<const float*> wpk((size_t)L, nullptr);
  for (int l = 1; l < L; ++l) {
    const Level& v = lv[l];
    const int npan = (v.OC2 + MR - 1) / MR;
    float* Wp = packed[(size_t)l].get((size_t)npan * v.aps);
    pack_conv_filter(pointwise_of(v.s, v.OC2), w[4 + 4 * (l - 1)], v.bp, Wp);
    wpk[(size_t)l] = Wp;
  }
  const std::vector<float> wstem = stem_pack(lv[0].s, w[0]);
  const float* bstem = w[1];
  // Per thread: a window per level but the last, the depthwise rows of a produce() call, the
  // pointwise product's packed slivers, the stem's scratch and a row of zeros.
  int64_t win_floats = 0, d_floats = 0;
  int maxW = 1;
  for (int l = 0; l < L; ++l) {
    if (l < L - 1) win_floats += (int64_t)lv[l].C * lv[l].maxrows * lv[l].W;
    if (l >= 1) d_floats = std::max(d_floats, (int64_t)lv[l].kcmax * lv[l].maxrows * lv[l].W);
    maxW = std::max({maxW, lv[l].W, lv[l].s.W});
  }
  const int64_t stem_scr = stem_band_scratch(lv[0].s);
  check_scratch((double)win_floats + (double)d_floats + (double)kGemmKC * 256 + (double)stem_scr + maxW);

  const int nbands = (last.H + band - 1) / band;
  const int64_t tasks = (int64_t)last.s.N * nbands;
  const int T = std::max(1, get_num_threads());
  parallel_for(tasks, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf wbuf, dbuf, colbuf, sbuf, zbuf;
    float* wins = wbuf.get((size_t)std::max<int64_t>(1, win_floats));
    float* d = dbuf.get((size_t)std::max<int64_t>(1, d_floats));
    float* col = colbuf.get((size_t)kGemmKC * 256);
    float* scratch = sbuf.get((size_t)stem_scr);
    float* zeros = zbuf.get((size_t)maxW);
    std::memset(zeros, 0, sizeof(float) * maxW);
    struct Win {
      float* buf;
      int64_t cs;  // floats per channel
      int lo, hi;  // rows [lo, hi) of the level's output are held
    };
    std::vector<Win> win((size_t)L);
    {
      float* at = wins;
      for (int l = 0; l < L - 1; ++l) {
        win[(size_t)l] = Win{at, (int64_t)lv[l].maxrows * lv[l].W, 0, 0};
        at += lv[l].C * win[(size_t)l].cs;
      }
    }
    int n = -1;
    // Rows [a, b) of level l's output, image n: channel c's row r at dst + c * ldc + (r - a) * W.
    std::function<void(int, int, int, float*, int64_t)> produce;
    // Level l's window made to hold rows [a, b) (a never below the last request's).
    const auto ensure = [&](int l, int a, int b) {
      Win& wn = win[(size_t)l];
      const int W = lv[l].W;
      if (a > wn.lo && a < wn.hi) {  // rows [a, hi) are kept: moved to the front
        for (int c = 0; c < lv[l].C; ++c)
          std::memmove(wn.buf + c * wn.cs, wn.buf + c * wn.cs + (int64_t)(a - wn.lo) * W, sizeof(float) * (size_t)(wn.hi - a) * W);
        wn.lo = a;
      } else if (a != wn.lo || a >= wn.hi) {  // nothing to keep
        wn.lo = wn.hi = a;
      }
      if (b > wn.hi) {
        produce(l, wn.hi, b, wn.buf + (int64_t)(wn.hi - wn.lo) * W, wn.cs);
        wn.hi = b;
      }
    };
    produce = [&](int l, int a, int b, float* dst, int64_t ldc) {
      const Level& v = lv[l];
      if (l == 0) {
        stem_band(v.s, x, wstem.data(), bstem, n, a, b, dst, ldc, scratch, v.act, v.alpha);
        return;
      }
      const ConvShape& sd = v.s;
      const int ia = std::max(0, a * sd.SH - 1), ib = std::min(sd.H, (b - 1) * sd.SH + 2);
      ensure(l - 1, ia, ib);
      const Win& in = win[(size_t)(l - 1)];
      const int64_t np = (int64_t)(b - a) * v.W;
      for (int kb = 0; kb < v.nkb; ++kb) {
        const int k0 = gemm_k_begin(v.Kb, v.nkb, kb), kc = gemm_k_begin(v.Kb, v.nkb, kb + 1) - k0;
        const int kx = std::min(kc, sd.OC - k0);  // depthwise channels; the bias row (k == OC) follows
        dw_window(sd, in.buf, in.cs, in.lo, v.wd, v.bd, k0, k0 + kx, a, b, d, np, zeros, v.act, v.alpha);
        pointwise_rows(uk, v.OC2, np, kx, kc, wpk[(size_t)l] + (int64_t)k0 * MR, v.aps, d, np, dst, ldc, kb > 0,
                       kb == v.nkb - 1 ? v.act2 : -1, v.alpha2, col);
      }
    };
    for (int64_t t = tb; t < te; ++t) {
      const int bn = (int)(t / nbands), bi = (int)(t % nbands);
      if (bn != n) {  // a new image: every window starts empty
        n = bn;
        for (int l = 0; l < L - 1; ++l) win[(size_t)l].lo = win[(size_t)l].hi = 0;
      }
      const int o0 = bi * band, o1 = std::min(last.H, o0 + band);
      produce(L - 1, o0, o1, y + ((int64_t)n * last.C) * last.H * last.W + (int64_t)o0 * last.W, (int64_t)last.H * last.W);
    }
    wbuf.release_if_over((size_t)1 << 22);
    dbuf.release_if_over((size_t)1 << 22);
    colbuf.release_if_over((size_t)1 << 22);
  }, (tasks + T - 1) / T);
}

}  // namespace sp
