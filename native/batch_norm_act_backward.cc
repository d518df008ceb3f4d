// batch_norm_act_backward: the backward of y = act(batch_norm_train(x)) over [N, C, HW], p = {N,
// C, HW, act} (fused_act.h; ACT_NONE: no activation, which is batch_norm_backward, and y may be
// null), float alpha. From x (the batch norm's input), y (the activation's output) and dy (dL/dy):
// dz = dy * act'(from y), then with xhat = (x - mean) * invstd and M = N*HW:
//   dbias = sum dz, dscale = sum dz * xhat, dx = scale * invstd / M * (M * dz - dbias - xhat * dscale)
// (the mean and variance depend on x, hence the two correction terms). All outputs overwritten.
// dz is written into dx row by row, in the same pass that sums dz and dz * (x - mean), and
// rewritten into dx in place while the rows of one channel are still in cache, so the
// activation's gradient tensor is never a buffer of its own (with ACT_NONE dz is read from dy
// directly); the sums (sum_util.h's lanes and order) and the dx expression are the same with and
// without an activation, so the result is bit for bit that of activation_backward followed by
// batch_norm_backward.
// Channels are split across threads; each channel's sums are made by one thread in a fixed order
// (double accumulators, sum_util.h), so results do not depend on the thread count.
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fused_act.h"
#include "kernels.h"
#include "sum_util.h"
#include "threadpool.h"

namespace sp {

namespace {

template <int KIND>
inline float act_grad(float y, float dy, float alpha) {
  if constexpr (KIND == ACT_RELU) return y > 0.f ? dy : 0.f;
  if constexpr (KIND == ACT_LEAKY_RELU) return y > 0.f ? dy : alpha * dy;
  if constexpr (KIND == ACT_RELU6) return (y > 0.f && y < 6.f) ? dy : 0.f;
  return dy;
}

#if defined(__SSE2__)
// The activation's gradient of 4 lanes as a mask select (the scalar act_grad's values exactly:
// a dropped lane is +0, NaN compares false).
template <int KIND>
inline __m128 act_grad4(__m128 y, __m128 dy, __m128 alpha) {
  const __m128 zero = _mm_setzero_ps();
  if constexpr (KIND == ACT_RELU) return _mm_and_ps(_mm_cmpgt_ps(y, zero), dy);
  if constexpr (KIND == ACT_LEAKY_RELU) {
    const __m128 m = _mm_cmpgt_ps(y, zero);
    return _mm_or_ps(_mm_and_ps(m, dy), _mm_andnot_ps(m, _mm_mul_ps(alpha, dy)));
  }
  if constexpr (KIND == ACT_RELU6)
    return _mm_and_ps(_mm_and_ps(_mm_cmpgt_ps(y, zero), _mm_cmplt_ps(y, _mm_set1_ps(6.f))), dy);
  return dy;
}
#endif

// One image's row of a channel, in one pass: dz = dy * act'(y) stored to dz_out (nothing stored
// with ACT_NONE: dz is dy), and sdz += sum dz, sdzx += sum dz * (x - mean), each over kSumLanes
// double lanes with sum_f32 / dot_dev_f32's lane assignment and final order (element i in lane
// i % 8 of its block; a separate multiply and add, never fused), so SSE2 and scalar agree bit for
// bit. The select is branch-free: a branch per element mispredicts on real gradients.
template <int KIND>
void row_grad_sums(const float* x, const float* y, const float* dy, float* dz_out, int64_t n, double mean,
                   float alpha, double& sdz, double& sdzx) {
  double a[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0}, b[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
#if defined(__SSE2__)
  {
    const __m128 va = _mm_set1_ps(alpha);
    const __m128d vm = _mm_set1_pd(mean);
    __m128d a0 = _mm_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (; i + kSumLanes <= n; i += kSumLanes) {
      __m128 g0 = _mm_loadu_ps(dy + i), g1 = _mm_loadu_ps(dy + i + 4);
      if constexpr (KIND != ACT_NONE) {
        g0 = act_grad4<KIND>(_mm_loadu_ps(y + i), g0, va);
        g1 = act_grad4<KIND>(_mm_loadu_ps(y + i + 4), g1, va);
        _mm_storeu_ps(dz_out + i, g0);
        _mm_storeu_ps(dz_out + i + 4, g1);
      }
      const __m128 x0 = _mm_loadu_ps(x + i), x1 = _mm_loadu_ps(x + i + 4);
      const __m128d g00 = _mm_cvtps_pd(g0), g01 = _mm_cvtps_pd(_mm_movehl_ps(g0, g0));
      const __m128d g10 = _mm_cvtps_pd(g1), g11 = _mm_cvtps_pd(_mm_movehl_ps(g1, g1));
      a0 = _mm_add_pd(a0, g00);
      a1 = _mm_add_pd(a1, g01);
      a2 = _mm_add_pd(a2, g10);
      a3 = _mm_add_pd(a3, g11);
      b0 = _mm_add_pd(b0, _mm_mul_pd(g00, _mm_sub_pd(_mm_cvtps_pd(x0), vm)));
      b1 = _mm_add_pd(b1, _mm_mul_pd(g01, _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(x0, x0)), vm)));
      b2 = _mm_add_pd(b2, _mm_mul_pd(g10, _mm_sub_pd(_mm_cvtps_pd(x1), vm)));
      b3 = _mm_add_pd(b3, _mm_mul_pd(g11, _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(x1, x1)), vm)));
    }
    _mm_storeu_pd(a, a0);
    _mm_storeu_pd(a + 2, a1);
    _mm_storeu_pd(a + 4, a2);
    _mm_storeu_pd(a + 6, a3);
    _mm_storeu_pd(b, b0);
    _mm_storeu_pd(b + 2, b1);
    _mm_storeu_pd(b + 4, b2);
    _mm_storeu_pd(b + 6, b3);
  }
#endif
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int j = 0; j < kSumLanes; ++j) {
      const float g = act_grad<KIND>(KIND == ACT_NONE ? 0.f : y[i + j], dy[i + j], alpha);
      if (KIND != ACT_NONE) dz_out[i + j] = g;
      a[j] += (double)g;
      b[j] += (double)g * ((double)x[i + j] - mean);
    }
  for (int j = 0; i < n; ++i, ++j) {
    const float g = act_grad<KIND>(KIND == ACT_NONE ? 0.f : y[i], dy[i], alpha);
    if (KIND != ACT_NONE) dz_out[i] = g;
    a[j] += (double)g;
    b[j] += (double)g * ((double)x[i] - mean);
  }
  sdz += lanes_total(a);
  sdzx += lanes_total(b);
}

using RowFn = void (*)(const float*, const float*, const float*, float*, int64_t, double, float, double&, double&);

RowFn row_fn(int kind) {
  switch (kind) {
    case ACT_RELU:
      return row_grad_sums<ACT_RELU>;
    case ACT_LEAKY_RELU:
      return row_grad_sums<ACT_LEAKY_RELU>;
    case ACT_RELU6:
      return row_grad_sums<ACT_RELU6>;
    default:
      return row_grad_sums<ACT_NONE>;
  }
}

}  // namespace

void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha) {
  const int64_t N = p[0], C = p[1], HW = p[2];
  const int kind = p[3];
  const int64_t M = N * HW;
  const float* dz = kind == ACT_NONE ? dy : dx;  // where dz rows are read from
  const RowFn row = row_fn(kind);
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float mean = saved_mean[c], invstd = saved_invstd[c];
      double sdy = 0, sdyx = 0;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t o = (n * C + c) * HW;
        row(x + o, kind == ACT_NONE ? nullptr : y + o, dy + o, dx + o, HW, mean, alpha, sdy, sdyx);
      }
      const double ds = sdyx * invstd;  // sum dz * xhat
      dbias[c] = (float)sdy;
      dscale[c] = (float)ds;
      if (!M) continue;
      // dx = k * (dz - mdy - xhat * mdsx), k = scale * invstd, mdy = dbias / M, mdsx = dscale / M.
      const float k = scale[c] * invstd;
      const float mdy = (float)(sdy / (double)M), mds = (float)(ds / (double)M);
      for (int64_t n = 0; n < N; ++n) {
        const float* xp = x + (n * C + c) * HW;
        const float* gp = dz + (n * C + c) * HW;
        float* dp = dx + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; ++i) dp[i] = k * (gp[i] - mdy - (xp[i] - mean) * invstd * mds);
      }
    }
  });
}

}  // namespace sp
