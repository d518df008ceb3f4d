// Reductions shared by the per-channel kernels (batch norm, affine channel, binary broadcast
// gradients, reduce_sum). Each keeps 8 double partial sums (element i goes to lane i % 8) and
// adds the lanes in a fixed order at the end: the long dependency chain of one accumulator is
// broken so the loop can pipeline and vectorise, while the result depends only on the data, never
// on how work was split across threads.
#pragma once
#include <cstdint>

namespace sp {

constexpr int kSumLanes = 8;

inline double lanes_total(const double* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// sum x[i]
inline double sum_f32(const float* x, int64_t n) {
  double acc[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int j = 0; j < kSumLanes; ++j) acc[j] += (double)x[i + j];
  for (int j = 0; i < n; ++i, ++j) acc[j] += (double)x[i];
  return lanes_total(acc);
}

// sum (x[i] - c)^2
inline double sum_sq_dev_f32(const float* x, int64_t n, double c) {
  double acc[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int j = 0; j < kSumLanes; ++j) {
      const double d = (double)x[i + j] - c;
      acc[j] += d * d;
    }
  for (int j = 0; i < n; ++i, ++j) {
    const double d = (double)x[i] - c;
    acc[j] += d * d;
  }
  return lanes_total(acc);
}

// sum a[i] * (b[i] - c)   (c = 0: a plain dot product)
inline double dot_dev_f32(const float* a, const float* b, int64_t n, double c) {
  double acc[kSumLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int j = 0; j < kSumLanes; ++j) acc[j] += (double)a[i + j] * ((double)b[i + j] - c);
  for (int j = 0; i < n; ++i, ++j) acc[j] += (double)a[i] * ((double)b[i] - c);
  return lanes_total(acc);
}

}  // namespace sp
