// Convolutions on channel-blocked maps (AVX-512 build of conv2d_blocked.cc's kernels).
// A blocked map holds 16 channels per block: element (n, c, p) at ((n * C/16 + c/16) * P + p) * 16
// + c % 16 (NCHW16c), so one 512-bit vector is 16 channels of one position. A 1x1 layer then
// multiplies with no packing of its input (a position's 16 channels are one broadcast row away)
// and a depthwise layer computes 16 channels per vector with no edge lanes.
//
// Every output is the same sum in the same order as the NCHW kernels compute it, so the bits are
// theirs:
// - 1x1 (conv_forward_gemm's packed path): K = C (+ 1 bias row) split by gemm_k_blocks; per block
//   a sum from zero of w * x in channel order (the bias row last, as b * 1), added to the sum of
//   the blocks before it (partial + block), the activation after the last block;
// - 3x3 depthwise, padding 1 (dw3 / masked runs): from the bias, the nine taps in (kh, kw) order,
//   one fused multiply-add each; stride 1 adds w * 0 for a tap outside the image, stride 2 skips
//   it.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "conv2d_blocked.h"
#include "fused_act_simd.h"
#include "gemm_internal.h"
#include "threadpool.h"

namespace sp {
namespace {

constexpr int TR = 12;  // positions per 1x1 tile (12 x 32 output channels: 24 accumulators)
constexpr int PB = 48;  // positions per block whose K-blocks run back to back (partials stay in L2)
// Filter rows fetched ahead in a tile's K loop (4 KiB): a layer's first position block reads its
// filter from memory (a model forward evicts it between calls), where 8 rows ahead was too short a
// lead; the 1x1 layers of MobileNetV1's 20x20 and 10x10 stages 2-3% faster in model forwards (24 to
// 96 rows ahead alike, A/B in one process, 2 threads).
constexpr int kWAhead = 32;

// r[i][j] -> r[j][i] for a 16 x 16 tile of floats in 16 registers. (GCC 12's unpack intrinsics
// start from an undefined vector that every lane then overwrites; its warning about it is noise.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  const auto lo = [](__m512 a, __m512 b) { return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); };
  const auto hi = [](__m512 a, __m512 b) { return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); };
  for (int i = 0; i < 16; i += 4) {
    r[i] = lo(t[i], t[i + 2]);
    r[i + 1] = hi(t[i], t[i + 2]);
    r[i + 2] = lo(t[i + 1], t[i + 3]);
    r[i + 3] = hi(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}
#pragma GCC diagnostic pop

// n <= 16 rows of 16 floats (row i at src + i * ss) transposed: row j of the result (its first n
// floats) at dst + j * ds, for j < 16.
inline void transpose_rows(const float* src, int64_t ss, float* dst, int64_t ds, int n) {
  __m512 r[16];
  for (int i = 0; i < 16; ++i) r[i] = i < n ? _mm512_loadu_ps(src + i * ss) : _mm512_setzero_ps();
  transpose16(r);
  const __mmask16 m = (__mmask16)((1u << n) - 1);
  for (int j = 0; j < 16; ++j) _mm512_mask_storeu_ps(dst + j * ds, m, r[j]);
}
// 16 rows of n <= 16 floats (row j at src + j * ss) transposed: n rows of 16 at dst + i * ds.
inline void transpose_cols(const float* src, int64_t ss, float* dst, int64_t ds, int n) {
  __m512 r[16];
  const __mmask16 m = (__mmask16)((1u << n) - 1);
  for (int j = 0; j < 16; ++j) r[j] = _mm512_maskz_loadu_ps(m, src + j * ss);
  transpose16(r);
  for (int i = 0; i < n; ++i) _mm512_storeu_ps(dst + i * ds, r[i]);
}

// Tile: positions p0 .. p0+R-1 of one image, output channels o0 .. o0+31, K rows [k0, k1) of K = C
// (+ the bias row k == C when wp has one). x: the image's blocked input (channel block stride cs),
// wp: the panel's rows, row k at wp + k * 32. part: partial sums, blocked (16 lanes per position,
// block stride ps) at part[0] and part[ps]; first: no partial yet; last: add the partial, apply the
// activation and store to y (blocked, block stride ldy).
template <int R>
inline void pw_tile(int C, int k0, int k1, const float* x, int64_t cs, const float* wp, float* part, int64_t ps,
                    bool first, bool last, float* y, int64_t ldy, int act, float act_alpha) {
  __m512 acc[R][2];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const int kx = std::min(k1, C);
  for (int k = k0; k < kx; ++k) {
    const float* xk = x + (int64_t)(k >> 4) * cs + (k & 15);
    const float* wk = wp + (int64_t)k * 32;
    _mm_prefetch((const char*)(wk + kWAhead * 32), _MM_HINT_T0);
    _mm_prefetch((const char*)(wk + kWAhead * 32 + 16), _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(wk), b1 = _mm512_loadu_ps(wk + 16);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(xk[r * 16]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  if (k1 > C) {  // the bias row: b * 1
    const __m512 one = _mm512_set1_ps(1.f);
    const __m512 b0 = _mm512_loadu_ps(wp + (int64_t)C * 32), b1 = _mm512_loadu_ps(wp + (int64_t)C * 32 + 16);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm512_fmadd_ps(b0, one, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(b1, one, acc[r][1]);
    }
  }
  if (!first) {
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm512_add_ps(_mm512_loadu_ps(part + r * 16), acc[r][0]);
      acc[r][1] = _mm512_add_ps(_mm512_loadu_ps(part + ps + r * 16), acc[r][1]);
    }
  }
  if (!last) {
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      _mm512_storeu_ps(part + r * 16, acc[r][0]);
      _mm512_storeu_ps(part + ps + r * 16, acc[r][1]);
    }
    return;
  }
  if (act >= 0) {
    const __m512 va = _mm512_set1_ps(act_alpha);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      acc[r][0] = act16(acc[r][0], act, va);
      acc[r][1] = act16(acc[r][1], act, va);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    _mm512_storeu_ps(y + r * 16, acc[r][0]);
    _mm512_storeu_ps(y + ldy + r * 16, acc[r][1]);
  }
}

using PwTileFn = void (*)(int, int, int, const float*, int64_t, const float*, float*, int64_t, bool, bool, float*,
                          int64_t, int, float);
template <int R>
void pw_tile_fn(int C, int k0, int k1, const float* x, int64_t cs, const float* wp, float* part, int64_t ps, bool first,
                bool last, float* y, int64_t ldy, int act, float act_alpha) {
  pw_tile<R>(C, k0, k1, x, cs, wp, part, ps, first, last, y, ldy, act, act_alpha);
}
const PwTileFn kPwTiles[TR + 1] = {nullptr,       pw_tile_fn<1>, pw_tile_fn<2>,  pw_tile_fn<3>, pw_tile_fn<4>,
                                   pw_tile_fn<5>, pw_tile_fn<6>, pw_tile_fn<7>,  pw_tile_fn<8>, pw_tile_fn<9>,
                                   pw_tile_fn<10>, pw_tile_fn<11>, pw_tile_fn<12>};

// The 3x3 taps of channels c0 .. c0+15 as 9 vectors, and their bias.
inline void dw_taps(const float* w, const float* b, int c0, __m512* wv, __m512& vb) {
  alignas(64) float t[9 * 16];
  for (int j = 0; j < 16; ++j)
    for (int k = 0; k < 9; ++k) t[k * 16 + j] = w[(int64_t)(c0 + j) * 9 + k];
  for (int k = 0; k < 9; ++k) wv[k] = _mm512_load_ps(t + k * 16);
  vb = b ? _mm512_loadu_ps(b + c0) : _mm512_setzero_ps();
}

// Stride 1: outputs [ow, ow + U) of one output row. Each of the three input rows' U + 2 vectors is
// loaded once and serves three outputs (where a vector per tap and output made the loads the bound);
// a vector outside the image (a row above or below it: rm, a column left or right of it) is a masked
// load with no lane set, zeros, so a tap there adds w * 0 as the stride-1 kernels do. Per output the
// same sum: from the bias, the nine taps in (kh, kw) order, one FMA each.
template <int U>
inline void dw_s1_run(const float* const* r, const __mmask16* rm, int W, int ow, const __m512* wv, __m512 vb, float* yo,
                      int act, __m512 va) {
  __m512 a[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) a[u] = vb;
  const int iw0 = ow - 1;
  const bool left = iw0 >= 0, right = iw0 + U + 1 < W;
#pragma GCC unroll 3
  for (int kh = 0; kh < 3; ++kh) {
    const float* row = r[kh] + (int64_t)ow * 16;  // input column ow (inside the row)
    __m512 v[U + 2];
    v[0] = _mm512_maskz_loadu_ps(left ? rm[kh] : (__mmask16)0, left ? row - 16 : row);
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) v[u + 1] = _mm512_maskz_loadu_ps(rm[kh], row + (int64_t)u * 16);
    v[U + 1] = _mm512_maskz_loadu_ps(right ? rm[kh] : (__mmask16)0, right ? row + (int64_t)U * 16 : row);
#pragma GCC unroll 3
    for (int kw = 0; kw < 3; ++kw)
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) a[u] = _mm512_fmadd_ps(wv[kh * 3 + kw], v[u + kw], a[u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) _mm512_storeu_ps(yo + (int64_t)u * 16, act >= 0 ? act16(a[u], act, va) : a[u]);
}

// Stride 1 (OW <= W): output row oh of one channel block, xb blocked [H][W][16], yr blocked [OW][16]; in
// runs of 8 outputs, then one of 1 to 7.
inline void dw_s1_row(const ConvShape& s, const float* xb, const __m512* wv, __m512 vb, int oh, float* yr, int act,
                      __m512 va) {
  const float* r[3];
  __mmask16 rm[3];
  for (int kh = 0; kh < 3; ++kh) {
    const int ih = oh - 1 + kh;
    const bool in = ih >= 0 && ih < s.H;
    r[kh] = xb + (int64_t)(in ? ih : oh) * s.W * 16;  // (a row outside: row oh's address, nothing loaded)
    rm[kh] = in ? (__mmask16)0xFFFF : (__mmask16)0;
  }
  int ow = 0;
  for (; ow + 8 <= s.OW; ow += 8) dw_s1_run<8>(r, rm, s.W, ow, wv, vb, yr + (int64_t)ow * 16, act, va);
  switch (s.OW - ow) {
#define SP_DW_RUN(U) \
  case U:            \
    dw_s1_run<U>(r, rm, s.W, ow, wv, vb, yr + (int64_t)ow * 16, act, va); \
    break;
    SP_DW_RUN(1) SP_DW_RUN(2) SP_DW_RUN(3) SP_DW_RUN(4) SP_DW_RUN(5) SP_DW_RUN(6) SP_DW_RUN(7)
#undef SP_DW_RUN
    default:
      break;
  }
}

// Output rows [oh0, oh1) of one channel block of one image: xb blocked [H][W][16], yb blocked
// [OH][OW][16].
void dw_block(const ConvShape& s, const float* xb, const __m512* wv, __m512 vb, float* yb, int act, float alpha,
              int oh0, int oh1) {
  const __m512 va = _mm512_set1_ps(alpha), z = _mm512_setzero_ps();
  if (s.SH == 1 && s.SW == 1 && s.OW <= s.W) {  // (every input column an output's run loads lies in the row)
    __m512 w9[9];  // in registers across the rows
    for (int k = 0; k < 9; ++k) w9[k] = wv[k];
    for (int oh = oh0; oh < oh1; ++oh) dw_s1_row(s, xb, w9, vb, oh, yb + (int64_t)oh * s.OW * 16, act, va);
    return;
  }
  const bool s1 = s.SW == 1;
  // columns whose taps are all inside the row: ow*SW - 1 >= 0 and ow*SW + 1 < W
  const int lo = 1, hi = (int)std::min<int64_t>(s.OW, (s.W - 2) / s.SW + 1);
  for (int oh = oh0; oh < oh1; ++oh) {
    const float* r[3];
    for (int kh = 0; kh < 3; ++kh) {
      const int64_t ih = (int64_t)oh * s.SH - 1 + kh;
      r[kh] = ih >= 0 && ih < s.H ? xb + ih * s.W * 16 : nullptr;
    }
    const bool rows_in = r[0] && r[2];
    float* yr = yb + (int64_t)oh * s.OW * 16;
    for (int ow = 0; ow < s.OW;) {
      if (rows_in && ow >= lo && ow + 4 <= hi) {  // four inner outputs: four independent chains of 9 FMAs
        __m512 a[4] = {vb, vb, vb, vb};
        const int64_t iw0 = (int64_t)ow * s.SW - 1;
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t)
#pragma GCC unroll 4
          for (int u = 0; u < 4; ++u)
            a[u] = _mm512_fmadd_ps(wv[t], _mm512_loadu_ps(r[t / 3] + (iw0 + (int64_t)u * s.SW + t % 3) * 16), a[u]);
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) _mm512_storeu_ps(yr + (int64_t)(ow + u) * 16, act >= 0 ? act16(a[u], act, va) : a[u]);
        ow += 4;
        continue;
      }
      const int64_t iw0 = (int64_t)ow * s.SW - 1;
      __m512 a = vb;
      for (int t = 0; t < 9; ++t) {
        const int64_t iw = iw0 + t % 3;
        const float* row = r[t / 3];
        if (row && iw >= 0 && iw < s.W)
          a = _mm512_fmadd_ps(wv[t], _mm512_loadu_ps(row + iw * 16), a);
        else if (s1)
          a = _mm512_fmadd_ps(wv[t], z, a);
      }
      _mm512_storeu_ps(yr + (int64_t)ow * 16, act >= 0 ? act16(a, act, va) : a);
      ++ow;
    }
  }
}

// Positions [pa, pz) of image n: position blocks of PB, K-block by K-block, panels [q0, q1).
void pw_range(const ConvShape& s, const float* x, const float* wp, int64_t kb_rows, float* y, bool yb, int act,
              float alpha, int n, int64_t pa, int64_t pz, int q0, int q1, float* part) {
  const int C = s.C, OC = s.OC;
  const int nkb = gemm_k_blocks((int)kb_rows);
  const int64_t P = s.P, cs = P * 16;
  const float* xn = x + (int64_t)n * C * P;
  float* yn = y + (int64_t)n * OC * P;
  for (int64_t pb = pa; pb < pz; pb += PB) {
    const int64_t pe = std::min(pz, pb + PB);
    const int64_t ps = (pe - pb) * 16;  // part: [OC/16][pe - pb][16]
    const float* xb = xn + pb * 16;  // position pb of channel block 0
    for (int kb = 0; kb < nkb; ++kb) {
      const int k0 = gemm_k_begin((int)kb_rows, nkb, kb), k1 = gemm_k_begin((int)kb_rows, nkb, kb + 1);
      const bool first = kb == 0, last = kb == nkb - 1;
      for (int64_t p0 = pb; p0 < pe; p0 += TR) {
        const int R = (int)std::min<int64_t>(TR, pe - p0);
        const PwTileFn tile = kPwTiles[R];
        for (int q = q0; q < q1; ++q) {
          float* pt = part + (int64_t)q * 2 * ps + (p0 - pb) * 16;
          // the last K-block: y itself when blocked, else part (transposed into y below)
          float* yt = yb ? yn + (int64_t)q * 2 * cs + p0 * 16 : pt;
          tile(C, k0, k1, xb + (p0 - pb) * 16, cs, wp + (int64_t)q * kb_rows * 32, pt, ps, first, last, yt, yb ? cs : ps, act,
               alpha);
        }
      }
    }
    if (!yb)  // part -> NCHW rows of y, 16 positions of 16 channels at a time
      for (int cb = 2 * q0; cb < 2 * q1; ++cb)
        for (int64_t p0 = pb; p0 < pe; p0 += 16)
          transpose_rows(part + cb * ps + (p0 - pb) * 16, 16, yn + (int64_t)cb * 16 * P + p0, P,
                         (int)std::min<int64_t>(16, pe - p0));
  }
}

}  // namespace

void conv2d_blocked_pw_avx512(const ConvShape& s, const float* x, const float* wp, bool bias, float* y, bool yblocked,
                              int act, float alpha) {
  const int64_t kb_rows = (int64_t)s.C + (bias ? 1 : 0);
  const int T = std::max(1, get_num_threads());
  const int npan = s.OC / 32;
  check_scratch((double)s.OC * PB);
  // Each thread streams the filter (OC x C) once per call and reads the inputs (P x C per image) of
  // its tasks. Split by output channels (thread t: the t-th run of panels, every image) a thread
  // reads 1/T of the filter and all N inputs; split by images or positions, all of the filter and
  // N/T inputs: fewer floats by output channels when OC > N * P (the 10x10 maps of 512 to 1024
  // channels: measured 1.10-1.17x over the split by images there, even at 20x20).
  const bool by_oc = s.OC > (int64_t)s.N * s.P && npan >= T;
  // else whole images when there are at least as many as threads, or each image's positions in
  // runs of whole tiles
  const int64_t tiles = (s.P + TR - 1) / TR;
  const int64_t parts = by_oc ? T : std::min<int64_t>(s.N >= T ? 1 : (T + s.N - 1) / s.N, tiles);
  // task t: by output channels, run t / N of the panels for image t % N (thread h's home range is
  // run h); else image t / parts, its run t % parts of the positions
  parallel_tasks((int64_t)s.N * parts, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf pbuf;
    float* part = pbuf.get((size_t)s.OC * PB);
    for (int64_t t = tb; t < te; ++t) {
      if (by_oc) {
        const int h = (int)(t / s.N), n = (int)(t % s.N);
        pw_range(s, x, wp, kb_rows, y, yblocked, act, alpha, n, 0, s.P, npan * h / T, npan * (h + 1) / T, part);
        continue;
      }
      const int n = (int)(t / parts), i = (int)(t % parts);
      const int64_t pa = std::min<int64_t>(s.P, tiles * i / parts * TR), pz = std::min<int64_t>(s.P, tiles * (i + 1) / parts * TR);
      if (pz > pa) pw_range(s, x, wp, kb_rows, y, yblocked, act, alpha, n, pa, pz, 0, npan, part);
    }
    pbuf.release_if_over((size_t)1 << 22);
  });
}

void conv2d_blocked_dw_avx512(const ConvShape& s, const float* x, bool xblocked, const float* w, const float* b, float* y,
                              int act, float alpha) {
  const int nb = s.C / 16;
  if (!xblocked) check_scratch((double)std::max(s.P, s.HW) * 16);
  // one image's 16 channels: the NCHW kernel's geometry for a block
  const int32_t q[CG_COUNT] = {1, 16, s.H, s.W, 16, 3, 3, s.OH, s.OW, s.SH, s.SW, s.PT, s.PL, 1, 1, 16};
  const ConvShape one(q);
  // Tasks in the order the 1x1 layer before split its output (conv2d_blocked_pw_avx512), so each
  // thread mostly reads what it wrote: channel block-major where it split by output channels (they
  // outnumber the positions of all images); with fewer images than threads, where it split each
  // image's positions in runs, bands of output rows, every channel block of a band in one task (the
  // 1x1 layer after splits the same way); else image-major.
  const bool by_channel = s.C > (int64_t)s.N * s.HW;
  const int T = std::max(1, get_num_threads());
  if (xblocked && s.N < T && !by_channel) {
    const int bands = (int)std::min<int64_t>((T + s.N - 1) / s.N, s.OH);
    parallel_tasks((int64_t)s.N * bands, [&](int64_t tb, int64_t te) {
      for (int64_t i = tb; i < te; ++i) {
        const int64_t n = i / bands;
        const int band = (int)(i % bands), oh0 = (int)((int64_t)s.OH * band / bands),
                  oh1 = (int)((int64_t)s.OH * (band + 1) / bands);
        for (int cb = 0; cb < nb; ++cb) {
          const int64_t t = n * nb + cb;
          __m512 wv[9], vb;
          dw_taps(w, b, cb * 16, wv, vb);
          dw_block(s, x + t * s.HW * 16, wv, vb, y + t * s.P * 16, act, alpha, oh0, oh1);
        }
      }
    });
    return;
  }
  parallel_for((int64_t)s.N * nb, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf xbuf;
    for (int64_t i = tb; i < te; ++i) {
      const int cb = by_channel ? (int)(i / s.N) : (int)(i % nb);
      const int64_t n = by_channel ? i % s.N : i / nb, t = n * nb + cb;
      float* yb = y + t * s.P * 16;
      __m512 wv[9], vb;
      if (xblocked || s.SW == 1) dw_taps(w, b, cb * 16, wv, vb);  // (the stride-2 NCHW path reads w itself)
      if (xblocked) {
        dw_block(s, x + t * s.HW * 16, wv, vb, yb, act, alpha, 0, s.OH);
        continue;
      }
      const int c0 = cb * 16;
      const float* xc = x + (n * s.C + c0) * s.HW;
      if (s.SW == 1) {  // NCHW input, stride 1: the block's 16 input planes transposed, then as blocked
        float* xs = xbuf.get((size_t)s.HW * 16);
        for (int64_t p0 = 0; p0 < s.HW; p0 += 16)
          transpose_cols(xc + p0, s.HW, xs + p0 * 16, 16, (int)std::min<int64_t>(16, s.HW - p0));
        dw_block(s, xs, wv, vb, yb, act, alpha, 0, s.OH);
        continue;
      }
      // stride 2: the block's 16 output planes (a quarter of the input) by the NCHW kernel, transposed
      float* ys = xbuf.get((size_t)s.P * 16);
      depthwise_planes(one, xc, w + (int64_t)c0 * 9, b ? b + c0 : nullptr, ys, 0, 16, act, alpha);
      for (int64_t p0 = 0; p0 < s.P; p0 += 16)
        transpose_cols(ys + p0, s.P, yb + p0 * 16, 16, (int)std::min<int64_t>(16, s.P - p0));
    }
    xbuf.release_if_over((size_t)1 << 22);
  }, 1);
}

}  // namespace sp
#endif
