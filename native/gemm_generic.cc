// Portable GEMM microkernel: a 6 x 8 register tile written with GCC/Clang vector extensions
// (4-wide), no ISA intrinsics. Baseline x86-64 builds get SSE2 from it, and emscripten with
// -msimd128 gets WASM SIMD. 12 accumulators + 2 B vectors + 1 broadcast fit 16 vector registers.
// Tile: C[r][0..8) += a[k*6 + r] * b[k*8 + 0..8) over k; then C = alpha*acc (+ C).
#include <cstring>

#include "gemm_internal.h"
#include "kernels.h"

namespace sp {
namespace {

typedef float v4f __attribute__((vector_size(16)));
typedef float v4fu __attribute__((vector_size(16), aligned(4)));  // unaligned access

constexpr int MR = 6, NR = 8;

inline v4f splat(float x) { return v4f{x, x, x, x}; }

// v after the fused activation `act` (fused_act.h's forms: NaN passes, -0 stays), lane-wise
// selects written with vector compares.
typedef int v4i __attribute__((vector_size(16)));
inline v4f act4(v4f v, int act, float act_alpha) {
  const v4f z = splat(0.f);
  const v4i neg = v < z;
  switch (act) {
    case ACT_RELU:
      return (v4f)(~neg & (v4i)v);
    case ACT_LEAKY_RELU:
      return (v4f)((neg & (v4i)(splat(act_alpha) * v)) | (~neg & (v4i)v));
    case ACT_RELU6: {
      const v4f six = splat(6.f), t = (v4f)(~neg & (v4i)v);
      const v4i big = t > six;
      return (v4f)((big & (v4i)six) | (~big & (v4i)t));
    }
    default:
      return v;
  }
}

void micro_6x8(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate, int act,
               float act_alpha) {
  v4f acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = splat(0.f);
  for (int64_t k = 0; k < kc; ++k) {
    const v4f b0 = *(const v4fu*)(b), b1 = *(const v4fu*)(b + 4);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const v4f ar = splat(a[r]);
      acc[r][0] += ar * b0;
      acc[r][1] += ar * b1;
    }
    a += MR;
    b += NR;
  }
  const v4f va = splat(alpha);
  for (int r = 0; r < MR; ++r) {
    v4fu* cr = (v4fu*)(c + r * ldc);
    v4f t0 = acc[r][0] * va, t1 = acc[r][1] * va;
    if (accumulate) {
      t0 = cr[0] + t0;
      t1 = cr[1] + t1;
    }
    if (act >= 0) {
      t0 = act4(t0, act, act_alpha);
      t1 = act4(t1, act, act_alpha);
    }
    cr[0] = t0;
    cr[1] = t1;
  }
}

// A constant-size copy per row: inline vector moves (a runtime size would be a library call).
void copy_b(const float* src, int64_t ldb, int kc, int ns, float* dst, int64_t sstride) {
  for (int k = 0; k < kc; ++k, src += ldb, dst += NR)
    for (int j = 0; j < ns; ++j) std::memcpy(dst + j * sstride, src + j * NR, sizeof(float) * NR);
}

}  // namespace

const GemmMicro& gemm_micro_generic() {
  static const GemmMicro k{MR, NR, micro_6x8, "generic", nullptr, nullptr, nullptr, nullptr, copy_b};
  return k;
}

}  // namespace sp
