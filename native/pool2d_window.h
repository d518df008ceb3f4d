// Pooling windows clipped to the image, shared by pool2d_forward.cc and pool2d_backward.cc.
// The window of output o along one axis covers [o*S - P, o*S - P + K); clipped, [lo, hi), empty
// when lo >= hi (the window lies wholly in the padding). 64-bit throughout: o*S and K may each
// approach 2^24 * 2^24 within the documented limits.
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels.h"

namespace sp {

struct PoolWindows {
  int64_t H, W, KH, KW, SH, SW, PT, PL;
  explicit PoolWindows(const int32_t* p)
      : H(p[PG_H]), W(p[PG_W]), KH(p[PG_KH]), KW(p[PG_KW]), SH(p[PG_SH]), SW(p[PG_SW]), PT(p[PG_PT]), PL(p[PG_PL]) {}
  int64_t h0(int64_t oh) const { return std::max<int64_t>(oh * SH - PT, 0); }
  int64_t h1(int64_t oh) const { return std::min<int64_t>(oh * SH - PT + KH, H); }
  int64_t w0(int64_t ow) const { return std::max<int64_t>(ow * SW - PL, 0); }
  int64_t w1(int64_t ow) const { return std::min<int64_t>(ow * SW - PL + KW, W); }
};

}  // namespace sp
