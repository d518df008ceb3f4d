// What every file of the CUDA backend shares. The same source builds two ways:
//  - with nvcc (the real backend, in the addon when nvcc is found; CMakeLists.txt), and
//  - with the host C++ compiler and -DSP_CUDA_EMU, against emu/cuda_emu.h, for the tests that
//    run these kernels without a GPU (scripts/build-cuda-emu.js).
// So kernels are launched with SP_LAUNCH (never <<<>>> directly), take dynamic shared memory
// through SP_DYNAMIC_SHARED, and use only what emu/cuda_emu.h provides.
//
// Conventions of a kernel file native/cuda/<kernel>.cu (the launcher is what addon.cc calls):
//  - the launcher has the contract's name and buffer order, in namespace sp::cuda, as declared in
//    native/cuda/kernels_cuda.h: float buffers and index buffers are DEVICE pointers, `p` (the
//    int32 geometry) is a HOST pointer, floats follow; it enqueues on sp::cuda::stream() and
//    returns without synchronising;
//  - after each launch it calls check_launch("<kernel>"), which turns a launch error into a
//    sp::cuda::Error naming the kernel;
//  - temporary device memory comes from scratch() (one growing buffer, valid until the next
//    launcher call) - never cudaMalloc in a launcher;
//  - outputs the contract calls "accumulated" are added to, "overwritten" ones fully written.
#pragma once

#ifdef SP_CUDA_EMU
#include "emu/cuda_emu.h"
#define SP_LAUNCH(kernel, grid, block, smem, strm, ...) ::sp_emu::launch(kernel, grid, block, smem, strm, __VA_ARGS__)
#define SP_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::sp_emu::dynamic_shared())
#else
#include <cuda_runtime.h>
#define SP_LAUNCH(kernel, grid, block, smem, strm, ...) kernel<<<grid, block, smem, strm>>>(__VA_ARGS__)
#define SP_DYNAMIC_SHARED(T, name)                                 \
  extern __shared__ __align__(16) unsigned char sp_dynamic_smem[]; \
  T* name = reinterpret_cast<T*>(sp_dynamic_smem)
#endif

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace sp {
namespace cuda {

// A CUDA failure, named after the kernel (or runtime step) that hit it.
struct Error : std::exception {
  Error(std::string where, cudaError_t code, std::string msg) : where(std::move(where)), code(code), text(std::move(msg)) {}
  std::string where;
  cudaError_t code;
  std::string text;
  const char* what() const noexcept override { return text.c_str(); }
};

// Throws Error("<what>: <cuda error name>: <string>") unless e is cudaSuccess.
void check(cudaError_t e, const char* what);
// After a launch: a launch error (bad configuration, out of resources, an earlier asynchronous
// fault) becomes an Error naming `kernel`. With SLIMPRUNE_CUDA_SYNC=1 it also synchronises, so an
// asynchronous fault is attributed to the kernel that caused it.
void check_launch(const char* kernel);
// The stream every launcher enqueues on.
cudaStream_t stream();
// Device scratch of at least `bytes`, valid until the next launcher call (grows, never shrinks).
void* scratch(size_t bytes);
// A second such buffer, for a launcher that composes others (which use scratch()): the tensor it
// passes between them.
void* fused_scratch(size_t bytes);

// Blocks of `threads` for n elements in a grid-stride loop (capped: the loop covers the rest).
inline unsigned blocks_for(int64_t n, int threads, int64_t cap = 4096) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return (unsigned)(b < cap ? b : cap);
}

}  // namespace cuda
}  // namespace sp

// Grid-stride loop over [0, n) with a 64-bit index.
#define SP_GRID_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (int64_t)(n); i += (int64_t)blockDim.x * gridDim.x)
