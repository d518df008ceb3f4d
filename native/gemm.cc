// SGEMM driver: C = alpha * op(A) op(B) + beta * C, row-major, fp32.
//
// Blocking (BLIS/Goto scheme): for each NC column block, for each K-block (kc <= kGemmKC), op(B)
// is packed into NR-wide slivers and op(A) into MR-tall panels (gemm_internal.h); the register-
// tiled microkernel of the CPU's ISA then sweeps MC x NC blocks (A block in L2, B sliver in L1).
// Threads share one packed B panel (K x NC) and then claim (MC block x sliver range) tiles of C,
// each packing its own A block per K-block; every element of C is produced by one thread with
// the same K-block order, so 1 and N threads give identical bits.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "cpu.h"
#include "fused_act.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

// ---- dispatch ---------------------------------------------------------------------------------
const GemmMicro& gemm_micro() {
  static const GemmMicro* chosen = [] {
#if defined(__x86_64__)
    if (cpu_has_avx512()) return &gemm_micro_avx512();
    if (cpu_has_avx2_fma()) return &gemm_micro_avx2();
#endif
    return &gemm_micro_generic();
  }();
  return *chosen;
}

bool gemm_fma_rate(double seconds, double& one_thread, double& all_threads) {
  const GemmMicro& uk = gemm_micro();
  if (!uk.fma_chains) return false;
  using Clock = std::chrono::steady_clock;
  const double flops_per_round = 2.0 * uk.fma_lanes * uk.fma_chain_count;
  volatile float sink = 0.f;  // the loops' results, kept
  const auto timed = [&](const std::function<void()>& fn) {
    const auto t0 = Clock::now();
    fn();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  const int T = get_num_threads();
  std::vector<float> part((size_t)T);
  // `rounds` on the calling thread; on every pool thread, one index each
  const auto one = [&](int64_t rounds) { sink = sink + uk.fma_chains(rounds); };
  const auto all = [&](int64_t rounds) {
    parallel_for(T, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) part[(size_t)i] = uk.fma_chains(rounds);
    });
    for (float v : part) sink = sink + v;
  };
  // Rounds for about a sixth of `seconds` per run (three runs of each measurement).
  int64_t iters = 1 << 14;
  for (;;) {
    const double dt = timed([&] { one(iters); });
    if (dt >= 0.005 || iters >= ((int64_t)1 << 40)) {
      iters = std::max<int64_t>(1, (int64_t)((double)iters * (seconds / 6) / std::max(dt, 1e-9)));
      break;
    }
    iters *= 4;
  }
  double best1 = 0, bestT = 0;
  for (int run = 0; run < 3; ++run) {
    best1 = std::max(best1, flops_per_round * (double)iters / timed([&] { one(iters); }) / 1e9);
    all(64);  // a short job first: the workers are awake (spinning) when the timed one starts
    bestT = std::max(bestT, flops_per_round * (double)iters * T / timed([&] { all(iters); }) / 1e9);
  }
  one_thread = best1;
  all_threads = bestT;
  return true;
}

// ---- scratch ----------------------------------------------------------------------------------
AlignedBuf::~AlignedBuf() { std::free(p_); }
void check_scratch(double count, double item_bytes) {
  const double bytes = count * item_bytes;
  if (!(bytes <= (double)kMaxScratchBytes)) throw ScratchLimit(bytes);
}
float* AlignedBuf::get(size_t n) {
  if (n > n_) {
    // A request over the limit (or a size computed from a geometry that wrapped) never reaches
    // the allocator; a failed allocation throws to the caller (the N-API layer reports it).
    check_scratch((double)n);
    std::free(p_);
    p_ = nullptr;
    n_ = 0;
    const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
    n_ = n;
  }
  return p_;
}
void AlignedBuf::release_if_over(size_t n) {
  if (n_ > n) {
    std::free(p_);
    p_ = nullptr;
    n_ = 0;
  }
}

// ---- packing ----------------------------------------------------------------------------------
namespace {
void pack_rows_portable(const float* const* rows, int nrows, int R, int kc, float* dst) {
  for (int k = 0; k < kc; ++k) {
    float* d = dst + (int64_t)k * R;
    int r = 0;
    for (; r < nrows; ++r) d[r] = rows[r][k];
    for (; r < R; ++r) d[r] = 0.f;
  }
}
}  // namespace

void gemm_pack_rows_a(const GemmMicro& uk, const float* const* rows, int nrows, int kc, float* dst) {
  if (uk.pack_a_rows)
    uk.pack_a_rows(rows, nrows, kc, dst);
  else
    pack_rows_portable(rows, nrows, uk.mr, kc, dst);
}
void gemm_pack_rows_b(const GemmMicro& uk, const float* const* rows, int nrows, int kc, float* dst) {
  if (uk.pack_b_rows)
    uk.pack_b_rows(rows, nrows, kc, dst);
  else
    pack_rows_portable(rows, nrows, uk.nr, kc, dst);
}

void gemm_pack_a(const GemmMicro& uk, bool trans, const float* A, int64_t lda, int i0, int m, int k0, int kc,
                 float* dst, int64_t pstride) {
  const int MR = uk.mr;
  for (int i = 0; i < m; i += MR, dst += pstride) {
    const int mb = std::min(MR, m - i);
    if (trans) {
      const float* src = A + (int64_t)k0 * lda + i0 + i;
      for (int k = 0; k < kc; ++k, src += lda) {
        float* d = dst + (int64_t)k * MR;
        int r = 0;
        for (; r < mb; ++r) d[r] = src[r];
        for (; r < MR; ++r) d[r] = 0.f;
      }
    } else {
      const float* rows[kGemmMaxMR];
      for (int r = 0; r < mb; ++r) rows[r] = A + (int64_t)(i0 + i + r) * lda + k0;
      gemm_pack_rows_a(uk, rows, mb, kc, dst);
    }
  }
}

void gemm_pack_b(const GemmMicro& uk, bool trans, const float* B, int64_t ldb, int k0, int kc, int j0, int n,
                 float* dst, int64_t sstride) {
  const int NR = uk.nr;
  if (!trans) {  // the full slivers in one pass over B's rows, then the last, partial one
    const int full = n / NR, nb = n - full * NR;
    const float* src = B + (int64_t)k0 * ldb + j0;
    if (full) uk.copy_b(src, ldb, kc, full, dst, sstride);
    if (!nb) return;
    src += full * NR;
    dst += full * sstride;
    for (int k = 0; k < kc; ++k, src += ldb) {
      float* d = dst + (int64_t)k * NR;
      int c = 0;
      for (; c < nb; ++c) d[c] = src[c];
      for (; c < NR; ++c) d[c] = 0.f;
    }
    return;
  }
  for (int j = 0; j < n; j += NR, dst += sstride) {
    const int nb = std::min(NR, n - j);
    const float* cols[kGemmMaxNR];
    for (int c = 0; c < nb; ++c) cols[c] = B + (int64_t)(j0 + j + c) * ldb + k0;
    gemm_pack_rows_b(uk, cols, nb, kc, dst);
  }
}

// ---- macro kernel -----------------------------------------------------------------------------
namespace {
constexpr int64_t kBBlockBytes = 256 << 10;  // the block of B gemm_macro keeps in L2
// Columns of B per block (a multiple of NR) when a sliver holds `rows` K rows.
int b_block_cols(int64_t rows, int NR) {
  const int64_t sliver_bytes = std::max<int64_t>(rows, 1) * NR * (int64_t)sizeof(float);
  return (int)std::max<int64_t>(1, kBBlockBytes / sliver_bytes) * NR;
}
}  // namespace

void gemm_macro(const GemmMicro& uk, int m, int n, int kc, const float* Ap, int64_t aps, const float* Bp,
                int64_t bss, float* C, int64_t ldc, float alpha, bool accumulate, int act, float act_alpha,
                bool stream_a) {
  const int MR = uk.mr, NR = uk.nr;
  alignas(64) float tmp[kGemmMaxMR * kGemmMaxNR];
  const auto tile = [&](int i, int j) {
    const int mb = std::min(MR, m - i), nb = std::min(NR, n - j);
    const float* a = Ap + (int64_t)(i / MR) * aps;
    const float* b = Bp + (int64_t)(j / NR) * bss;
    float* c = C + (int64_t)i * ldc + j;
    if (mb == MR && nb == NR) {
      uk.fn(kc, a, b, c, ldc, alpha, accumulate ? 1 : 0, act, act_alpha);
      return;
    }
    if (uk.edge) {
      uk.edge(kc, a, b, c, ldc, alpha, accumulate ? 1 : 0, act, act_alpha, mb, nb);
      return;
    }
    uk.fn(kc, a, b, tmp, NR, alpha, 0, -1, 0.f);
    for (int r = 0; r < mb; ++r) {
      float* cr = c + (int64_t)r * ldc;
      const float* tr = tmp + r * NR;
      if (accumulate)
        for (int q = 0; q < nb; ++q) cr[q] = cr[q] + tr[q];
      else
        for (int q = 0; q < nb; ++q) cr[q] = tr[q];
      if (act >= 0) fused_act_inplace(cr, nb, act, act_alpha);
    }
  };
  // The A panel (kc x MR, the broadcast operand) stays in L1 while the B slivers of a block
  // stream past it from L2; the block (at most kBBlockBytes of B) is swept once per panel. With
  // the B sliver kept in L1 instead (32 KiB at kc = 256 of a 48 KiB L1) and the panels streaming,
  // the pointwise layers of 40x40 to 80x80 maps ran 1.1-1.3x slower. The order of the tiles
  // changes nothing in any tile's sums.
  // stream_a: the next panel's K-block, line by line, into L2, a share of its lines before each of
  // this panel's tiles (all of them in one burst before the first tile measured 2-5% slower on the
  // 10x10 Winograd products of 256 -> 512 and 512 -> 1024 channels in model forwards)
  const int64_t lines = ((int64_t)kc * MR * (int64_t)sizeof(float) + 63) / 64;
  const int bj = b_block_cols(kc, NR);
  for (int j0 = 0; j0 < n; j0 += bj) {
    const int j1 = std::min(n, j0 + bj);
    const int ntile = (j1 - j0 + NR - 1) / NR;
    for (int i = 0; i < m; i += MR) {
      const char* next = stream_a && i + MR < m ? reinterpret_cast<const char*>(Ap + (int64_t)(i / MR + 1) * aps) : nullptr;
      for (int j = j0, t = 0; j < j1; j += NR, ++t) {
        if (next)
          for (int64_t l = lines * t / ntile; l < lines * (t + 1) / ntile; ++l) __builtin_prefetch(next + l * 64, 0, 2);
        tile(i, j);
      }
    }
  }
}

bool gemm_direct(const GemmMicro& uk, int m, int n, int kc, bool ones, const float* Ap, int64_t aps, const float* B,
                 int64_t ldb, float* C, int64_t ldc, bool accumulate, int act, float act_alpha) {
  if (!uk.direct) return false;
  const int MR = uk.mr, NR = uk.nr;
  // gemm_macro's order: per block of columns (its B within kBBlockBytes), each A panel sweeps the
  // block's slivers.
  const int bj = b_block_cols(kc + 1, NR);
  for (int j0 = 0; j0 < n; j0 += bj) {
    const int j1 = std::min(n, j0 + bj);
    for (int i = 0; i < m; i += MR)
      for (int j = j0; j < j1; j += NR)
        uk.direct(kc, Ap + (int64_t)(i / MR) * aps, B + j, ldb, ones, C + (int64_t)i * ldc + j, ldc, accumulate ? 1 : 0,
                  act, act_alpha, std::min(MR, m - i), std::min(NR, n - j));
  }
  return true;
}

namespace {
// MC: rows of A kept in L2 per K-block (a multiple of MR).
int gemm_mc(const GemmMicro& uk) { return std::max(uk.mr, (192 / uk.mr) * uk.mr); }
constexpr int kGemmNC = 4096;  // columns of B per packed panel (kc x NC lives in L3)
}  // namespace

void gemm_packed(const GemmMicro& uk, int m, int n, int K, const float* Ap, int64_t aps, const float* Bp,
                 int64_t bss, float* C, int64_t ldc, float alpha, bool accumulate, int act, float act_alpha,
                 bool stream_a) {
  if (m <= 0 || n <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < m; ++i) {
      if (!accumulate) std::memset(C + (int64_t)i * ldc, 0, sizeof(float) * n);
      if (act >= 0) fused_act_inplace(C + (int64_t)i * ldc, n, act, act_alpha);
    }
    return;
  }
  const int MR = uk.mr, NR = uk.nr, MC = gemm_mc(uk);
  const int nkb = gemm_k_blocks(K);
  // The activation goes with the last K-block's tiles, short products included: since the macro
  // kernel keeps the A panel in L1, a separate pass over the finished block measured slower
  // (32 -> 64 pointwise at 160x160 and 304x304: 1.09-1.17x in the microkernel, AVX2 1.02-1.09x).
  for (int kb = 0; kb < nkb; ++kb) {
    const int k0 = gemm_k_begin(K, nkb, kb), kc = gemm_k_begin(K, nkb, kb + 1) - k0;
    for (int i0 = 0; i0 < m; i0 += MC)
      gemm_macro(uk, std::min(MC, m - i0), n, kc, Ap + (int64_t)(i0 / MR) * aps + (int64_t)k0 * MR, aps,
                 Bp + (int64_t)k0 * NR, bss, C + (int64_t)i0 * ldc, ldc, alpha, accumulate || kb > 0,
                 kb == nkb - 1 ? act : -1, act_alpha, stream_a);
  }
}

void sgemm_serial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int64_t lda,
                  const float* B, int64_t ldb, bool accumulate, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::memset(C + (int64_t)i * ldc, 0, sizeof(float) * N);
    return;
  }
  static thread_local AlignedBuf bufA, bufB;
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr, MC = gemm_mc(uk);
  const int nkb = gemm_k_blocks(K);
  const int kcmax = (K + nkb - 1) / nkb;  // the largest K-block (blocks differ by at most one)
  const int NC = std::min<int>(kGemmNC, (int)round_up(N, NR));
  float* Bp = bufB.get((size_t)kcmax * NC);
  float* Ap = bufA.get((size_t)kcmax * MC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int kb = 0; kb < nkb; ++kb) {
      const int k0 = gemm_k_begin(K, nkb, kb), kc = gemm_k_begin(K, nkb, kb + 1) - k0;
      gemm_pack_b(uk, transB, B, ldb, k0, kc, jc, nc, Bp, (int64_t)kc * NR);
      for (int i0 = 0; i0 < M; i0 += MC) {
        const int mc = std::min(MC, M - i0);
        gemm_pack_a(uk, transA, A, lda, i0, mc, k0, kc, Ap, (int64_t)kc * MR);
        gemm_macro(uk, mc, nc, kc, Ap, (int64_t)kc * MR, Bp, (int64_t)kc * NR, C + (int64_t)i0 * ldc + jc, ldc,
                   alpha, accumulate || kb > 0);
      }
    }
  }
  bufA.release_if_over((size_t)1 << 22);
  bufB.release_if_over((size_t)1 << 22);
}

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  bool accumulate = beta != 0.f;
  if (accumulate && beta != 1.f) {
    parallel_for(M, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (int j = 0; j < N; ++j) C[i * ldc + j] *= beta;
    }, 64);
  }
  const int threads = get_num_threads();
  const double work = (double)M * N * std::max(K, 1);
  if (threads <= 1 || K <= 0 || work < 262144.0) {
    sgemm_serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, accumulate, C, ldc);
    return;
  }
  // One packed B panel (all of K x NC columns, slivers of stride K*NR) shared by the threads,
  // then independent (MC rows x column range) tasks: each packs its own A block per K-block and
  // sweeps its columns, so there is one barrier per NC panel and no per-K-block barrier.
  static thread_local AlignedBuf bufB;
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr, MC = gemm_mc(uk);
  const int nkb = gemm_k_blocks(K);
  const int kcmax = (K + nkb - 1) / nkb;  // the largest K-block (blocks differ by at most one)
  const int64_t bss = (int64_t)K * NR;
  // NC: the whole N when the packed panel stays within ~16 MiB (L3), else a multiple of NR.
  const int NC = (int)std::min<int64_t>(round_up(N, NR), std::max<int64_t>(NR, ((int64_t)4 << 20) / K / NR * NR));
  float* Bp = bufB.get((size_t)bss * ((NC + NR - 1) / NR));
  // Row blocks of equal size (a multiple of MR, at most MC), so that tasks are balanced.
  const int n_ic = (M + MC - 1) / MC;
  const int mcb = (int)round_up((M + n_ic - 1) / n_ic, MR);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    const int nslivers = (nc + NR - 1) / NR;
    parallel_for(nslivers, [&](int64_t sb, int64_t se) {
      for (int64_t s = sb; s < se; ++s) {
        const int j = (int)s * NR;
        gemm_pack_b(uk, transB, B, ldb, 0, K, jc + j, std::min(NR, nc - j), Bp + s * bss, bss);
      }
    }, 4);
    // Enough tasks for dynamic balance (the threads claim them one at a time), each at least 8
    // slivers wide so that packing its A block stays cheap next to the product.
    const int n_jt = std::max(1, std::min(nslivers / 8, (8 * threads + n_ic - 1) / n_ic));
    const int64_t tasks = (int64_t)n_ic * n_jt;
    std::atomic<int64_t> next{0};
    parallel_for(threads, [&](int64_t, int64_t) {
      static thread_local AlignedBuf bufA;
      float* Ap = bufA.get((size_t)kcmax * mcb);
      for (;;) {
        const int64_t t = next.fetch_add(1);
        if (t >= tasks) break;
        const int ic = (int)(t / n_jt), jt = (int)(t % n_jt);
        const int i0 = ic * mcb, mc = std::min(mcb, M - i0);
        if (mc <= 0) continue;
        const int s0 = (int)((int64_t)nslivers * jt / n_jt), s1 = (int)((int64_t)nslivers * (jt + 1) / n_jt);
        if (s0 >= s1) continue;
        const int j0 = s0 * NR, j1 = std::min(nc, s1 * NR);
        for (int kb = 0; kb < nkb; ++kb) {
          const int k0 = gemm_k_begin(K, nkb, kb), kc = gemm_k_begin(K, nkb, kb + 1) - k0;
          gemm_pack_a(uk, transA, A, lda, i0, mc, k0, kc, Ap, (int64_t)kc * MR);
          gemm_macro(uk, mc, j1 - j0, kc, Ap, (int64_t)kc * MR, Bp + (int64_t)s0 * bss + (int64_t)k0 * NR, bss,
                     C + (int64_t)i0 * ldc + jc + j0, ldc, alpha, accumulate || kb > 0);
        }
      }
      bufA.release_if_over((size_t)1 << 22);
    }, 1);
  }
  bufB.release_if_over((size_t)1 << 24);
}

// p = {transA, transB, M, N, K, accumulate}: C (M x N) = alpha * op(A) op(B) (+ C).
void gemm(const float* a, const float* b, float* c, const int32_t* p, float alpha) {
  const bool ta = p[0] != 0, tb = p[1] != 0;
  const int M = p[2], N = p[3], K = p[4];
  const int lda = ta ? M : K, ldb = tb ? K : N;
  sgemm(ta, tb, M, N, K, alpha, a, std::max(lda, 1), b, std::max(ldb, 1), p[5] ? 1.f : 0.f, c, std::max(N, 1));
}

}  // namespace sp
