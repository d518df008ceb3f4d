// conv2d_backward_filter: dw[oc,c',kh,kw] = sum_{n,oh,ow} dy[n,oc,oh,ow] * x[n,c,ih,iw] and, when
// db is given, db[oc] = sum_{n,oh,ow} dy[n,oc,oh,ow] (fp32 NCHW).
//
// Per group: dW_g (OCg x Kg) = sum over (image, spatial tile) units of dy_tile (OCg x np) *
// col_tile^T (np x Kg); im2col writes col^T straight into the packed B layout. The units are cut
// into a fixed number of chunks (from the shape, never from the thread count); each (group,
// chunk) task accumulates its units in order into its own partial (chunk 0 into dw itself), and
// the partials are then added in chunk order, so 1 and N threads give identical bits.
// Depthwise layers: depthwise.cc.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const int32_t* p) {
  const ConvShape s(p);
  if (s.depthwise()) {
    depthwise_backward_filter(s, x, dy, dw, db);
    return;
  }
  const GemmMicro& uk = gemm_micro();
  const int MR = uk.mr, NR = uk.nr;
  const bool pw = s.pointwise();
  const Tiling tl = make_tiling(s.P, kGemmKC, 8);
  const int64_t units = (int64_t)s.N * tl.count;
  const int64_t wsize = (int64_t)s.OC * s.Kg;
  int64_t chunks = std::min<int64_t>(units, std::max(1, 16 / s.G));
  const int64_t cap = ((int64_t)64 << 20) / (4 * std::max<int64_t>(wsize, 1));  // <= 64 MiB of partials
  chunks = std::max<int64_t>(1, std::min(chunks, cap + 1));
  AlignedBuf partbuf;
  float* part = chunks > 1 ? partbuf.get((size_t)(chunks - 1) * wsize) : nullptr;

  parallel_for((int64_t)s.G * chunks, [&](int64_t tb, int64_t te) {
    static thread_local AlignedBuf abuf, bbuf;
    const int kpad = (int)round_up(s.Kg, NR);
    float* Ap = abuf.get((size_t)round_up(s.OCg, MR) * tl.len);
    float* Bp = bbuf.get((size_t)kpad * tl.len);
    for (int64_t t = tb; t < te; ++t) {
      const int g = (int)(t / chunks);
      const int64_t ch = t % chunks;
      const int64_t u0 = units * ch / chunks, u1 = units * (ch + 1) / chunks;
      float* out = (ch == 0 ? dw : part + (ch - 1) * wsize) + (int64_t)g * s.OCg * s.Kg;
      if (u0 >= u1) {
        std::memset(out, 0, sizeof(float) * (size_t)s.OCg * s.Kg);
        continue;
      }
      for (int64_t u = u0; u < u1; ++u) {
        const int n = (int)(u / tl.count), tile = (int)(u % tl.count);
        const int64_t p0 = tl.begin(tile, s.P);
        const int np = (int)(std::min<int64_t>(s.P, p0 + tl.len) - p0);
        const float* xg = x + ((int64_t)n * s.C + (int64_t)g * s.Cg) * s.HW;
        const float* dyg = dy + ((int64_t)n * s.OC + (int64_t)g * s.OCg) * s.P;
        const int64_t aps = (int64_t)np * MR, bss = (int64_t)np * NR;
        // A = dy tile (OCg x np); B = col^T (np x Kg) in NR-wide slivers over k.
        gemm_pack_a(uk, false, dyg, s.P, 0, s.OCg, (int)p0, np, Ap, aps);
        if (pw) {
          gemm_pack_b(uk, true, xg, s.HW, (int)p0, np, 0, s.Kg, Bp, bss);
        } else {
          const int sw = s.SW;
          for (int k = 0; k < kpad; ++k) {
            float* d = Bp + (int64_t)(k / NR) * bss + (k % NR);
            if (k >= s.Kg) {
              for (int j = 0; j < np; ++j) d[(int64_t)j * NR] = 0.f;
              continue;
            }
            const int c = k / s.KK, kh = (k % s.KK) / s.KW, kw = k % s.KW;
            im2col_walk(
                s, xg + (int64_t)c * s.HW, kh, kw, p0, np,
                [&](int j, const float* src, int len) {
                  float* o = d + (int64_t)j * NR;
                  if (sw == 1)
                    for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = src[q];
                  else
                    for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = src[(int64_t)q * sw];
                },
                [&](int j, int len) {
                  float* o = d + (int64_t)j * NR;
                  for (int q = 0; q < len; ++q) o[(int64_t)q * NR] = 0.f;
                });
          }
        }
        gemm_packed(uk, s.OCg, s.Kg, np, Ap, aps, Bp, bss, out, s.Kg, 1.f, u != u0);
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
  if (db) {
    parallel_for(s.OC, [&](int64_t b, int64_t e) {
      for (int64_t oc = b; oc < e; ++oc) {
        double sum = 0.0;
        for (int n = 0; n < s.N; ++n) {
          const float* d = dy + ((int64_t)n * s.OC + oc) * s.P;
          for (int64_t j = 0; j < s.P; ++j) sum += d[j];
        }
        db[oc] = (float)sum;
      }
    }, 4);
  }
}

}  // namespace sp
