// Times OpenBLAS's cblas_sgemm on square row-major problems, as a peer for slimprune's gemm
// benchmark: C = A B with A, B, C n x n fp32, alpha 1, beta 0.
//
// usage: openblas_gemm THREADS MIN_MS MIN_ITERS N [N ...]
// Output: one JSON object per size on stdout: {"case","op","impl","threads","ms","samples"},
// ms the median over the timed calls (one untimed warm-up call first).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s THREADS MIN_MS MIN_ITERS N [N ...]\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const double min_ms = std::atof(argv[2]);
  const int min_iters = std::atoi(argv[3]);
  if (threads > 0) openblas_set_num_threads(threads);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int a = 4; a < argc; ++a) {
    const int n = std::atoi(argv[a]);
    std::vector<float> A((size_t)n * n), B((size_t)n * n), C((size_t)n * n);
    for (auto& x : A) x = u(rng);
    for (auto& x : B) x = u(rng);
    auto call = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, C.data(), n);
    };
    call();  // warm-up: thread start, page faults of C
    std::vector<double> t;
    double total = 0;
    while (total < min_ms || (int)t.size() < min_iters) {
      auto s = std::chrono::steady_clock::now();
      call();
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
      t.push_back(ms);
      total += ms;
    }
    std::sort(t.begin(), t.end());
    size_t k = t.size();
    double med = k % 2 ? t[k / 2] : 0.5 * (t[k / 2 - 1] + t[k / 2]);
    std::printf("{\"case\":\"%d\",\"op\":\"gemm\",\"impl\":\"openblas\",\"threads\":%d,\"ms\":%.6f,\"samples\":%zu}\n", n,
                threads > 0 ? threads : openblas_get_num_threads(), med, k);
    std::fflush(stdout);
  }
  return 0;
}
