// Run-time CPU feature detection for ISA dispatch (one binary for any x86-64).
// SLIMPRUNE_ISA=generic|avx2|avx512 caps the ISA used (for testing every path on one machine).
#pragma once
namespace sp {
bool cpu_has_avx2_fma();
bool cpu_has_avx512();  // AVX-512 F+DQ+BW+VL with OS support for the zmm state
const char* cpu_isa_name();  // the ISA the kernels dispatch to: "avx512", "avx2" or "generic" ("wasm-simd128" under emscripten)
// The one of three copies of a function for the ISA the kernels dispatch to.
template <class Fn>
inline Fn isa_pick(Fn generic, Fn avx2, Fn avx512) {
  return cpu_has_avx512() ? avx512 : cpu_has_avx2_fma() ? avx2 : generic;
}
}  // namespace sp
