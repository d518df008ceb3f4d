// A host emulator for the part of CUDA that native/cuda/ uses, so that the CUDA kernels compile
// with the host C++ compiler (-DSP_CUDA_EMU) and run, one block after another, on machines
// without a GPU. It exists for testing: the parity and gradient suites run the real kernel source
// through it (build-cudaemu/, scripts/build-cuda-emu.js), which checks indexing, tiling, shared
// memory use and barrier placement; it says nothing about speed.
//
// Execution model: a launch runs its blocks in order on the calling thread. The threads of a
// block are fibers (ucontext) switched only at barriers (__syncthreads, __syncwarp, warp
// shuffles), so a thread runs until it waits. A barrier is released when every live thread of
// its scope (the block, or the warp) waits at it; a barrier that can never be released (threads
// of one block waiting at different barriers) fails the launch with cudaErrorLaunchFailure
// instead of hanging. `__shared__` variables are function statics: one block runs at a time.
// Warp shuffles must be reached by every live lane of the warp (as with a full mask).
// Device memory is host memory; streams are accepted and run synchronously.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __shared__ static
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))  // GCC takes it after `static`, where alignas is refused

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) int4 {
  int x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;
constexpr int warpSize = 32;

// ---- runtime API subset ----
typedef int cudaError_t;
enum : int {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
struct CUstream_st;
typedef CUstream_st* cudaStream_t;
constexpr unsigned cudaStreamNonBlocking = 1;
struct cudaDeviceProp {
  char name[256];
  int major, minor;
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  size_t sharedMemPerBlockOptin;
  int multiProcessorCount;
  int maxThreadsPerBlock;
  int warpSize;
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };

cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s = nullptr);
cudaError_t cudaMemset(void* p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t s = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t e);
const char* cudaGetErrorName(cudaError_t e);
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDevice(int* d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int d);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaDriverGetVersion(int* v);
cudaError_t cudaRuntimeGetVersion(int* v);
template <class F>
cudaError_t cudaFuncSetAttribute(F*, cudaFuncAttribute, int) {
  return cudaSuccess;
}

// ---- device-side functions ----
void __syncthreads();
void __syncwarp(unsigned mask = 0xffffffffu);
inline void __threadfence() {}
inline void __threadfence_block() {}

namespace sp_emu {
// Exchanges 8 bytes with lane `src_lane` of the same warp (src_lane < 0: keep own value).
uint64_t warp_exchange(uint64_t mine, int src_lane);
unsigned lane_id();
unsigned warp_live_mask();
void* dynamic_shared();
void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()>& body);

template <class T>
T shuffle_from(T v, int src) {
  static_assert(sizeof(T) <= 8, "shuffle of a type over 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  uint64_t got = warp_exchange(bits, src);
  T out;
  std::memcpy(&out, &got, sizeof(T));
  return out;
}

// The emulator's launch: what `kernel<<<grid, block, smem, stream>>>(args...)` does on a GPU.
template <class K, class... A>
void launch(K* kernel, dim3 grid, dim3 block, size_t smem, cudaStream_t, const A&... args) {
  run_grid(grid, block, smem, [&] { kernel(args...); });
}
}  // namespace sp_emu

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
  int lane = (int)sp_emu::lane_id();
  int base = lane - lane % width;
  return sp_emu::shuffle_from(v, base + ((src % width) + width) % width);
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  int lane = (int)sp_emu::lane_id();
  int src = lane + (int)delta;
  return sp_emu::shuffle_from(v, src / width == lane / width ? src : -1);
}
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  int lane = (int)sp_emu::lane_id();
  int src = lane - (int)delta;
  return sp_emu::shuffle_from(v, src >= 0 && src / width == lane / width ? src : -1);
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  int lane = (int)sp_emu::lane_id();
  int src = lane ^ mask;
  return sp_emu::shuffle_from(v, src / width == lane / width ? src : -1);
}
unsigned __ballot_sync(unsigned mask, int pred);
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == (sp_emu::warp_live_mask() & mask); }
inline unsigned __activemask() { return sp_emu::warp_live_mask(); }

// Atomics: one fiber runs at a time, so a plain read-modify-write is atomic here.
template <class T>
T atomicAdd(T* a, T v) {
  T old = *a;
  *a = old + v;
  return old;
}
template <class T>
T atomicMax(T* a, T v) {
  T old = *a;
  *a = old < v ? v : old;
  return old;
}
template <class T>
T atomicMin(T* a, T v) {
  T old = *a;
  *a = v < old ? v : old;
  return old;
}
template <class T>
T atomicCAS(T* a, T cmp, T v) {
  T old = *a;
  if (old == cmp) *a = v;
  return old;
}
template <class T>
T atomicExch(T* a, T v) {
  T old = *a;
  *a = v;
  return old;
}

template <class T>
inline T __ldg(const T* p) {
  return *p;
}
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __powf(float x, float y) { return std::pow(x, y); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __fsqrt_rn(float x) { return std::sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline int __float2int_rd(float x) { return (int)std::floor(x); }
inline int __float2int_rn(float x) { return (int)std::nearbyint(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline unsigned __float_as_uint(float x) {
  unsigned u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float __uint_as_float(unsigned u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
inline int __float_as_int(float x) { return (int)__float_as_uint(x); }
inline float __int_as_float(int i) { return __uint_as_float((unsigned)i); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
// CUDA device code has min/max overloads for the arithmetic types.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
using std::fmaxf;
using std::fminf;
