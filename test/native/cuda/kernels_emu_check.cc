// Checks the CUDA GEMM, convolution, batch norm, affine channel, bn_fold, fused and RoIAlign kernels
// (native/cuda/*.cu built with -DSP_CUDA_EMU against the host emulator) against the CPU kernels
// (native/*.cc) on shapes around the tile edges: 1, 3, 5, 17, 33 channels, odd spatial sizes,
// strides, dilation, groups, depthwise, 1x1, asymmetric padding, batch > 1. Inputs are seeded.
// Prints one line per failing comparison and exits 1 if any failed.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common.cuh"
#include "conv2d_igemm.cuh"
#include "kernels.h"
#include "kernels_cuda.h"

namespace {

int failures = 0, checks = 0;
// With SLIMPRUNE_CUDA_TF32=1 the GEMM core multiplies TF32-rounded inputs (10 mantissa bits):
// products are off by up to 2^-10 relative, so the GEMM and convolution checks widen to that.
bool tf32 = false;

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 2862933555777941757ull + 3037000493ull) {}
  float next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((s >> 40) & 0xffffff) / (float)0x1000000 * 2.f - 1.f;
  }
};

std::vector<float> rnd(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = lo + (r.next() * 0.5f + 0.5f) * (hi - lo);
  return v;
}

// A device copy of a host vector (the emulator's device memory is host memory, but the kernels
// only ever see what cudaMalloc returned, as on a GPU).
struct Dev {
  float* p = nullptr;
  size_t n = 0;
  explicit Dev(const std::vector<float>& h) : n(h.size()) {
    sp::cuda::check(cudaMalloc((void**)&p, (n ? n : 1) * sizeof(float)), "alloc");
    if (n) sp::cuda::check(cudaMemcpy(p, h.data(), n * sizeof(float), cudaMemcpyHostToDevice), "upload");
  }
  ~Dev() { cudaFree(p); }
  std::vector<float> get() const {
    sp::cuda::check(cudaStreamSynchronize(sp::cuda::stream()), "sync");
    std::vector<float> h(n);
    if (n) sp::cuda::check(cudaMemcpy(h.data(), p, n * sizeof(float), cudaMemcpyDeviceToHost), "download");
    return h;
  }
};

void compare(const std::string& what, const std::vector<float>& want, const std::vector<float>& got, double len,
             bool gemm_core = false) {
  ++checks;
  const bool wide = tf32 && gemm_core;
  const double atol = wide ? 2e-3 * (1 + len) : 1e-5 * (1 + len), rtol = wide ? 2e-3 : 1e-4;
  double worst = 0;
  size_t at = 0;
  bool bad = want.size() != got.size();
  for (size_t i = 0; !bad && i < want.size(); ++i) {
    const double d = std::fabs((double)want[i] - (double)got[i]);
    const double lim = atol + rtol * std::fabs((double)want[i]);
    if (!(d <= lim) && (d - lim > worst || !bad)) {
      worst = d;
      at = i;
      bad = true;
    }
  }
  if (bad) {
    ++failures;
    std::printf("FAIL %s: size %zu vs %zu, at %zu want %.7g got %.7g\n", what.c_str(), want.size(), got.size(), at,
                at < want.size() ? want[at] : 0.f, at < got.size() ? got[at] : 0.f);
  }
}

void gemm_case(int ta, int tb, int M, int N, int K, int acc, float alpha, uint64_t seed) {
  const int32_t p[6] = {ta, tb, M, N, K, acc};
  auto a = rnd((size_t)M * K, seed), b = rnd((size_t)K * N, seed + 1), c = rnd((size_t)M * N, seed + 2);
  std::vector<float> want = c;
  sp::gemm(a.data(), b.data(), want.data(), p, alpha);
  Dev da(a), db(b), dc(c);
  sp::cuda::gemm(da.p, db.p, dc.p, p, alpha);
  char name[128];
  std::snprintf(name, sizeof name, "gemm ta%d tb%d %dx%dx%d acc%d", ta, tb, M, N, K, acc);
  compare(name, want, dc.get(), K, true);
}

struct Conv {
  int N, C, H, W, OC, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G;
};

void conv_case(const Conv& c, bool bias, uint64_t seed) {
  const int OH = (c.H + c.PT + c.PB - (c.KH - 1) * c.DH - 1) / c.SH + 1;
  const int OW = (c.W + c.PL + c.PR - (c.KW - 1) * c.DW - 1) / c.SW + 1;
  const int32_t p[16] = {c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, OH, OW, c.SH, c.SW, c.PT, c.PL, c.DH, c.DW, c.G};
  const size_t xs = (size_t)c.N * c.C * c.H * c.W, ws = (size_t)c.OC * (c.C / c.G) * c.KH * c.KW,
               ys = (size_t)c.N * c.OC * OH * OW;
  auto x = rnd(xs, seed), w = rnd(ws, seed + 1), b = rnd(c.OC, seed + 2), dy = rnd(ys, seed + 3);
  char name[200];
  std::snprintf(name, sizeof name, "N%d C%d %dx%d OC%d k%dx%d s%d,%d p%d,%d,%d,%d d%d,%d g%d", c.N, c.C, c.H, c.W, c.OC,
                c.KH, c.KW, c.SH, c.SW, c.PT, c.PL, c.PB, c.PR, c.DH, c.DW, c.G);
  const double kg = (double)(c.C / c.G) * c.KH * c.KW;
  {
    std::vector<float> want(ys);
    sp::conv2d_forward(x.data(), w.data(), bias ? b.data() : nullptr, want.data(), p);
    Dev dx(x), dw(w), db(b), dyv(std::vector<float>(ys, NAN));
    sp::cuda::conv2d_forward(dx.p, dw.p, bias ? db.p : nullptr, dyv.p, p);
    compare(std::string("conv2d_forward ") + name, want, dyv.get(), kg, true);
  }
  {
    std::vector<float> want(xs);
    sp::conv2d_backward_input(dy.data(), w.data(), want.data(), p);
    Dev ddy(dy), dw(w), ddx(std::vector<float>(xs, NAN));
    sp::cuda::conv2d_backward_input(ddy.p, dw.p, ddx.p, p);
    compare(std::string("conv2d_backward_input ") + name, want, ddx.get(), (double)(c.OC / c.G) * c.KH * c.KW, true);
  }
  {
    std::vector<float> want_w(ws), want_b(c.OC);
    sp::conv2d_backward_filter(x.data(), dy.data(), want_w.data(), bias ? want_b.data() : nullptr, p);
    Dev dx(x), ddy(dy), ddw(std::vector<float>(ws, NAN)), ddb(std::vector<float>(c.OC, NAN));
    sp::cuda::conv2d_backward_filter(dx.p, ddy.p, ddw.p, bias ? ddb.p : nullptr, p);
    compare(std::string("conv2d_backward_filter dw ") + name, want_w, ddw.get(), (double)c.N * OH * OW, true);
    if (bias) compare(std::string("conv2d_backward_filter db ") + name, want_b, ddb.get(), (double)c.N * OH * OW);
  }
  for (int act = 0; act < 3; ++act) {  // conv2d_act_forward: relu, leaky_relu, relu6 (outputs straddle 0 and 6)
    int32_t pa[17];
    std::memcpy(pa, p, sizeof p);
    pa[16] = act;
    std::vector<float> ws(w.size());
    for (size_t i = 0; i < w.size(); ++i) ws[i] = w[i] * 4.f;
    std::vector<float> want(ys);
    sp::conv2d_act_forward(x.data(), ws.data(), bias ? b.data() : nullptr, want.data(), pa, 0.1f);
    Dev dx(x), dw(ws), db(b), dyv(std::vector<float>(ys, NAN));
    sp::cuda::conv2d_act_forward(dx.p, dw.p, bias ? db.p : nullptr, dyv.p, pa, 0.1f);
    compare(std::string("conv2d_act_forward act") + std::to_string(act) + " " + name, want, dyv.get(), kg, true);
  }
}

void norm_cases(int N, int C, int HW, uint64_t seed) {
  const int32_t p[3] = {N, C, HW};
  const size_t n = (size_t)N * C * HW;
  char name[64];
  std::snprintf(name, sizeof name, " N%d C%d HW%d", N, C, HW);
  // An offset mean with a small spread checks the precision of the mean subtraction.
  auto x = rnd(n, seed, 3.f, 3.5f), dy = rnd(n, seed + 1), scale = rnd(C, seed + 2, 0.5f, 1.5f),
       bias = rnd(C, seed + 3), rm = rnd(C, seed + 4), rv = rnd(C, seed + 5, 0.5f, 2.f);
  const float eps = 1e-5f, momentum = 0.9f;
  {
    std::vector<float> y(n), sm(C), si(C), rm1 = rm, rv1 = rv;
    sp::batch_norm_train_forward(x.data(), scale.data(), bias.data(), y.data(), sm.data(), si.data(), rm1.data(),
                                 rv1.data(), p, eps, momentum);
    Dev dx(x), ds(scale), db(bias), dyv(std::vector<float>(n, NAN)), dsm(std::vector<float>(C, NAN)),
        dsi(std::vector<float>(C, NAN)), drm(rm), drv(rv);
    sp::cuda::batch_norm_train_forward(dx.p, ds.p, db.p, dyv.p, dsm.p, dsi.p, drm.p, drv.p, p, eps, momentum);
    compare(std::string("batch_norm_train_forward y") + name, y, dyv.get(), (double)N * HW);
    compare(std::string("batch_norm_train_forward saved_mean") + name, sm, dsm.get(), (double)N * HW);
    compare(std::string("batch_norm_train_forward saved_invstd") + name, si, dsi.get(), (double)N * HW);
    compare(std::string("batch_norm_train_forward running_mean") + name, rm1, drm.get(), 1);
    compare(std::string("batch_norm_train_forward running_var") + name, rv1, drv.get(), 1);

    std::vector<float> dx_want(n), dsc(C), dbi(C);
    sp::batch_norm_backward(x.data(), dy.data(), scale.data(), sm.data(), si.data(), dx_want.data(), dsc.data(),
                            dbi.data(), p);
    Dev ddy(dy), dsm2(sm), dsi2(si), ddx(std::vector<float>(n, NAN)), ddsc(std::vector<float>(C, NAN)),
        ddbi(std::vector<float>(C, NAN));
    sp::cuda::batch_norm_backward(dx.p, ddy.p, ds.p, dsm2.p, dsi2.p, ddx.p, ddsc.p, ddbi.p, p);
    compare(std::string("batch_norm_backward dx") + name, dx_want, ddx.get(), (double)N * HW);
    compare(std::string("batch_norm_backward dscale") + name, dsc, ddsc.get(), (double)N * HW);
    compare(std::string("batch_norm_backward dbias") + name, dbi, ddbi.get(), (double)N * HW);
  }
  for (int act = 0; act < 3; ++act) {  // the fused batch norm + activation pair (y spans [-3, 3] * 2 + bias)
    const int32_t pa[4] = {N, C, HW, act};
    auto sc = rnd(C, seed + 6, 1.f, 3.f);
    std::vector<float> y(n), sm(C), si(C), rm1 = rm, rv1 = rv;
    sp::batch_norm_act_train_forward(x.data(), sc.data(), bias.data(), y.data(), sm.data(), si.data(), rm1.data(),
                                     rv1.data(), pa, eps, momentum, 0.1f);
    Dev dx(x), ds(sc), db(bias), dyv(std::vector<float>(n, NAN)), dsm(std::vector<float>(C, NAN)),
        dsi(std::vector<float>(C, NAN)), drm(rm), drv(rv);
    sp::cuda::batch_norm_act_train_forward(dx.p, ds.p, db.p, dyv.p, dsm.p, dsi.p, drm.p, drv.p, pa, eps, momentum, 0.1f);
    const std::string a = " act" + std::to_string(act) + name;
    compare("batch_norm_act_train_forward y" + a, y, dyv.get(), (double)N * HW);
    compare("batch_norm_act_train_forward saved_invstd" + a, si, dsi.get(), (double)N * HW);
    compare("batch_norm_act_train_forward running_var" + a, rv1, drv.get(), 1);
    std::vector<float> gx(n), gs(C), gb(C);
    sp::batch_norm_act_backward(x.data(), y.data(), dy.data(), sc.data(), sm.data(), si.data(), gx.data(), gs.data(),
                                gb.data(), pa, 0.1f);
    Dev dyy(y), ddy(dy), dsm2(sm), dsi2(si), ggx(std::vector<float>(n, NAN)), ggs(std::vector<float>(C, NAN)),
        ggb(std::vector<float>(C, NAN));
    sp::cuda::batch_norm_act_backward(dx.p, dyy.p, ddy.p, ds.p, dsm2.p, dsi2.p, ggx.p, ggs.p, ggb.p, pa, 0.1f);
    compare("batch_norm_act_backward dx" + a, gx, ggx.get(), (double)N * HW);
    compare("batch_norm_act_backward dscale" + a, gs, ggs.get(), (double)N * HW);
    compare("batch_norm_act_backward dbias" + a, gb, ggb.get(), (double)N * HW);
  }
  {
    std::vector<float> y(n);
    sp::batch_norm_infer_forward(x.data(), scale.data(), bias.data(), rm.data(), rv.data(), y.data(), p, eps);
    Dev dx(x), ds(scale), db(bias), drm(rm), drv(rv), dyv(std::vector<float>(n, NAN));
    sp::cuda::batch_norm_infer_forward(dx.p, ds.p, db.p, drm.p, drv.p, dyv.p, p, eps);
    compare(std::string("batch_norm_infer_forward") + name, y, dyv.get(), 1);
  }
  {
    std::vector<float> y(n);
    sp::affine_channel_forward(x.data(), scale.data(), bias.data(), y.data(), p);
    Dev dx(x), ds(scale), db(bias), dyv(std::vector<float>(n, NAN));
    sp::cuda::affine_channel_forward(dx.p, ds.p, db.p, dyv.p, p);
    compare(std::string("affine_channel_forward") + name, y, dyv.get(), 1);
    for (int mask = 1; mask < 8; ++mask) {
      std::vector<float> gx(n), gs(C), gb(C);
      sp::affine_channel_backward(x.data(), dy.data(), scale.data(), mask & 1 ? gx.data() : nullptr,
                                  mask & 2 ? gs.data() : nullptr, mask & 4 ? gb.data() : nullptr, p);
      Dev ddy(dy), ggx(std::vector<float>(n, NAN)), ggs(std::vector<float>(C, NAN)), ggb(std::vector<float>(C, NAN));
      sp::cuda::affine_channel_backward(dx.p, ddy.p, ds.p, mask & 1 ? ggx.p : nullptr, mask & 2 ? ggs.p : nullptr,
                                        mask & 4 ? ggb.p : nullptr, p);
      const std::string m = " outputs " + std::to_string(mask) + name;
      if (mask & 1) compare("affine_channel_backward dx" + m, gx, ggx.get(), 1);
      if (mask & 2) compare("affine_channel_backward dscale" + m, gs, ggs.get(), (double)N * HW);
      if (mask & 4) compare("affine_channel_backward dbias" + m, gb, ggb.get(), (double)N * HW);
    }
  }
}

void fold_case(int OC, int K, bool with_b, uint64_t seed) {
  const int32_t p[2] = {OC, K};
  auto w = rnd((size_t)OC * K, seed), b = rnd(OC, seed + 1), s = rnd(OC, seed + 2), o = rnd(OC, seed + 3),
       m = rnd(OC, seed + 4), v = rnd(OC, seed + 5, 0.1f, 2.f);
  std::vector<float> wo((size_t)OC * K), bo(OC);
  sp::bn_fold(w.data(), with_b ? b.data() : nullptr, s.data(), o.data(), m.data(), v.data(), wo.data(), bo.data(), p,
              1e-5f);
  Dev dw(w), db(b), ds(s), dof(o), dm(m), dv(v), dwo(std::vector<float>(wo.size(), NAN)), dbo(std::vector<float>(OC, NAN));
  sp::cuda::bn_fold(dw.p, with_b ? db.p : nullptr, ds.p, dof.p, dm.p, dv.p, dwo.p, dbo.p, p, 1e-5f);
  const std::string name = " OC" + std::to_string(OC) + " K" + std::to_string(K) + (with_b ? " b" : "");
  compare("bn_fold w_out" + name, wo, dwo.get(), 1);
  compare("bn_fold b_out" + name, bo, dbo.get(), 1);
}

// RoIAlign forward and backward: rois inside, across and beyond the map's borders, degenerate
// (x2 < x1, clamped to 1), one not finite (zeros), sampling_ratio given or adaptive.
void roi_case(int N, int C, int H, int W, int PH, int PW, int sr, float scale, uint64_t seed) {
  const std::vector<float> rois = {0.f, 0.f, 7.f, 5.f,    2.5f, 1.f, 30.f, 22.f, -6.f, -3.f, 4.f, 9.f,
                                   5.f, 5.f, 3.f, 4.f,    1.f, 2.f, INFINITY, 4.f, 10.f, 12.f, 11.f, 13.f};
  const int R = (int)rois.size() / 4;
  std::vector<int32_t> batch(R);
  for (int r = 0; r < R; ++r) batch[r] = r % N;
  const int32_t p[8] = {N, C, H, W, R, PH, PW, sr};
  const size_t xs = (size_t)N * C * H * W, ys = (size_t)R * C * PH * PW;
  auto x = rnd(xs, seed), dy = rnd(ys, seed + 1), dx0 = rnd(xs, seed + 2);
  const std::string name = " N" + std::to_string(N) + " C" + std::to_string(C) + " " + std::to_string(H) + "x" +
                           std::to_string(W) + " bins " + std::to_string(PH) + "x" + std::to_string(PW) + " sr" +
                           std::to_string(sr);
  int32_t* dbatch = nullptr;
  sp::cuda::check(cudaMalloc((void**)&dbatch, R * sizeof(int32_t)), "alloc");
  sp::cuda::check(cudaMemcpy(dbatch, batch.data(), R * sizeof(int32_t), cudaMemcpyHostToDevice), "upload");
  {
    std::vector<float> want(ys);
    sp::roi_align_forward(x.data(), rois.data(), batch.data(), want.data(), p, scale);
    Dev dx(x), dr(rois), dyv(std::vector<float>(ys, NAN));
    sp::cuda::roi_align_forward(dx.p, dr.p, dbatch, dyv.p, p, scale);
    compare("roi_align_forward" + name, want, dyv.get(), 64);
  }
  {
    std::vector<float> want = dx0;  // accumulated
    sp::roi_align_backward(dy.data(), rois.data(), batch.data(), want.data(), p, scale);
    Dev ddy(dy), dr(rois), ddx(dx0);
    sp::cuda::roi_align_backward(ddy.p, dr.p, dbatch, ddx.p, p, scale);
    compare("roi_align_backward" + name, want, ddx.get(), 64);
  }
  cudaFree(dbatch);
}

}  // namespace

int main() {
  try {
    tf32 = sp::cuda::tf32_enabled();
    std::printf("TF32 tensor-core path: %s\n", tf32 ? "on" : "off");
    uint64_t seed = 1;
    // GEMM: every transpose, sizes around the 64 and 128 tiles and the 8/16 K steps.
    const int sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 64, 16}, {65, 129, 17}, {130, 67, 40}, {33, 200, 129}};
    for (auto& s : sizes)
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) gemm_case(ta, tb, s[0], s[1], s[2], (ta + tb) & 1, 0.75f, seed++);
    gemm_case(0, 0, 5, 6, 0, 1, 2.f, seed++);  // K = 0: C = C (accumulate)
    gemm_case(0, 0, 5, 6, 0, 0, 2.f, seed++);  // K = 0: C = 0

    // Convolutions:     N  C  H   W   OC KH KW SH SW PT PL PB PR DH DW G
    const Conv convs[] = {{2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     // 3x3 s1 p1, odd sizes
                          {1, 1, 5, 5, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},     // 1x1 pointwise, 1 channel
                          {2, 17, 6, 5, 33, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},   // 1x1 pointwise, edge channels
                          {3, 5, 11, 10, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  // 3x3 s2
                          {2, 4, 9, 8, 6, 3, 2, 2, 1, 0, 1, 2, 0, 1, 1, 1},     // asymmetric padding, 3x2
                          {1, 6, 13, 12, 9, 3, 3, 1, 2, 2, 0, 1, 3, 2, 1, 3},   // groups 3, dilation, mixed
                          {2, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},     // depthwise s1
                          {2, 5, 10, 9, 5, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 5},    // depthwise s2
                          {1, 3, 8, 8, 3, 5, 5, 1, 1, 2, 2, 2, 2, 2, 2, 3},     // depthwise 5x5 dilated (25 taps)
                          {2, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},     // channel multiplier 2 (not depthwise)
                          {1, 33, 9, 9, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // M > 64: 128 tiles
                          {2, 16, 12, 12, 130, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},  // 1x1 stride 2
                          {4, 3, 33, 35, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // long K for split filter grads
                          {1, 3, 9, 9, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1},      // dilation 2 stride 2: one phase has every tap
                          {2, 4, 11, 13, 70, 5, 4, 3, 2, 1, 2, 3, 0, 1, 1, 2},   // stride 3x2 phases, groups, 128 tiles
                          {1, 2, 2, 3, 3, 3, 3, 4, 4, 1, 1, 2, 2, 1, 1, 1}};     // stride 4 > input: phases without pixels
    for (const Conv& c : convs) {
      conv_case(c, true, seed);
      conv_case(c, false, seed + 7);
      seed += 13;
    }

    norm_cases(1, 1, 1, 101);
    norm_cases(2, 3, 5, 102);
    norm_cases(3, 17, 33, 103);
    norm_cases(4, 5, 700, 104);
    roi_case(2, 3, 13, 11, 2, 3, 2, 0.5f, 301);
    roi_case(1, 2, 9, 16, 3, 3, 0, 1.0f, 302);
    roi_case(3, 1, 6, 5, 1, 1, 0, 0.25f, 303);
    fold_case(5, 27, true, 201);
    fold_case(33, 1, false, 202);
  } catch (const std::exception& e) {
    std::printf("FAIL exception: %s\n", e.what());
    return 1;
  }
  std::printf("%d comparisons, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
