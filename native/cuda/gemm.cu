// gemm: C = alpha * op(A) op(B) + (accumulate ? C : 0), row-major fp32; p = {transA, transB, M,
// N, K, accumulate}. A is M x K (K x M when transA), B is K x N (N x K when transB), C is M x N.
// Runs on the tiled core of conv2d_igemm.cuh; each operand is fetched along its contiguous axis
// (k for A, n for B unless transposed). Also home of the core's device queries (TF32 switch,
// multiprocessor count).
#include <cstdlib>
#include <cstring>

#include "conv2d_igemm.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

bool tf32_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SLIMPRUNE_CUDA_TF32");
    if (!v || std::strcmp(v, "1") != 0) return false;
    int dev = 0;
    cudaDeviceProp prop;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) return false;
    return prop.major >= 8;  // tensor-core TF32 needs sm_80
  }();
  return on;
}

int sm_count() {
  static const int n = [] {
    int dev = 0;
    cudaDeviceProp prop;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) return 1;
    return prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
  }();
  return n;
}

namespace {

template <bool TA, bool TB>
struct GemmProblem {
  static constexpr bool kAFastK = !TA;  // A row-major M x K: k is contiguous
  static constexpr bool kBFastK = TB;   // B row-major K x N: n is contiguous
  const float* A;
  const float* B;
  float* C;
  float alpha;
  bool accumulate;
  int M, N, K, kb, ke;

  __device__ void select(int) {
    kb = 0;
    ke = K;
  }
  __device__ int a_m(int m) const { return TA ? m : m * K; }
  __device__ int a_k(int k) const { return TA ? k * M : k; }
  __device__ float a(int am, int ak) const { return __ldg(A + am + ak); }
  __device__ int b_k(int k) const { return TB ? k : k * N; }
  __device__ int b_n(int n) const { return TB ? n * K : n; }
  __device__ float b(int bk, int bn) const { return __ldg(B + bk + bn); }
  __device__ void store(int m, int n, float v) const {
    float* c = C + (int64_t)m * N + n;
    *c = accumulate ? fmaf(alpha, v, *c) : alpha * v;
  }
};

template <bool TA, bool TB>
void run(const float* a, const float* b, float* c, int M, int N, int K, float alpha, bool acc) {
  GemmProblem<TA, TB> pr{a, b, c, alpha, acc, M, N, K, 0, K};
  igemm::launch(pr, M, N, 1, "gemm");
}

}  // namespace

void gemm(const float* a, const float* b, float* c, const int32_t* p, float alpha) {
  const bool ta = p[0] != 0, tb = p[1] != 0, acc = p[5] != 0;
  const int M = p[2], N = p[3], K = p[4];
  if (M <= 0 || N <= 0) return;
  // Every offset a_m + a_k (b_k + b_n) is below M*K (K*N) elements, at most 2^31 - 1: int is enough.
  if (ta && tb)
    run<true, true>(a, b, c, M, N, K, alpha, acc);
  else if (ta)
    run<true, false>(a, b, c, M, N, K, alpha, acc);
  else if (tb)
    run<false, true>(a, b, c, M, N, K, alpha, acc);
  else
    run<false, false>(a, b, c, M, N, K, alpha, acc);
}

}  // namespace cuda
}  // namespace sp
