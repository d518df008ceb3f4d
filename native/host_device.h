// SP_HD marks a small inline function that both the CPU kernels and the CUDA kernels call, so one
// definition serves both: `__host__ __device__` when nvcc compiles it, nothing for the host
// compiler (the CPU build, emscripten, and the CUDA emulator, where every function is host code).
#pragma once

#if defined(__CUDACC__)
#define SP_HD __host__ __device__
#else
#define SP_HD
#endif
