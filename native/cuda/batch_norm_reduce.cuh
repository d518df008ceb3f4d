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

// batch_norm_train_forward followed by activation `act` (fused_act.cuh; kNoAct: none) applied to
// y: batch_norm_train_forward and batch_norm_act_train_forward.
void bn_train_forward_act(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                          float* saved_invstd, float* running_mean, float* running_var, const int32_t* p, float eps,
                          float momentum, int act, float alpha);
// batch_norm_backward of dz = dy * act'(from y) (y may be null when act is kNoAct):
// batch_norm_backward and batch_norm_act_backward.
void bn_backward_act(const float* x, const float* y, const float* dy, const float* scale, const float* saved_mean,
                     const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p, int act,
                     float alpha);

}  // namespace cuda
}  // namespace sp
