// Backward of training-mode batch norm (batch statistics) over [N, C, HW]; p = {N, C, HW}, M =
// N*HW per channel. With xhat = (x - mean) * invstd:
//   dbias[c] = sum dy,  dscale[c] = sum dy * xhat,
//   dx = scale * invstd * (dy - dbias / M - xhat * dscale / M)
// (the mean and variance depend on x: the two correction terms). All outputs overwritten, with
// the same float expressions as native/batch_norm_backward.cc. One block per channel: a pass for
// both sums (double, batch_norm_reduce.cuh), then a pass writing dx. batch_norm_act_backward.cu
// shares this kernel: dz = dy * act'(from y) is recomputed in each pass instead of stored.
#include "batch_norm_reduce.cuh"
#include "fused_act.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void __launch_bounds__(kChannelThreads)
    bn_backward_kernel(const float* x, const float* y, const float* dy, const float* scale, const float* saved_mean,
                       const float* saved_invstd, float* dx, float* dscale, float* dbias, int64_t N, int64_t C,
                       int64_t HW, int act, float alpha) {
  __shared__ double sh[kChannelThreads / 32];
  const int64_t c = blockIdx.x, M = N * HW;
  const float mean = saved_mean[c], invstd = saved_invstd[c];
  double sdy = 0, sdyx = 0;
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) {
    const int64_t i = channel_index(e, C, HW, c);
    const double g = (double)(y ? fused_act_grad(__ldg(y + i), __ldg(dy + i), act, alpha) : __ldg(dy + i));
    sdy += g;
    sdyx += g * ((double)__ldg(x + i) - (double)mean);
  }
  sdy = block_sum(sdy, sh);
  sdyx = block_sum(sdyx, sh);
  const double ds = sdyx * invstd;
  if (threadIdx.x == 0) {
    dbias[c] = (float)sdy;
    dscale[c] = (float)ds;
  }
  if (!M) return;
  const float k = scale[c] * invstd;
  const float mdy = (float)(sdy / (double)M), mds = (float)(ds / (double)M);
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) {
    const int64_t i = channel_index(e, C, HW, c);
    const float g = y ? fused_act_grad(__ldg(y + i), __ldg(dy + i), act, alpha) : __ldg(dy + i);
    dx[i] = k * (g - mdy - (__ldg(x + i) - mean) * invstd * mds);
  }
}

}  // namespace

void bn_backward_act(const float* x, const float* y, const float* dy, const float* scale, const float* saved_mean,
                     const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p, int act,
                     float alpha) {
  if (p[1] <= 0) return;
  SP_LAUNCH(bn_backward_kernel, dim3(p[1]), dim3(kChannelThreads), 0, stream(), x, y, dy, scale, saved_mean,
            saved_invstd, dx, dscale, dbias, (int64_t)p[0], (int64_t)p[1], (int64_t)p[2], act, alpha);
  check_launch(act == kNoAct ? "batch_norm_backward" : "batch_norm_act_backward");
}

void batch_norm_backward(const float* x, const float* dy, const float* scale, const float* saved_mean,
                         const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p) {
  bn_backward_act(x, nullptr, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p, kNoAct, 0.f);
}

}  // namespace cuda
}  // namespace sp
