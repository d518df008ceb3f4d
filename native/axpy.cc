// y += alpha * x over n values (gradient accumulation). Chunks of the range go to the threads.
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace sp {

void axpy(const float* x, float* y, const int32_t* p, float alpha) {
  parallel_for(p[0], [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] += alpha * x[i];
  }, 16384);
}

}  // namespace sp
