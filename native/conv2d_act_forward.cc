// conv2d_act_forward: y = act(conv2d(x, w) + b), p = the 16 conv integers + act (fused_act.h),
// alpha = leaky_relu's slope. The convolution is conv2d_forward's; the activation is applied to
// y in place right after, by the same threads, so the pre-activation tensor never exists as a
// buffer of its own and the graph saves one full read and write of a separate activation op.
#include <cstdint>

#include "fused_act.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

void conv2d_act_forward(const float* x, const float* w, const float* b, float* y, const int32_t* p, float alpha) {
  conv2d_forward(x, w, b, y, p);
  const int64_t n = (int64_t)p[CG_N] * p[CG_OC] * p[CG_OH] * p[CG_OW];
  const int kind = p[CG_COUNT];
  parallel_for(n, [&](int64_t s, int64_t e) { fused_act_inplace(y + s, e - s, kind, alpha); }, 16384);
}

}  // namespace sp
