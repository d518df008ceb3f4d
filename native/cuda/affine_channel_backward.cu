// Backward of y = x * scale[c] + bias[c] over [N, C, HW]; p = {N, C, HW}:
//   dx = dy * scale[c];  dscale[c] = sum_{n,i} dy * x;  dbias[c] = sum_{n,i} dy.
// Each output optional (null: not computed), overwritten. One block per channel: dx is written in
// the same pass that makes the two sums (double, batch_norm_reduce.cuh).
#include "batch_norm_reduce.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void __launch_bounds__(kChannelThreads)
    affine_channel_backward_kernel(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                                   float* dbias, int64_t N, int64_t C, int64_t HW) {
  __shared__ double sh[kChannelThreads / 32];
  const int64_t c = blockIdx.x, M = N * HW;
  const float s = scale[c];
  double sdy = 0, sdyx = 0;
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) {
    const int64_t i = channel_index(e, C, HW, c);
    const float g = __ldg(dy + i);
    if (dx) dx[i] = g * s;
    if (dscale) sdyx += (double)g * (double)__ldg(x + i);
    sdy += g;
  }
  // Block-uniform conditions: every thread takes the same branches to the barriers.
  if (dscale) {
    sdyx = block_sum(sdyx, sh);
    if (threadIdx.x == 0) dscale[c] = (float)sdyx;
  }
  if (dbias) {
    sdy = block_sum(sdy, sh);
    if (threadIdx.x == 0) dbias[c] = (float)sdy;
  }
}

}  // namespace

void affine_channel_backward(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                             float* dbias, const int32_t* p) {
  if (p[1] <= 0 || (!dx && !dscale && !dbias)) return;
  SP_LAUNCH(affine_channel_backward_kernel, dim3(p[1]), dim3(kChannelThreads), 0, stream(), x, dy, scale, dx, dscale,
            dbias, (int64_t)p[0], (int64_t)p[1], (int64_t)p[2]);
  check_launch("affine_channel_backward");
}

}  // namespace cuda
}  // namespace sp
