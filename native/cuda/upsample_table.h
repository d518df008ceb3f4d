// Host-side source tables for upsample_forward.cu and upsample_backward.cu: the per-axis source
// indices and weights of native/upsample_common.h (so every backend picks the same pixels and
// weights), plus, for the backward gather, the range of outputs that read each input index.
// Packed into one block of device scratch for a launch.
#pragma once
#include <cstring>
#include <vector>

#include "../upsample_common.h"
#include "common.cuh"

namespace sp {
namespace cuda {

// Device view of one axis: i0, i1, w1 per output; [lo, hi) of outputs reading each input.
struct UpAxis {
  const int* i0;
  const int* i1;
  const float* w1;
  const int* lo;
  const int* hi;
};

// Builds both axes' tables on the host and copies them into scratch (ordered on the stream).
inline void upsample_tables(int H, int W, int OH, int OW, bool bil, bool align, UpAxis* ah, UpAxis* aw) {
  const UpsampleAxis th = upsample_axis(H, OH, bil, align), tw = upsample_axis(W, OW, bil, align);
  // int/float words: per axis 3 * out + 2 * in
  const size_t words = 3 * (size_t)(OH + OW) + 2 * (size_t)(H + W);
  std::vector<int32_t> host(words);
  int32_t* at = host.data();
  auto put = [&](const UpsampleAxis& t, int in, int out, int32_t** offs) {
    std::vector<int> lo(in, out), hi(in, 0);
    for (int d = 0; d < out; ++d)
      for (int v : {t.i0[d], t.i1[d]}) {
        lo[v] = d < lo[v] ? d : lo[v];
        hi[v] = d + 1 > hi[v] ? d + 1 : hi[v];
      }
    offs[0] = at; std::memcpy(at, t.i0.data(), out * 4); at += out;
    offs[1] = at; std::memcpy(at, t.i1.data(), out * 4); at += out;
    offs[2] = at; std::memcpy(at, t.w1.data(), out * 4); at += out;
    offs[3] = at; std::memcpy(at, lo.data(), in * 4); at += in;
    offs[4] = at; std::memcpy(at, hi.data(), in * 4); at += in;
  };
  int32_t* oh[5];
  int32_t* ow[5];
  put(th, H, OH, oh);
  put(tw, W, OW, ow);
  char* dev = static_cast<char*>(scratch(words * 4));
  check(cudaMemcpyAsync(dev, host.data(), words * 4, cudaMemcpyHostToDevice, stream()), "upsample tables");
  auto dptr = [&](int32_t* h) { return dev + (h - host.data()) * 4; };
  *ah = UpAxis{(const int*)dptr(oh[0]), (const int*)dptr(oh[1]), (const float*)dptr(oh[2]), (const int*)dptr(oh[3]),
               (const int*)dptr(oh[4])};
  *aw = UpAxis{(const int*)dptr(ow[0]), (const int*)dptr(ow[1]), (const float*)dptr(ow[2]), (const int*)dptr(ow[3]),
               (const int*)dptr(ow[4])};
}

}  // namespace cuda
}  // namespace sp
