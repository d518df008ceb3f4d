// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (conv_forward_gemm's fast path: the forward
// and, through the flipped filter, the stride-1 input gradient).
//
// Each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A over its 4x4 input patch d: 16 products
// per (tile, input channel, output channel) instead of 36, so the multiply count is 2.25x lower.
// For each of the 16 positions xi of the 4x4 transformed tile the products summed over input
// channels are one GEMM, M_xi (OC x tiles) = U_xi (OC x C) * V_xi (C x tiles), run by the same
// packed microkernel as everything else. A pass takes a run of tiles (images one after another):
//   1. V: the input transform of every (channel, tile), written straight into packed B slivers;
//   2. the 16 GEMMs and the output transform (bias, activation) into y, scheduled by the size of
//      U, the filter transform in packed A panels (see conv_forward_winograd).
// The filter gradient (conv_filter_grad_winograd) is the same algorithm read the other way.
//
// F(2x2, 3x3) keeps float32 error at the level of the direct sum (its transforms only add,
// subtract and halve). Every output is one fixed sequence of operations over K = C in the
// GEMM's K-block order, independent of threads, of the pass split and of the other images, so 1
// and N threads, and a batch against its images alone, give identical bits.
//
// The transforms add and subtract inputs, so an Inf or NaN would turn into NaN where the direct
// sum gives Inf (Inf - Inf), and values near float's range could overflow where the direct sum
// does not. Inputs and filters are checked while they are transformed; any magnitude over 2^50
// (or not finite) makes the call return false and the caller takes the direct path.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "cpu.h"
#include "fused_act.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"
#include "winograd_impl.h"

namespace sp {

namespace {


// The transforms run on L tiles (filters) at once, lane-innermost loops the compiler vectorises.
constexpr int L = 8;
using Lanes = float[L];

// True when every lane of every row is within +-2^50 (false for NaN too). On the magnitude bits
// as integers (|x| <= 2^50 exactly when they are at most 2^50's, and Inf and NaN lie above), so
// that the check is a vector max instead of one scalar compare per value.
inline bool lanes_ok(const Lanes* a, int rows) {
  uint32_t m[L] = {};
  for (int r = 0; r < rows; ++r)
    for (int l = 0; l < L; ++l) {
      uint32_t u;
      std::memcpy(&u, &a[r][l], sizeof u);
      u &= 0x7fffffffu;
      m[l] = m[l] > u ? m[l] : u;
    }
  return wino_magnitudes_ok(m, L);
}

// Lane l of the 4x4 input patch d whose top-left is input (ih0, iw0) of a plane, p pointing at
// that position (read only inside the plane); inner: the whole patch is inside.
inline void load_patch(const ConvShape& s, const float* p, bool inner, int ih0, int iw0, Lanes d[16], int l) {
  if (inner) {
    for (int i = 0; i < 4; ++i)
      for (int q = 0; q < 4; ++q) d[4 * i + q][l] = p[(int64_t)i * s.W + q];
    return;
  }
  for (int i = 0; i < 4; ++i)
    for (int q = 0; q < 4; ++q) {
      const int ih = ih0 + i, iw = iw0 + q;
      d[4 * i + q][l] = ih >= 0 && ih < s.H && iw >= 0 && iw < s.W ? p[(int64_t)i * s.W + q] : 0.f;
    }
}

// v = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], d row-major 4x4.
inline void input_transform(const Lanes d[16], Lanes v[16]) {
  Lanes t[16];
  for (int j = 0; j < 4; ++j)
    for (int l = 0; l < L; ++l) {
      const float d0 = d[j][l], d1 = d[4 + j][l], d2 = d[8 + j][l], d3 = d[12 + j][l];
      t[j][l] = d0 - d2;
      t[4 + j][l] = d1 + d2;
      t[8 + j][l] = d2 - d1;
      t[12 + j][l] = d1 - d3;
    }
  for (int i = 0; i < 4; ++i)
    for (int l = 0; l < L; ++l) {
      const float r0 = t[4 * i][l], r1 = t[4 * i + 1][l], r2 = t[4 * i + 2][l], r3 = t[4 * i + 3][l];
      v[4 * i + 0][l] = r0 - r2;
      v[4 * i + 1][l] = r1 + r2;
      v[4 * i + 2][l] = r2 - r1;
      v[4 * i + 3][l] = r1 - r3;
    }
}

// v = B^T d B of L patches, position xi stored at dst + xi*stride (L floats each); false when an
// input is not finite or beyond 2^50.
inline bool transform_store(const Lanes d[16], float* dst, int64_t stride) {
  alignas(32) Lanes v[16];
  const bool ok = lanes_ok(d, 16);
  input_transform(d, v);
  for (int xi = 0; xi < 16; ++xi) std::memcpy(dst + xi * stride, v[xi], sizeof(Lanes));
  return ok;
}

// y = A^T m A, A^T = [1 1 1 0; 0 1 -1 -1]: the 2x2 outputs (row-major) of each tile.
inline void output_transform(const Lanes m[16], Lanes y[4]) {
  Lanes t[8];  // A^T m: 2 x 4
  for (int j = 0; j < 4; ++j)
    for (int l = 0; l < L; ++l) {
      t[j][l] = m[j][l] + m[4 + j][l] + m[8 + j][l];
      t[4 + j][l] = m[4 + j][l] - m[8 + j][l] - m[12 + j][l];
    }
  for (int i = 0; i < 2; ++i)
    for (int l = 0; l < L; ++l) {
      y[2 * i + 0][l] = t[4 * i][l] + t[4 * i + 1][l] + t[4 * i + 2][l];
      y[2 * i + 1][l] = t[4 * i + 1][l] - t[4 * i + 2][l] - t[4 * i + 3][l];
    }
}

// Output-channel chunks of the GEMM phase: 16 positions alone give enough tasks for balance on a
// few threads; large OC is split further so that a task's A block stays a few panels. Shape-only.
int wino_oc_chunks(int npan) { return std::max(1, std::min(npan / 16, 4)); }

// The 16 positions' products as tasks (position xi, output-channel chunk of occ over npan panels of
// MR rows): fn(xi, p0, i0, i1) for the chunk's first panel p0 and its rows [i0, i1) of OC.
template <class Fn>
void for_position_chunks(int npan, int MR, int OC, int occ, Fn&& fn) {
  parallel_for(16 * (int64_t)occ, [&](int64_t tb, int64_t te) {
    for (int64_t task = tb; task < te; ++task) {
      const int xi = (int)(task / occ), chunk = (int)(task % occ);
      const int p0 = (int)((int64_t)npan * chunk / occ), p1 = (int)((int64_t)npan * (chunk + 1) / occ);
      const int i0 = p0 * MR, i1 = std::min(OC, p1 * MR);
      if (i1 > i0) fn(xi, p0, i0, i1);
    }
  }, 1);
}

// Lane l of tile j's patch in the plane at xc (x of channel 0 shifted to the wanted channel).
inline void load_tile(const ConvShape& s, const PassTiles& pt, const float* xc, int64_t j, Lanes d[16], int l) {
  load_patch(s, xc + pt.xoff[j], pt.inner[j], pt.oh[j] - s.PT, pt.ow[j] - s.PL, d, l);
}

std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("SLIMPRUNE_WINOGRAD");
    return !(v && v[0] == '0');
  }()};
  return on;
}

// SLIMPRUNE_WINOGRAD=portable at load: the transforms stay per tile even where the CPU has AVX2 or
// AVX-512, and layers under 64 channels take the direct path (the tests compare the transforms on
// wider layers, where both must give the same bits).
bool winograd_portable() {
  static const bool portable = [] {
    const char* v = std::getenv("SLIMPRUNE_WINOGRAD");
    return v && std::strcmp(v, "portable") == 0;
  }();
  return portable;
}

// Which transforms run: 2 = 16 tiles (channels) at a time (AVX-512), 1 = 8 (AVX2), 0 = per tile
// (other CPUs, SLIMPRUNE_WINOGRAD=portable, or slivers of NR lanes that do not hold whole groups).
int wino_simd_level(int NR) {
#if defined(__x86_64__)
  if (winograd_portable()) return 0;
  if (cpu_has_avx512() && NR % 16 == 0) return 2;
  if (cpu_has_avx2_fma() && NR % 8 == 0) return 1;
#endif
  (void)NR;
  return 0;
}

#if defined(__x86_64__)
// The copies of a level (wino_simd_level > 0).
const WinoSimd& wino_simd(int level) {
  static const WinoSimd avx2{8, wino_input_avx2, wino_output_avx2, wino_fg_input_avx2, wino_fg_dy_avx2, wino_store_avx2};
  static const WinoSimd avx512{16,          wino_input_avx512,    wino_output_avx512,
                               wino_fg_input_avx512, wino_fg_dy_avx512, wino_store_avx512};
  return level == 2 ? avx512 : avx2;
}
#endif
}  // namespace

bool winograd_enabled() { return winograd_switch().load(std::memory_order_relaxed); }
void set_winograd_enabled(bool on) { winograd_switch().store(on, std::memory_order_relaxed); }

bool conv_winograd_fits(const ConvShape& s, bool forward) {
  if (!(s.KH == 3 && s.KW == 3 && s.SH == 1 && s.SW == 1 && s.DH == 1 && s.DW == 1 && s.G == 1 && s.OH >= 2 &&
        s.OW >= 2))
    return false;
  // Channels: the transforms cost per (channel, tile) and the products per (channel pair, tile),
  // so narrow layers lose with the per-tile transforms (measured: 32 -> 32 at 40x40 0.86x, 16 -> 32
  // at 80x80 0.65x the direct path; 64 -> 64 at 20x20 to 56x56 1.17-1.2x, 256 -> 512 at 20x20
  // 1.65x). With the transforms 16 or 8 lanes at a time (AVX-512, AVX2), narrower forward layers
  // win too (against the direct path, 2 threads, AVX-512: 24 -> 48 and 26 -> 51 at 40x40
  // 1.25-1.36x, 32 -> 32 at 80x80 1.16x, 77 -> 154 at 20x20 1.7x; even or losing under 24 channels
  // (16 -> 32, 20 -> 40, 12 -> 24), about even for 24 -> 24 at 80x80, losing on 160x160 maps with
  // 24 to 32 channels, which are memory-bound). The forward here includes the stride-1 input
  // gradient (the flipped filter). The filter gradient keeps the 64-channel rule: narrow ones ran
  // 1.2-1.65x faster through it too, but with both gradients of the small test detector's narrow
  // layers through Winograd its 120-step overfit run ended with eval-mode (running statistics)
  // objectness lost (its batch-norm scale gradients, sums that mostly cancel, differ by up to 2%
  // relative between the paths). Shape and CPU only, never the batch: an image gets the same bits
  // alone as in any batch.
  if (s.C >= 64 && s.OC >= 64) return true;
  const int64_t P = (int64_t)s.OH * s.OW;
  return forward && wino_simd_level(gemm_micro().nr) > 0 && s.C >= 24 && s.OC >= 24 &&
         (s.C + s.OC >= 128 || P <= 1600 || (P <= 6400 && s.C + s.OC >= 64));
}

namespace {
// The forward's transforms (wino_simd_level) for s: 0 where the offsets into x or y could pass the
// gathers' 32-bit indices.
int wino_forward_simd(const ConvShape& s) {
#if defined(__x86_64__)
  const double span = 8.0 * (s.H + 4) * (s.W + 4);
  const bool fits32 = (double)s.N * s.C * s.HW + span < 2147483647.0 && (double)s.N * s.OC * s.P + span < 2147483647.0;
  return fits32 ? wino_simd_level(gemm_micro().nr) : 0;
#else
  (void)s;
  return 0;
#endif
}
// Bytes of U, the packed transformed filters of all panels.
double wino_u_bytes(const ConvShape& s) {
  const int MR = gemm_micro().mr;
  return 16.0 * ((s.OC + MR - 1) / MR) * s.C * MR * sizeof(float);
}
// The 1x1 layer pw on the K rows of L (ldl apart, n columns) into Z (rows ldz apart) in
// conv_forward_gemm's K-blocks, the bias as a last row of ones, the activation with the last block:
// that layer's numbers.
void wino_pointwise(const GemmMicro& uk, const WinoPointwise& pw, int K, const float* L, int64_t ldl, int n, float* Z,
                    int64_t ldz, float* col) {
  const int MR = uk.mr, Kb = K + (pw.bias ? 1 : 0), nkb = gemm_k_blocks(Kb);
  const int64_t aps = (int64_t)Kb * MR;
  for (int kb = 0; kb < nkb; ++kb) {
    const int k0 = gemm_k_begin(Kb, nkb, kb), kc = gemm_k_begin(Kb, nkb, kb + 1) - k0;
    pointwise_rows(uk, pw.OC, n, std::min(kc, K - k0), kc, pw.Wp + (int64_t)k0 * MR, aps, L + (int64_t)k0 * ldl, ldl, Z, ldz,
                   kb > 0, kb == nkb - 1 ? pw.act : -1, pw.alpha, col);
  }
}
}  // namespace

// Small layers (U within 768 KiB, e.g. 77 -> 154 or 26 -> 51 channels) run sliver by sliver: a
// thread runs a sliver's input transform, its 16 products over every output channel and their
// output transform, so V and M of a sliver stay in its core's cache instead of crossing to the
// other cores (or to memory) between the phases; U is read from cache per sliver. (A/B in one
// process, 2 threads, AVX-512: 26 -> 51 at 40x40 1.32x, 24 -> 48 at 80x80 1.23x, 77 -> 154 at
// 20x20 1.09x, 64 -> 64 at 40x40 1.06x; 96 -> 192 at 20x20 (1.2 MB) even, 128 -> 128 at 40x40
// (1.1 MB) 0.92x.) The same products and transforms: the same bits.
bool conv_winograd_by_sliver(const ConvShape& s) {
  return conv_winograd_fits(s, true) && gemm_micro().nr % L == 0 && wino_forward_simd(s) > 0 &&
         wino_u_bytes(s) <= (double)(768 << 10);
}

bool conv_forward_winograd(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act,
                           float alpha, bool flipped, FilterCache* fc, const WinoPointwise* pw) {
  if (fc && fc->wino_state < 0) return false;  // the filter cannot be transformed
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  if (NR % L) return false;
  const bool by_sliver = conv_winograd_by_sliver(s);
  if (pw && (flipped || !by_sliver)) return false;
  const int C = s.C, OC = s.OC;
  const int64_t ntiles = s.N * PassTiles::per_image(s);
  const int npan = (OC + MR - 1) / MR;
  const int64_t aps = (int64_t)C * MR;
  std::atomic<bool> bad{false};

  // The filter transform G g G^T is linear in the 9 taps: U[xi] = sum_k T[xi][k] g[k] with
  // T = G (x) G (entries 0, +-1/4, +-1/2, 1, exact in float), so the 16 x C transform of one
  // output channel's filters is a K = 9 product T (16 x 9) times its taps (9 x C, read as the
  // transpose of the C x 9 filter rows), run by the same packed microkernel. The flipped filter
  // reverses the taps: T's columns are reversed instead.
  alignas(64) float T[16 * 9];
  {
    const float Gm[4][3] = {{1.f, 0.f, 0.f}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0.f, 0.f, 1.f}};
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw) {
            const int k = flipped ? 8 - (kh * 3 + kw) : kh * 3 + kw;
            T[(i * 4 + j) * 9 + k] = Gm[i][kh] * Gm[j][kw];
          }
  }
  alignas(64) float Tp[3 * kGemmMaxMR * 9];  // ceil(16 / MR) panels of 9 x MR
  gemm_pack_a(uk, false, T, 9, 0, 16, 0, 9, Tp, 9 * MR);

  // U, the packed transformed filters (16 x OC x C). Two schedules:
  //  - U within about 8 MiB (the usual case): U is built once, by panels, and shared; each pass of
  //    tiles runs the 16 products as (position, output-channel chunk) tasks over all the pass's
  //    tiles into M (16 x OC x tiles), then the output transform by output channels.
  //  - a larger U (wide layers on small maps: 33 MiB for 512 -> 1024 channels) would go to memory
  //    and back twice, so tasks are groups of about 64 output channels instead: each builds its
  //    group's panels itself and runs its rows of the 16 products and the output transform in
  //    chunks of cw tiles, U and the products staying in its core's cache (1.2-1.3x on 10x10 and
  //    19x19 maps; the first schedule is 1.1x faster where U is small).
  //  - with a filter cache, U of all panels is built once (the first schedule's layout) and kept,
  //    and the first schedule reads it from there: with nothing to transform per call it is the
  //    faster one at any size (A/B in one process: 256 -> 512 at 10x10 and 19x19 1.11-1.19x,
  //    512 -> 512 at 10x10 1.12x, 512 -> 1024 at 10x10 and 19x19 1.05x).
  const double ubytes = wino_u_bytes(s);
  const bool shared_u = fc || ubytes <= (double)(8 << 20);
  const int gp = std::max(1, std::min(npan, (64 + MR - 1) / MR));
  const int ngroups = (npan + gp - 1) / gp;
  const int64_t cw = std::max<int64_t>(NR, (6144 / (gp * MR)) / NR * NR);
  const int64_t ucs = odd_line_stride((int64_t)(shared_u ? npan : gp) * aps);  // per position
  // The 16 x MR x C transforms of panel pn's filters, packed at dst + xi*ucs; false when a tap is
  // beyond 2^50, Inf or NaN. One product T (16 x 9) * taps (9 x C*MR) whose column j = c*MR + r
  // holds the taps of (output channel i0 + r, input channel c): row xi of the product is then
  // exactly panel pn of U_xi ([c][r]), so it is written in place (rows r past the panel's
  // channels read zero taps: the panel's zero padding). Each value is the same 9-term dot product
  // as a product per output channel followed by a pack, without the intermediate and the pack.
  static const float kZeroTaps[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto transform_panel = [&](int pn, float* dst, AlignedBuf& tapbuf) {
    const int i0 = pn * MR, mb = std::min(MR, OC - i0);
    const int64_t ncols = (int64_t)C * MR, nsl = (ncols + NR - 1) / NR;
    float* taps = tapbuf.get((size_t)(nsl * 9 * NR));
    const float* cols[kGemmMaxNR];
    int64_t c = 0;
    int r = 0;  // column c*MR + r of the product, walked in order
    int over = 0;
    for (int64_t sl = 0; sl < nsl; ++sl) {
      const int nb = (int)std::min<int64_t>(NR, ncols - sl * NR);
      for (int q = 0; q < nb; ++q) {
        // taps of (oc, c): forward w[oc][c][k], flipped w[c][oc][k] (the input gradient of a
        // forward layer whose w is [C][OC][3][3] here)
        cols[q] = r >= mb ? kZeroTaps : flipped ? w + (c * OC + i0 + r) * 9 : w + ((int64_t)(i0 + r) * C + c) * 9;
        if (++r == MR) r = 0, ++c;
      }
      float* t = taps + sl * 9 * NR;
      gemm_pack_rows_b(uk, cols, nb, 9, t);
      for (int i = 0; i < 9 * NR; ++i) over += !(std::fabs(t[i]) <= kWinoMax);  // while in L1
    }
    gemm_packed(uk, 16, (int)ncols, 9, Tp, 9 * MR, taps, 9 * NR, dst, ucs, 1.f, false);
    return over == 0;
  };
  static thread_local AlignedBuf ushared, mshared;
  // U of all panels (position stride ucs): the cache's, else this call's when shared_u
  float* Ush = fc ? fc->wino.get((size_t)(16 * ucs)) : shared_u ? ushared.get((size_t)(16 * ucs)) : nullptr;
  if (fc ? fc->wino_state == 0 : shared_u) {
    parallel_for(npan, [&](int64_t pb, int64_t pe) {
      static thread_local AlignedBuf tapbuf;
      bool ok = true;
      for (int64_t pn = pb; pn < pe; ++pn) ok &= transform_panel((int)pn, Ush + pn * aps, tapbuf);
      if (!ok) bad = true;
    }, 2);
    if (fc) {
      fc->wino_state = bad ? -1 : 1;
      fc->bytes += (size_t)(16 * ucs) * sizeof(float);
    }
    if (bad) return false;
  }

  // Tiles per pass: V (16 x C per tile; with the shared schedule also M, 16 x OC) within about
  // 8 MiB, at least 64 tiles.
  const int64_t per_tile = 16 * (int64_t)(C + (shared_u ? OC : 0)) * (int64_t)sizeof(float);
  const int64_t want = std::max<int64_t>(64, ((int64_t)8 << 20) / per_tile);
  const int64_t npass = (ntiles + want - 1) / want;
  const int64_t nt_max = round_up((ntiles + npass - 1) / npass, NR);
  const int64_t bss = (int64_t)C * NR;  // sliver stride of V_xi
  static thread_local AlignedBuf vbuf;
  float* V = vbuf.get((size_t)(16 * odd_line_stride(nt_max / NR * bss)));
  float* Msh = shared_u ? mshared.get((size_t)(16 * odd_line_stride((int64_t)OC * nt_max))) : nullptr;
  PassTiles pt(nt_max);
#if defined(__x86_64__)
  // The transforms 16 (8) tiles at a time (winograd_avx512.cc, winograd_avx2.cc) where the CPU has
  // AVX-512 (AVX2), the slivers hold whole groups of lanes and every offset into x and y fits the
  // gathers' 32-bit indices; else per tile. 2 = AVX-512, 1 = AVX2, 0 = per tile.
  const int simd = wino_forward_simd(s);
#endif
  // Output transform, bias and activation of rows [r0, r0 + rows) of the products M (position
  // stride mstride, row stride ldm), columns [0, cn) = the pass's tiles c0 ...
  const auto store_rows = [&](const float* M, int64_t mstride, int64_t ldm, int64_t r0, int64_t rows, int64_t c0,
                              int64_t cn) {
#if defined(__x86_64__)
    if (simd) {
      wino_simd(simd).output(s, pt, M, mstride, ldm, r0, rows, c0, cn, b, y, act, alpha, nullptr, 0);
      return;
    }
#endif
    alignas(32) Lanes m[16], o[4];
    for (int64_t rr = 0; rr < rows; ++rr) {
      const int64_t oc = r0 + rr;
      const float bias = b ? b[oc] : 0.f;
      const float* mo = M + rr * ldm;
      float* yo = y + oc * s.P;
      for (int64_t j0 = 0; j0 < cn; j0 += L) {
        for (int xi = 0; xi < 16; ++xi) std::memcpy(m[xi], mo + xi * mstride + j0, sizeof(Lanes));
        output_transform(m, o);
        for (int k = 0; k < 4; ++k)
          for (int l = 0; l < L; ++l) o[k][l] += bias;
        if (act >= 0) fused_act_inplace(&o[0][0], 4 * L, act, alpha);
        const int ln = (int)std::min<int64_t>(L, cn - j0);
        for (int l = 0; l < ln; ++l) {
          const int64_t j = c0 + j0 + l;
          float* yt = yo + pt.yoff[j];
          if (pt.full[j]) {
            yt[0] = o[0][l];
            yt[1] = o[1][l];
            yt[s.OW] = o[2][l];
            yt[s.OW + 1] = o[3][l];
          } else {
            for (int i = 0; i < 2 && pt.oh[j] + i < s.OH; ++i)
              for (int q = 0; q < 2 && pt.ow[j] + q < s.OW; ++q) yt[(int64_t)i * s.OW + q] = o[2 * i + q][l];
          }
        }
      }
    }
  };

  // The 16 products of output-channel rows [r0, r0 + rows) (U's panels from Ur, position stride
  // ucs) over cn tiles (V's slivers from Vc, position stride vst) into M; products_out: then their
  // output transform (the pass's tiles c0 ...).
  const auto products = [&](const float* Ur, const float* Vc, int64_t vst, float* M, int64_t mstride, int64_t ldm,
                            int rows, int64_t cn) {
    for (int xi = 0; xi < 16; ++xi)
      gemm_packed(uk, rows, (int)cn, C, Ur + xi * ucs, aps, Vc + xi * vst, bss, M + xi * mstride, ldm, 1.f, false);
  };
  const auto products_out = [&](const float* Ur, const float* Vc, int64_t vst, float* M, int64_t mstride,
                                int64_t ldm, int r0, int rows, int64_t c0, int64_t cn) {
    products(Ur, Vc, vst, M, mstride, ldm, rows, cn);
    store_rows(M, mstride, ldm, r0, rows, c0, cn);
  };

#if defined(__x86_64__)
  // With a 1x1 layer after (pw): its outputs' places (y's tile offsets are for OC channels)
  ConvShape spw = s;
  if (pw) spw.OC = pw->OC;
  PassTiles ptw(pw ? nt_max : 0);
#endif
  for (int64_t t0 = 0; t0 < ntiles; t0 += nt_max) {
    const int64_t nt = std::min(nt_max, ntiles - t0);
    const int64_t nsl = (nt + NR - 1) / NR;
    const int64_t vstride = odd_line_stride(nsl * bss);
    pt.set(s, t0, nt);
#if defined(__x86_64__)
    if (by_sliver) {
      const int64_t vs1 = odd_line_stride(bss), ms1 = odd_line_stride((int64_t)OC * NR);
      if (pw) ptw.set(spw, t0, nt);
      parallel_for(nsl, [&](int64_t sb, int64_t se) {
        static thread_local AlignedBuf vsbuf, msbuf, lbuf, zbuf, colbuf;
        float* Vs = vsbuf.get((size_t)(16 * vs1));
        float* Ms = msbuf.get((size_t)(16 * ms1));
        // pw: the sliver's outputs (4 per tile, the tile's k-th at column k*NR + tile) and the 1x1
        // layer's, in cache
        const int64_t ldl = 4 * (int64_t)NR;
        float* Ls = pw ? lbuf.get((size_t)(OC * ldl)) : nullptr;
        float* Zs = pw ? zbuf.get((size_t)(pw->OC * ldl)) : nullptr;
        for (int64_t sl = sb; sl < se && !bad; ++sl) {
          const int64_t c0 = sl * NR, cn = std::min<int64_t>(NR, nt - c0);
          if (!wino_simd(simd).input(s, x, pt, nt, sl, sl + 1, Vs, bss, vs1, NR)) {
            bad = true;
            break;
          }
          if (!pw) {
            products_out(Ush, Vs, vs1, Ms, ms1, NR, 0, OC, c0, cn);
            continue;
          }
          products(Ush, Vs, vs1, Ms, ms1, NR, OC, cn);
          wino_simd(simd).output(s, pt, Ms, ms1, NR, 0, OC, c0, cn, b, nullptr, act, alpha, Ls, ldl);
          wino_pointwise(uk, *pw, OC, Ls, ldl, (int)ldl, Zs, ldl, colbuf.get((size_t)kGemmKC * 256));
          wino_simd(simd).store(spw, ptw, Zs, ldl, pw->OC, c0, cn, pw->y);
        }
        vsbuf.release_if_over((size_t)1 << 20);
        msbuf.release_if_over((size_t)1 << 20);
      }, 1);
      if (bad) return false;
      continue;
    }
#endif
    // 1. Input transform: V_xi[sliver][c][lane] for every channel and tile of the pass, sliver by
    // sliver (each position's sliver is then written front to back, 16 sequential streams).
    parallel_for(nsl, [&](int64_t sb, int64_t se) {
#if defined(__x86_64__)
      if (simd) {
        if (!wino_simd(simd).input(s, x, pt, nt, sb, se, V + sb * bss, bss, vstride, NR)) bad = true;
        return;
      }
#endif
      alignas(32) Lanes d[16];
      bool ok = true;
      for (int64_t sl = sb; sl < se; ++sl)
        for (int64_t c = 0; c < C; ++c) {
          const float* xc = x + c * s.HW;
          for (int64_t j0 = sl * NR; j0 < (sl + 1) * NR; j0 += L) {
            for (int l = 0; l < L; ++l) {
              const int64_t j = j0 + l;
              if (j >= nt)
                for (int k = 0; k < 16; ++k) d[k][l] = 0.f;
              else
                load_tile(s, pt, xc, j, d, l);
            }
            ok &= transform_store(d, V + (j0 / NR) * bss + c * NR + (j0 % NR), vstride);
          }
        }
      if (!ok) bad = true;
    }, 1);
    if (bad) return false;
    if (shared_u) {
      // 2. The 16 products M_xi = U_xi V_xi, each output-channel chunk a task; 3. the output
      // transform by output channels.
      const int occ = wino_oc_chunks(npan);
      const int64_t ldm = nsl * NR, mstride = odd_line_stride((int64_t)OC * ldm);
      // With at most two slivers (10x10 maps, 19x19 in passes), each panel of U serves two tiles
      // and U (megabytes, out of cache in a model) streams from memory: the next panel is
      // prefetched while one runs (512 -> 1024 at 10x10 b2 1.11-1.17x, at 19x19 b1 1.06-1.12x,
      // warm and with the filter out of cache; 256 -> 512 even; A/B in one process, AVX-512).
      // gemm_macro's other callers reuse their panels over more columns, or keep them in cache
      // (1x1 layers on 4x4 to 8x8 maps lost 2-15% with the prefetch).
      const bool stream_u = nsl <= 2;
      for_position_chunks(npan, MR, OC, occ, [&](int xi, int p0, int i0, int i1) {
        gemm_packed(uk, i1 - i0, (int)nt, C, Ush + xi * ucs + (int64_t)p0 * aps, aps, V + xi * vstride, bss,
                    Msh + xi * mstride + (int64_t)i0 * ldm, ldm, 1.f, false, -1, 0.f, stream_u);
      });
      parallel_for(OC, [&](int64_t ob, int64_t oe) { store_rows(Msh + ob * ldm, mstride, ldm, ob, oe - ob, 0, nt); }, 4);
      continue;
    }
    // 2. Per group of output channels: its filter transform, then chunk by chunk its rows of the
    // 16 products and their output transform.
    const int64_t nchunks = (nt + cw - 1) / cw;
    parallel_for(ngroups, [&](int64_t gb, int64_t ge) {
      static thread_local AlignedBuf ubuf, tapbuf, mbuf;
      const int64_t ldm = cw, mstride = odd_line_stride((int64_t)gp * MR * ldm);
      float* M = mbuf.get((size_t)(16 * mstride));
      float* U = ubuf.get((size_t)(16 * ucs));
      bool ok = true;
      for (int64_t grp = gb; grp < ge && ok; ++grp) {
        const int p0 = (int)grp * gp, p1 = std::min(npan, p0 + gp);
        for (int pn = p0; pn < p1; ++pn) ok &= transform_panel(pn, U + (int64_t)(pn - p0) * aps, tapbuf);
        if (!ok) break;
        const int r0 = p0 * MR, rows = std::min(OC, p1 * MR) - r0;
        for (int64_t ch = 0; ch < nchunks; ++ch) {
          const int64_t c0 = ch * cw, cn = std::min(cw, nt - c0);
          products_out(U, V + (c0 / NR) * bss, vstride, M, mstride, ldm, r0, rows, c0, cn);
        }
      }
      if (!ok) bad = true;
      ubuf.release_if_over((size_t)1 << 22);
    }, 1);
    if (bad) return false;
  }
  vbuf.release_if_over((size_t)1 << 22);
  ushared.release_if_over((size_t)1 << 22);
  mshared.release_if_over((size_t)1 << 22);
  return true;
}

// The filter gradient of the same layers, F(3x3, 2x2): dw[oc][c] (3x3) sums, over the 2x2 tiles
// t of dy, the correlation of the tile's 4x4 input patch d with the tile e = dy[oc] (2x2): out =
// G^T [(A e A^T) . (B^T d B)] G with the forward's B^T and, in the roles swapped, its A and G
// (the same bilinear form read the other way). Per position xi the sum over tiles is one GEMM,
// M_xi (OC x C) = E_xi (OC x tiles) V_xi^T (tiles x C), with K = the tiles of all images in order
// (passes of tiles accumulate in order), so 1 and N threads give identical bits.
bool conv_filter_grad_winograd(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  if (NR % L) return false;
  const int C = s.C, OC = s.OC;
  const int64_t ntiles = s.N * PassTiles::per_image(s);
  const int npan = (OC + MR - 1) / MR, nslc = (C + NR - 1) / NR;
  // Tiles per pass: E (16 x OC) and V (16 x C) per tile within about 8 MiB, at least 256.
  const int64_t per_tile = 16 * (int64_t)(C + OC) * (int64_t)sizeof(float);
  const int64_t want = std::max<int64_t>(256, ((int64_t)8 << 20) / per_tile);
  const int64_t npass = (ntiles + want - 1) / want;
  const int64_t nt_max = (ntiles + npass - 1) / npass;
  const int64_t aps = nt_max * MR, bss = nt_max * NR;
  const int64_t estride = odd_line_stride(npan * aps), vstride = odd_line_stride(nslc * bss);
  const int64_t mstride = odd_line_stride((int64_t)OC * C);
  static thread_local AlignedBuf ebuf, vbuf, mbuf;
  float* E = ebuf.get((size_t)(16 * estride));
  float* V = vbuf.get((size_t)(16 * vstride));
  float* M = mbuf.get((size_t)(16 * mstride));
  const int occ = wino_oc_chunks(npan);
  std::atomic<bool> bad{false};
  PassTiles pt(nt_max);
#if defined(__x86_64__)
  // The two transforms 16 (AVX-512) or 8 (AVX2) lanes at a time: channels, output channels.
  const int level = wino_simd_level(NR), G = level ? wino_simd(level).lanes : 8;
  const int simd = level && MR <= G && (double)G * s.HW + 4.0 * s.W < 2147483647.0 &&
                           (double)G * s.P + 2.0 * s.OW < 2147483647.0
                       ? level
                       : 0;
#endif

  for (int64_t pass = 0; pass < npass; ++pass) {
    const int64_t t0 = pass * nt_max, nt = std::min(nt_max, ntiles - t0);
    pt.set(s, t0, nt);
    // 1. V_xi[c sliver][tile][lane] = (B^T d B)[xi] of channel c's patch: L channels at a time
    // (G with AVX2 or AVX-512).
#if defined(__x86_64__)
    if (simd) {
      parallel_for((C + G - 1) / G, [&](int64_t gb, int64_t ge) {
        if (!wino_simd(simd).fg_input(s, x, pt, nt, gb, ge, V, bss, vstride, NR))
          bad = true;
      }, 1);
    } else
#endif
    parallel_for((C + L - 1) / L, [&](int64_t gb, int64_t ge) {
      alignas(32) Lanes d[16];
      bool ok = true;
      for (int64_t gi = gb; gi < ge; ++gi) {
        const int c0 = (int)gi * L;
        for (int64_t j = 0; j < nt; ++j) {
          for (int l = 0; l < L; ++l) {
            const int c = c0 + l;
            if (c >= C) {
              for (int k = 0; k < 16; ++k) d[k][l] = 0.f;
              continue;
            }
            load_tile(s, pt, x + (int64_t)c * s.HW, j, d, l);
          }
          ok &= transform_store(d, V + (c0 / NR) * bss + j * NR + (c0 % NR), vstride);
        }
      }
      if (!ok) bad = true;
    }, 1);
    if (bad) return false;
    // 2. E_xi[oc panel][tile][r] = (A e A^T)[xi], A = [1 0; 1 1; 1 -1; 0 -1], e the tile of dy
    // (zero past OH, OW).
#if defined(__x86_64__)
    if (simd) {
      parallel_for(npan, [&](int64_t pb, int64_t pe) {
        if (!wino_simd(simd).fg_dy(s, dy, pt, nt, pb, pe, E, aps, estride, MR)) bad = true;
      }, 2);
    } else
#endif
    parallel_for(npan, [&](int64_t pb, int64_t pe) {
      bool ok = true;
      for (int64_t pn = pb; pn < pe; ++pn)
        for (int64_t j = 0; j < nt; ++j)
          for (int r = 0; r < MR; ++r) {
            const int oc = (int)pn * MR + r;
            float e00 = 0.f, e01 = 0.f, e10 = 0.f, e11 = 0.f;
            if (oc < OC) {
              const float* q = dy + pt.yoff[j] + (int64_t)oc * s.P;
              if (pt.full[j]) {
                e00 = q[0], e01 = q[1], e10 = q[s.OW], e11 = q[s.OW + 1];
              } else {
                const bool down = pt.oh[j] + 1 < s.OH, right = pt.ow[j] + 1 < s.OW;
                e00 = q[0];
                if (right) e01 = q[1];
                if (down) e10 = q[s.OW];
                if (down && right) e11 = q[s.OW + 1];
              }
              ok &= std::fabs(e00) <= kWinoMax && std::fabs(e01) <= kWinoMax && std::fabs(e10) <= kWinoMax &&
                    std::fabs(e11) <= kWinoMax;
            }
            // rows: A e (4 x 2), then columns: (A e) A^T (4 x 4)
            const float a[4][2] = {{e00, e01}, {e00 + e10, e01 + e11}, {e00 - e10, e01 - e11}, {-e10, -e11}};
            float* dst = E + pn * aps + j * MR + r;
            for (int i = 0; i < 4; ++i) {
              const float u0 = a[i][0], u1 = a[i][1];
              dst[(4 * i + 0) * estride] = u0;
              dst[(4 * i + 1) * estride] = u0 + u1;
              dst[(4 * i + 2) * estride] = u0 - u1;
              dst[(4 * i + 3) * estride] = -u1;
            }
          }
      if (!ok) bad = true;
    }, 2);
    if (bad) return false;
    // 3. M_xi (+)= E_xi V_xi^T: K = this pass's tiles.
    for_position_chunks(npan, MR, OC, occ, [&](int xi, int p0, int i0, int i1) {
      gemm_packed(uk, i1 - i0, C, (int)nt, E + xi * estride + (int64_t)p0 * aps, aps, V + xi * vstride, bss,
                  M + xi * mstride + (int64_t)i0 * C, C, 1.f, pass > 0);
    });
  }
  // 4. dw[oc][c] = G^T M G, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]: L channels at a time.
  parallel_for(OC, [&](int64_t ob, int64_t oe) {
    alignas(32) Lanes m[16], t[12], o[9];
    for (int64_t oc = ob; oc < oe; ++oc)
      for (int c0 = 0; c0 < C; c0 += L) {
        const int ln = std::min(L, C - c0);
        for (int xi = 0; xi < 16; ++xi) {
          const float* src = M + xi * mstride + oc * C + c0;
          if (ln == L)
            std::memcpy(m[xi], src, sizeof(Lanes));
          else
            for (int l = 0; l < L; ++l) m[xi][l] = l < ln ? src[l] : 0.f;
        }
        for (int j = 0; j < 4; ++j)  // rows: G^T m (3 x 4)
          for (int l = 0; l < L; ++l) {
            const float m0 = m[j][l], m1 = m[4 + j][l], m2 = m[8 + j][l], m3 = m[12 + j][l];
            t[j][l] = m0 + 0.5f * (m1 + m2);
            t[4 + j][l] = 0.5f * (m1 - m2);
            t[8 + j][l] = 0.5f * (m1 + m2) + m3;
          }
        for (int i = 0; i < 3; ++i)  // columns: (G^T m) G (3 x 3)
          for (int l = 0; l < L; ++l) {
            const float m0 = t[4 * i][l], m1 = t[4 * i + 1][l], m2 = t[4 * i + 2][l], m3 = t[4 * i + 3][l];
            o[3 * i + 0][l] = m0 + 0.5f * (m1 + m2);
            o[3 * i + 1][l] = 0.5f * (m1 - m2);
            o[3 * i + 2][l] = 0.5f * (m1 + m2) + m3;
          }
        float* dst = dw + (oc * C + c0) * 9;
        for (int l = 0; l < ln; ++l)
          for (int k = 0; k < 9; ++k) dst[l * 9 + k] = o[k][l];
      }
  }, 4);
  ebuf.release_if_over((size_t)1 << 22);
  vbuf.release_if_over((size_t)1 << 22);
  mbuf.release_if_over((size_t)1 << 24);
  return true;
}

}  // namespace sp
