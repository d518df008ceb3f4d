// Per-channel reductions of the batch norm and affine channel kernels (private to
// native/cuda/{batch_norm_*,affine_channel_*}.cu): one block of kChannelThreads threads per
// channel, double partial sums per thread, then warp shuffles and one shared-memory step. The
// order of additions depends only on the shape (never on scheduling), like the CPU kernels'.
#pragma once
#include "common.cuh"

namespace sp {
namespace cuda {

constexpr int kChannelThreads = 512;

// The sum of v over the block, returned to every thread. `sh` holds kChannelThreads/32 values.
__device__ __forceinline__ double block_sum(double v, double* sh) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  double t = lane < kChannelThreads / 32 ? sh[lane] : 0.0;
  for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
  __syncthreads();  // sh may be reused right after
  return t;
}

// Element e in [0, N*HW) of channel c in an [N, C, HW] tensor.
__device__ __forceinline__ int64_t channel_index(int64_t e, int64_t C, int64_t HW, int64_t c) {
  const int64_t n = e / HW;
  return (n * C + c) * HW + (e - n * HW);
}

}  // namespace cuda
}  // namespace sp
