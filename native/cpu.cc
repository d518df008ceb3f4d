// CPU feature detection with cpuid/xgetbv (GCC/Clang builtins), checked once.
#include "cpu.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace sp {
namespace {

struct Features {
  bool avx2 = false, avx512 = false;
};

#if defined(__x86_64__) || defined(__i386__)
unsigned long long xgetbv0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}
#endif

Features detect() {
  Features f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!osxsave || !avx) return f;
  unsigned long long xcr0 = xgetbv0();
  bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  bool avx2 = b & (1u << 5);
  bool f512 = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  f.avx2 = ymm && avx2 && fma;
  f.avx512 = f.avx2 && zmm && f512 && dq && bw && vl;
#endif
#ifdef __EMSCRIPTEN__
  return f;  // wasm: no x86 paths, and no environment to read in a standalone module
#endif
  const char* cap = std::getenv("SLIMPRUNE_ISA");
  if (cap && std::strcmp(cap, "generic") == 0) f.avx2 = f.avx512 = false;
  if (cap && std::strcmp(cap, "avx2") == 0) f.avx512 = false;
  return f;
}

const Features& features() {
  static const Features f = detect();
  return f;
}

}  // namespace

bool cpu_has_avx2_fma() { return features().avx2; }
bool cpu_has_avx512() { return features().avx512; }
const char* cpu_isa_name() {
#ifdef __EMSCRIPTEN__
  return "wasm-simd128";
#else
  return features().avx512 ? "avx512" : features().avx2 ? "avx2" : "generic";
#endif
}

}  // namespace sp
