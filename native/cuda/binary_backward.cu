// binary_backward: gradients of y = a (op) b (p = {outer, C, inner, op, bmode}, see
// binary_forward.cu) given dy; da and db optional and overwritten:
//   da = dy (add, sub) or dy * b (mul), shaped like a;
//   db = dy (add), -dy (sub) or dy * a (mul), summed over the broadcast axes: none (same shape),
//        outer and inner (per channel), all (scalar).
// The sums are deterministic: per channel, one block sums its channel (block_sum, in double);
// for a scalar b, fixed chunks are summed by one block each into scratch, then one block adds the
// chunk sums in order. No float atomics, so reruns give the same bits.
#include "common.cuh"
#include "kernels_cuda.h"
#include "reduce.cuh"

namespace sp {
namespace cuda {
namespace {
__global__ void binary_da_kernel(const float* b, const float* dy, float* da, int64_t n, int64_t C, int64_t inner, int op,
                                 int mode) {
  SP_GRID_LOOP(i, n) {
    if (op != 2) {
      da[i] = dy[i];
    } else {
      const float bv = mode == 0 ? b[i] : mode == 1 ? b[(i / inner) % C] : b[0];
      da[i] = dy[i] * bv;
    }
  }
}

__global__ void binary_db_same_kernel(const float* a, const float* dy, float* db, int64_t n, int op) {
  SP_GRID_LOOP(i, n) { db[i] = op == 2 ? dy[i] * a[i] : op == 1 ? -dy[i] : dy[i]; }
}

// One block per channel c: sum over (o, i) of dy (times a for mul).
__global__ void binary_db_channel_kernel(const float* a, const float* dy, float* db, int64_t outer, int64_t C, int64_t inner,
                                         int op) {
  const int64_t c = blockIdx.x;
  const int64_t m = outer * inner;
  double s = 0;
  for (int64_t k = threadIdx.x; k < m; k += blockDim.x) {
    const int64_t o = k / inner, i = k % inner, at = (o * C + c) * inner + i;
    s += op == 2 ? (double)dy[at] * (double)a[at] : (double)dy[at];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) db[c] = (float)(op == 1 ? -s : s);
}

// Chunk k of kChunk elements summed by block k into part[k].
constexpr int64_t kChunk = 16384;
__global__ void binary_db_chunks_kernel(const float* a, const float* dy, double* part, int64_t n, int op) {
  const int64_t i0 = (int64_t)blockIdx.x * kChunk, i1 = i0 + kChunk < n ? i0 + kChunk : n;
  double s = 0;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) s += op == 2 ? (double)dy[i] * (double)a[i] : (double)dy[i];
  s = block_sum(s);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void binary_db_total_kernel(const double* part, int64_t parts, float* db, int op) {
  double s = 0;
  for (int64_t k = threadIdx.x; k < parts; k += blockDim.x) s += part[k];
  s = block_sum(s);
  if (threadIdx.x == 0) db[0] = (float)(op == 1 ? -s : s);
}
}  // namespace

void binary_backward(const float* a, const float* b, const float* dy, float* da, float* db, const int32_t* p) {
  const int64_t outer = p[0], C = p[1], inner = p[2], n = outer * C * inner;
  const int op = p[3], mode = p[4];
  if (da && n > 0) {
    SP_LAUNCH(binary_da_kernel, blocks_for(n, 256), 256, 0, stream(), b, dy, da, n, C, inner, op, mode);
    check_launch("binary_backward");
  }
  if (!db) return;
  if (mode == 0) {
    if (n <= 0) return;
    SP_LAUNCH(binary_db_same_kernel, blocks_for(n, 256), 256, 0, stream(), a, dy, db, n, op);
  } else if (mode == 1) {
    if (C <= 0) return;
    // C <= 2^24 blocks fits gridDim.x (2^31 - 1)
    SP_LAUNCH(binary_db_channel_kernel, (unsigned)C, kReduceThreads, 0, stream(), a, dy, db, outer, C, inner, op);
  } else {
    const int64_t parts = n > 0 ? (n + kChunk - 1) / kChunk : 1;
    double* part = static_cast<double*>(scratch((size_t)parts * sizeof(double)));
    if (n > 0) {
      SP_LAUNCH(binary_db_chunks_kernel, (unsigned)parts, kReduceThreads, 0, stream(), a, dy, part, n, op);
      check_launch("binary_backward");
      SP_LAUNCH(binary_db_total_kernel, 1, kReduceThreads, 0, stream(), part, parts, db, op);
    } else {
      SP_LAUNCH(binary_db_total_kernel, 1, kReduceThreads, 0, stream(), part, (int64_t)0, db, op);
    }
  }
  check_launch("binary_backward");
}
}  // namespace cuda
}  // namespace sp
