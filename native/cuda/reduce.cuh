// Deterministic block reductions shared by the CUDA kernels that sum (reduce_sum, binary_backward,
// softmax): each thread's partial sum goes to shared memory and is combined in a fixed tree, so a
// result never depends on scheduling (no float atomics). Sums are in double, as on the CPU.
#pragma once
#include "common.cuh"

namespace sp {
namespace cuda {

// Threads per block of the reducing kernels (a power of two).
constexpr int kReduceThreads = 256;

// The sum of `v` over the block's kReduceThreads threads, returned to every thread. Every thread
// of the block must call it (it has barriers).
__device__ inline double block_sum(double v) {
  __shared__ double part[kReduceThreads];
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = kReduceThreads / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  const double total = part[0];
  __syncthreads();  // part is reused by the next call
  return total;
}

}  // namespace cuda
}  // namespace sp
