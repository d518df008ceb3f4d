// Training-mode batch norm over x = [N, C, HW]; p = {N, C, HW}. Per channel c, over its M = N*HW
// values: mean = sum x / M, var = sum (x - mean)^2 / M (biased; two passes for accuracy, double
// sums), invstd = 1/sqrt(var + eps), y = (x - mean) * invstd * scale + bias. Running statistics
// follow Paddle as native/batch_norm_train_forward.cc does: running = running * momentum + batch *
// (1 - momentum), running_var taking the biased variance, updated only when M > 0.
// One block per channel (batch_norm_reduce.cuh). y subtracts the mean as a float pair (hi + lo),
// so a channel whose spread is tiny next to its mean keeps its digits, as the CPU's double does.
// batch_norm_act_train_forward.cu shares this kernel: the activation is applied to y as it is written.
#include "batch_norm_reduce.cuh"
#include "fused_act.cuh"
#include "kernels_cuda.h"

namespace sp {
namespace cuda {

namespace {

__global__ void __launch_bounds__(kChannelThreads)
    bn_train_forward_kernel(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                            float* saved_invstd, float* running_mean, float* running_var, int64_t N, int64_t C,
                            int64_t HW, float eps, float momentum, int act, float alpha) {
  __shared__ double sh[kChannelThreads / 32];
  const int64_t c = blockIdx.x, M = N * HW;
  double s = 0;
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) s += (double)__ldg(x + channel_index(e, C, HW, c));
  const double mean = M ? block_sum(s, sh) / (double)M : 0.0;
  double ss = 0;
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) {
    const double d = (double)__ldg(x + channel_index(e, C, HW, c)) - mean;
    ss += d * d;
  }
  const double var = M ? block_sum(ss, sh) / (double)M : 0.0;
  const double invstd = 1.0 / sqrt(var + (double)eps);
  const float meanf = (float)mean;
  if (threadIdx.x == 0) {
    saved_mean[c] = meanf;
    saved_invstd[c] = (float)invstd;
    if (M) {
      running_mean[c] = running_mean[c] * momentum + meanf * (1.0f - momentum);
      running_var[c] = running_var[c] * momentum + (float)var * (1.0f - momentum);
    }
  }
  const float mlo = (float)(mean - (double)meanf);
  const float a = (float)(invstd * (double)scale[c]), b = bias[c];
  for (int64_t e = threadIdx.x; e < M; e += kChannelThreads) {
    const int64_t i = channel_index(e, C, HW, c);
    y[i] = fused_act(fmaf((__ldg(x + i) - meanf) - mlo, a, b), act, alpha);
  }
}

}  // namespace

void bn_train_forward_act(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                          float* saved_invstd, float* running_mean, float* running_var, const int32_t* p, float eps,
                          float momentum, int act, float alpha) {
  if (p[1] <= 0) return;
  SP_LAUNCH(bn_train_forward_kernel, dim3(p[1]), dim3(kChannelThreads), 0, stream(), x, scale, bias, y, saved_mean,
            saved_invstd, running_mean, running_var, (int64_t)p[0], (int64_t)p[1], (int64_t)p[2], eps, momentum, act,
            alpha);
  check_launch(act == kNoAct ? "batch_norm_train_forward" : "batch_norm_act_train_forward");
}

void batch_norm_train_forward(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                              float* saved_invstd, float* running_mean, float* running_var, const int32_t* p,
                              float eps, float momentum) {
  bn_train_forward_act(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum,
                       kNoAct, 0.f);
}

}  // namespace cuda
}  // namespace sp
