// Source coordinates shared by upsample_forward.cc and upsample_backward.cc, one axis at a time.
// Nearest (mode 0), align_corners 0: src = floor(dst * in / out);
//                  align_corners 1: src = floor(dst * (in - 1) / (out - 1) + 1/2) (0 when out == 1),
//                  the nearest corner-aligned pixel, ties rounding up (Paddle's resize_nearest
//                  default). Both exact in 64-bit integers, so every backend picks the same pixel.
// Bilinear (mode 1): align_corners 0: src = max((dst + 0.5) * in / out - 0.5, 0);
//                    align_corners 1: src = dst * (in - 1) / (out - 1) (0 when out == 1).
// Then i0 = floor(src), i1 = min(i0 + 1, in - 1), weight of i1 = src - i0. Computed in double.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace sp {

struct UpsampleAxis {
  std::vector<int> i0, i1;
  std::vector<float> w1;  // weight of i1; i0 gets 1 - w1
};

inline UpsampleAxis upsample_axis(int in, int out, bool bilinear, bool align) {
  UpsampleAxis a;
  a.i0.resize(out);
  a.i1.resize(out);
  a.w1.assign(out, 0.f);
  for (int d = 0; d < out; ++d) {
    if (!bilinear) {
      const long long src = !align ? (long long)d * in / out
                            : out > 1 ? (2LL * d * (in - 1) + (out - 1)) / (2LL * (out - 1)) : 0;
      a.i0[d] = a.i1[d] = (int)std::min<long long>(src, in - 1);
      continue;
    }
    double s = align ? (out > 1 ? (double)d * (in - 1) / (out - 1) : 0.0)
                     : std::max(((double)d + 0.5) * in / out - 0.5, 0.0);
    int i0 = std::min((int)std::floor(s), in - 1);
    a.i0[d] = i0;
    a.i1[d] = std::min(i0 + 1, in - 1);
    a.w1[d] = (float)(s - i0);
  }
  return a;
}

}  // namespace sp
