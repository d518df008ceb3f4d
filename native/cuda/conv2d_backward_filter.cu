// conv2d_backward_filter: dw[oc, c', kh, kw] = sum_{n, oh, ow} dy[n, oc, oh, ow] * x[n, c, oh*SH - PT
// + kh*DH, ow*SW - PL + kw*DW] (c = g*Cg + c'), and db[oc] = sum_{n, oh, ow} dy[n, oc, oh, ow] when
// db is given; dw and db overwritten; p = conv geometry (kernels.h).
//
// Implicit GEMM per group g: dw_g (OCg x Kg) = dy_g (OCg x N*OH*OW) * col^T (N*OH*OW x Kg). The
// reduction axis j = (n*OH + oh)*OW + ow is long (a whole batch of output pixels) while the
// output is small, so K is split into S chunks (blockIdx.z = g*S + s) that fill the device; each
// chunk writes its own partial dw into scratch and a second kernel adds the S partials in order
// (deterministic: no atomics). Both operands are fetched along j (consecutive threads read
// consecutive pixels of dy and x); a thread decodes its j once per step and keeps its taps.
// Specialised: 1x1 stride 1 unpadded (col is x itself) and depthwise
// (depthwise_backward_filter.cu). db: one block per output channel, warp-shuffle reduction.
#include "conv2d_igemm.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

template <bool PW>
struct FilterProblem {
  static constexpr bool kAFastK = true;
  static constexpr bool kBFastK = true;
  const float* x;
  const float* dy;
  float* out;  // dw, or the partials [G][S][OCg][Kg]
  const int4* taps;
  ConvGeo g;
  int M, N, K, kb, ke, grp, split, S, chunk;
  bool partial;

  __device__ void select(int z) {
    grp = z / S;
    split = z - grp * S;
    kb = split * chunk;
    ke = kb + chunk < K ? kb + chunk : K;
  }
  __device__ int a_m(int m) const { return (grp * g.OCg + m) * g.P; }
  __device__ int a_k(int j) const {
    const int n = j / g.P;
    return n * g.OC * g.P + (j - n * g.P);
  }
  __device__ float a(int am, int ak) const { return __ldg(dy + am + ak); }
  __device__ ConvPixel b_k(int j) const { return conv_pixel<PW>(g, grp, j); }
  __device__ int4 b_n(int k) const { return conv_tap<PW>(g, taps, k); }
  __device__ float b(const ConvPixel& px, const int4& t) const { return conv_x<PW>(g, x, t, px); }
  __device__ void store(int m, int k, float v) const {
    if (partial)
      out[(((int64_t)grp * S + split) * g.OCg + m) * g.Kg + k] = v;
    else
      out[(int64_t)(grp * g.OCg + m) * g.Kg + k] = v;
  }
};

// dw[g][m][k] = sum_s part[g][s][m][k], s in order.
__global__ void sum_splits_kernel(const float* part, float* dw, int G, int S, int64_t per) {
  SP_GRID_LOOP(i, (int64_t)G * per) {
    const int64_t grp = i / per, e = i - grp * per;
    const float* src = part + grp * S * per + e;
    float s = 0.f;
    for (int k = 0; k < S; ++k) s += src[k * per];
    dw[i] = s;
  }
}

// db[oc] = sum over n and q of dy[n, oc, q]: one block per channel.
__global__ void bias_grad_kernel(const float* dy, float* db, int N, int OC, int P) {
  __shared__ double warp_sums[32];
  const int oc = blockIdx.x;
  double s = 0;
  for (int n = 0; n < N; ++n) {
    const float* row = dy + ((int64_t)n * OC + oc) * P;
    float part = 0.f;
    for (int q = threadIdx.x; q < P; q += blockDim.x) part += __ldg(row + q);
    s += part;
  }
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = s;
  __syncthreads();
  if (threadIdx.x < 32) {
    double t = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.0;
    for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
    if (threadIdx.x == 0) db[oc] = (float)t;
  }
}

template <bool PW>
void run(const ConvGeo& g, const float* x, const float* dy, float* dw, const int4* taps, float* part, int S,
         int chunk) {
  const int K = g.N * g.P;
  FilterProblem<PW> pr{x, dy, part ? part : dw, taps, g, g.OCg, g.Kg, K, 0, K, 0, 0, S, chunk, part != nullptr};
  igemm::launch(pr, g.OCg, g.Kg, g.G * S, "conv2d_backward_filter");
  if (part) {
    const int64_t per = (int64_t)g.OCg * g.Kg;
    SP_LAUNCH(sum_splits_kernel, dim3(blocks_for(g.G * per, 256)), dim3(256), 0, stream(), part, dw, g.G, S, per);
    check_launch("conv2d_backward_filter");
  }
}

}  // namespace

void conv_bias_grad(const ConvGeo& g, const float* dy, float* db) {
  SP_LAUNCH(bias_grad_kernel, dim3(g.OC), dim3(256), 0, stream(), dy, db, g.N, g.OC, g.P);
  check_launch("conv2d_backward_filter (bias)");
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const int32_t* p) {
  const ConvGeo g = conv_geo(p);
  if (g.OC == 0) return;
  if (db) conv_bias_grad(g, dy, db);
  if ((int64_t)g.OCg * g.Kg == 0) return;
  if (conv_depthwise(g)) return depthwise_backward_filter(g, x, dy, dw, nullptr);
  // Splits of K: enough blocks for about two waves, each split at least 512 long.
  const int K = g.N * g.P;
  const int64_t tiles = ((g.OCg + 63) / 64) * (int64_t)((g.Kg + 63) / 64) * g.G;
  const int64_t want = (2 * (int64_t)sm_count() + tiles - 1) / tiles;
  const int64_t most = (K + 511) / 512;
  int S = (int)(want < most ? want : most);
  if (S < 1) S = 1;
  int chunk = (K + S - 1) / S;
  chunk = (chunk + 15) / 16 * 16;  // a multiple of every BK
  S = K ? (K + chunk - 1) / chunk : 1;
  if (S < 1) S = 1;
  if ((int64_t)g.G * S > 65535) {  // gridDim.z limit: fewer, longer splits
    S = 65535 / g.G > 1 ? 65535 / g.G : 1;
    chunk = ((K + S - 1) / S + 15) / 16 * 16;
    S = K ? (K + chunk - 1) / chunk : 1;
  }
  const bool pw = conv_pointwise(g);
  const size_t tap_bytes = pw ? 0 : ((size_t)g.Kg * sizeof(int4) + 255) / 256 * 256;
  const size_t part_bytes = S > 1 ? (size_t)g.G * S * g.OCg * g.Kg * sizeof(float) : 0;
  char* mem = static_cast<char*>(scratch(tap_bytes + part_bytes + 16));
  int4* taps = pw ? nullptr : reinterpret_cast<int4*>(mem);
  float* part = S > 1 ? reinterpret_cast<float*>(mem + tap_bytes) : nullptr;
  if (!pw) build_taps(taps, g.Kg, g.KH, g.KW, g.DH, g.DW, g.HW, 0);
  if (pw)
    run<true>(g, x, dy, dw, taps, part, S, chunk);
  else
    run<false>(g, x, dy, dw, taps, part, S, chunk);
}

}  // namespace cuda
}  // namespace sp
