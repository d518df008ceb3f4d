// The tiles of a Winograd F(2x2, 3x3) pass (conv_winograd.cc) and the transforms of the forward
// built for AVX-512 and AVX2 (winograd_avx512.cc, winograd_avx2.cc: the same additions in the same
// order on 16 or 8 tiles at once, so the same bits as the portable code).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "conv_common.h"

namespace sp {

// The transforms' range: a value read beyond 2^50 (or Inf, NaN) sends the layer to the direct path,
// since then a transform or product could overflow where the direct sum does not.
constexpr float kWinoMax = 1125899906842624.f;

// Whether every lane's magnitude bits (|x| as an integer: Inf and NaN lie above 2^50's) are within
// kWinoMax's.
inline bool wino_magnitudes_ok(const uint32_t* lanes, int n) {
  uint32_t top = 0, lim;
  for (int l = 0; l < n; ++l) top = lanes[l] > top ? lanes[l] : top;
  std::memcpy(&lim, &kWinoMax, sizeof lim);
  return top <= lim;
}

// Per tile of a pass (tiles t0 .. t0 + nt of all images, one after another): its output tile's
// top-left (oh, ow) = (2 th, 2 tw), so its input patch starts at (oh - PT, ow - PL); the offsets of
// the patch's top-left in x and of the outputs in y (channel 0 of its image); whether the patch
// lies inside x (inner) and both output rows and columns inside y (full).
struct PassTiles {
  std::vector<int64_t> xoff, yoff;
  std::vector<int> oh, ow;
  std::vector<uint8_t> inner, full;
  explicit PassTiles(int64_t n)
      : xoff((size_t)n), yoff((size_t)n), oh((size_t)n), ow((size_t)n), inner((size_t)n), full((size_t)n) {}
  // 2x2 output tiles per image
  static int64_t per_image(const ConvShape& s) { return (int64_t)((s.OH + 1) / 2) * ((s.OW + 1) / 2); }
  void set(const ConvShape& s, int64_t t0, int64_t nt) {
    const int TW = (s.OW + 1) / 2;
    const int64_t tiles_img = per_image(s);
    for (int64_t j = 0; j < nt; ++j) {
      const int64_t t = t0 + j, n = t / tiles_img, r = t % tiles_img;
      const int h = 2 * (int)(r / TW), w = 2 * (int)(r % TW), ih0 = h - s.PT, iw0 = w - s.PL;
      oh[j] = h;
      ow[j] = w;
      xoff[j] = n * s.C * s.HW + (int64_t)ih0 * s.W + iw0;
      inner[j] = ih0 >= 0 && ih0 + 4 <= s.H && iw0 >= 0 && iw0 + 4 <= s.W;
      yoff[j] = n * s.OC * s.P + (int64_t)h * s.OW + w;
      full[j] = h + 2 <= s.OH && w + 2 <= s.OW;
    }
  }
};

// Shared by the ISA copies (internal linkage: each is compiled with its own ISA's flags).
namespace {

// The input transform reads a channel's patches in short windows or by gathers, which the hardware
// prefetcher cannot follow: in a model the layer before has just written x, half of it from the
// other core, and the gathers waited on those lines (a 77 -> 154 layer at 20x20 took 0.44 ms after
// its input's producer and 0.35 ms when repeated). So the lines of channel c + kWinoAhead's
// patches are fetched while channel c is transformed (1.04-1.06x on the pruned head's 77 -> 154
// and 26 -> 51 layers in a model forward; 128 -> 256 at 40x40 1.15x, 256 -> 512 at 20x20
// 1.06-1.08x). wino_span: the
// patches of lanes with offsets rel[0..nv) (from the first lane's) lie in [lo, lo + span) of a
// channel; span 0 (no prefetch) when they are far apart (tiles of two images) or cover more than
// half a plane (10x10 maps, whose planes the transform reads whole and from cache: 0.96x there).
constexpr int kWinoAhead = 4;
inline int64_t wino_span(const int32_t* rel, int64_t nv, const ConvShape& s, int32_t& lo) {
  int32_t hi = rel[0];
  lo = rel[0];
  for (int64_t l = 1; l < nv; ++l) lo = rel[l] < lo ? rel[l] : lo, hi = rel[l] > hi ? rel[l] : hi;
  const int64_t span = (int64_t)hi - lo + 3 * (int64_t)s.W + 4;
  return span <= 4096 && 2 * span <= s.HW ? span : 0;
}
// Called before channel c of the tiles at xg is gathered: fetches channel c + kWinoAhead's span
// (at c = 0, channels 0 .. kWinoAhead too).
inline void wino_fetch_ahead(const float* xg, const ConvShape& s, int c, int32_t lo, int64_t span) {
  if (!span) return;
  for (int cc = c ? c + kWinoAhead : 0; cc <= c + kWinoAhead && cc < s.C; ++cc)
    for (int64_t o = 0; o < span; o += 16) __builtin_prefetch(xg + (int64_t)cc * s.HW + lo + o, 0, 3);
}

// Lanes 0 .. G-1 = tiles j0 .. j0+G-1 of a pass (nv of them real): each one's patch offset in x
// against tile j0's (rel), its patch's top-left row and column (ih, iw); true when all G are real
// and their patches lie inside x.
inline bool wino_lanes(const ConvShape& s, const PassTiles& pt, int64_t j0, int64_t nv, int G, int32_t* rel,
                       int32_t* ih, int32_t* iw) {
  bool inner = nv == G;
  for (int l = 0; l < G; ++l) {
    const bool in = l < nv;
    rel[l] = in ? (int32_t)(pt.xoff[j0 + l] - pt.xoff[j0]) : 0;
    ih[l] = in ? pt.oh[j0 + l] - s.PT : 0;
    iw[l] = in ? pt.ow[j0 + l] - s.PL : 0;
    inner = inner && pt.inner[j0 + l];
  }
  return inner;
}

// Where a group's tiles lie side by side along tile rows, the SIMD input transforms read their
// patches with plain loads instead of gathers: in a run of lanes [l0, l1) of one tile row (a
// segment), lane l's patch starts 2 floats after lane l - 1's, so patch row i of the segment is a
// window of floats whose float 2l + q is lane l's value q, split into even and odd floats by
// permutes. A group has one segment per tile row it touches (one or two on 40x40 maps at 16 lanes,
// up to four on 10x10). Each window is loaded under a mask of the floats its lanes use that lie in
// the channel's plane: a patch over the padding reads other rows' floats or none, and the patch
// masks then zero those lanes, as the gathers' masks do, so the sums see the same values.
struct WinoSegWindows {
  int64_t at[4];     // window start of patch row i, against lane 0's patch
  uint64_t bits[4];  // bit k: float k of the window is loaded
  int l0, l1;        // the segment's lanes
};
constexpr int kWinoMaxSegs = 4;  // more segments in a group: the gathers
// The segments of a group's lanes [0, nv) (rel, ih, iw: wino_lanes') into sg[0 .. kWinoMaxSegs);
// 0 when there are more.
inline int wino_seg_windows(const ConvShape& s, const int32_t* rel, const int32_t* ih, const int32_t* iw, int64_t nv,
                            WinoSegWindows* sg) {
  int n = 0;
  for (int l0 = 0, l1; l0 < nv; l0 = l1) {
    for (l1 = l0 + 1; l1 < nv && ih[l1] == ih[l0] && iw[l1] == iw[l1 - 1] + 2; ++l1) {
    }
    if (n == kWinoMaxSegs) return 0;
    WinoSegWindows& g = sg[n++];
    g.l0 = l0;
    g.l1 = l1;
    const int64_t pos = (int64_t)ih[l0] * s.W + iw[l0] - 2 * l0;  // float 0 of row 0's window in the plane
    for (int i = 0; i < 4; ++i) {
      g.at[i] = (int64_t)rel[l0] - 2 * l0 + (int64_t)i * s.W;
      const int64_t p = pos + (int64_t)i * s.W;
      const int64_t lo = std::max<int64_t>(2 * l0, -p), hi = std::min<int64_t>(2 * l1 + 2, s.HW - p);
      g.bits[i] = hi > lo ? (((uint64_t)1 << hi) - 1) & ~(((uint64_t)1 << lo) - 1) : 0;
    }
  }
  return n;
}

// B^T d B of 16 patch registers (the portable input_transform's sums, in its order).
template <class R, class Add, class Sub>
inline void wino_input_sums(const R d[16], R v[16], Add add, Sub sub) {
  R t[16];
  for (int j = 0; j < 4; ++j) {
    t[j] = sub(d[j], d[8 + j]);
    t[4 + j] = add(d[4 + j], d[8 + j]);
    t[8 + j] = sub(d[8 + j], d[4 + j]);
    t[12 + j] = sub(d[4 + j], d[12 + j]);
  }
  for (int i = 0; i < 4; ++i) {
    v[4 * i] = sub(t[4 * i], t[4 * i + 2]);
    v[4 * i + 1] = add(t[4 * i + 1], t[4 * i + 2]);
    v[4 * i + 2] = sub(t[4 * i + 2], t[4 * i + 1]);
    v[4 * i + 3] = sub(t[4 * i + 1], t[4 * i + 3]);
  }
}

// A^T m A + bias of 16 product registers: o = the 2x2 outputs, row-major (the portable
// output_transform's sums, then the bias, in its order).
template <class R, class Add, class Sub>
inline void wino_output_sums(const R m[16], R bias, R o[4], Add add, Sub sub) {
  R t[8];
  for (int j = 0; j < 4; ++j) {
    t[j] = add(add(m[j], m[4 + j]), m[8 + j]);
    t[4 + j] = sub(sub(m[4 + j], m[8 + j]), m[12 + j]);
  }
  for (int i = 0; i < 2; ++i) {
    o[2 * i] = add(add(add(t[4 * i], t[4 * i + 1]), t[4 * i + 2]), bias);
    o[2 * i + 1] = add(sub(sub(t[4 * i + 1], t[4 * i + 2]), t[4 * i + 3]), bias);
  }
}

// Where the output transform stores groups of G tiles: each group of the pass's tiles
// [c0, c0 + cn) splits into segments of one tile row, lanes [la, lb), whose outputs are the floats
// [2 la, 2 lb) of the group's interleaved rows (a0 b0 a1 b1 ..., the last tile's right column left
// out where it lies past OW): stored at y + at (channel 0) under the mask `bits`, the lower output
// row at + OW when down. Group g's segments are segs[first[g] .. first[g + 1]).
struct WinoSeg {
  int64_t at;
  uint32_t bits;
  bool down;
};
inline void wino_segments(const ConvShape& s, const PassTiles& pt, int64_t c0, int64_t cn, int G,
                          std::vector<WinoSeg>& segs, std::vector<int>& first) {
  const int64_t ngroups = (cn + G - 1) / G;
  segs.clear();
  first.assign((size_t)ngroups + 1, 0);
  for (int64_t g = 0; g < ngroups; ++g) {
    first[(size_t)g] = (int)segs.size();
    const int64_t j0 = c0 + g * G, nv = std::min<int64_t>(G, cn - g * G);
    for (int64_t la = 0; la < nv;) {
      int64_t lb = la + 1;
      while (lb < nv && pt.oh[j0 + lb] == pt.oh[j0 + la] && pt.yoff[j0 + lb] == pt.yoff[j0 + lb - 1] + 2) ++lb;
      uint32_t bits = (uint32_t)(((uint64_t)1 << (2 * lb)) - 1) & ~(uint32_t)(((uint64_t)1 << (2 * la)) - 1);
      if (pt.ow[j0 + lb - 1] + 1 >= s.OW) bits &= ~(1u << (2 * lb - 1));  // odd OW: no right column
      segs.push_back(WinoSeg{pt.yoff[j0 + la] - 2 * la, bits, pt.oh[j0 + la] + 1 < s.OH});
      la = lb;
    }
  }
  first[(size_t)ngroups] = (int)segs.size();
}

}  // namespace

#if defined(__x86_64__)
// The forward's input transform of the pass's slivers [sb, se) (NR tiles each, NR a multiple of
// 16, for AVX2 of 8; tiles past nt zero): V_xi[sliver][c][lane] at
// V + xi*vstride + (sliver - sb)*bss + c*NR + lane (V holds slivers sb .. se - 1), every channel
// of x. False when a value read is beyond 2^50, Inf or NaN.
bool wino_input_avx512(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t sb, int64_t se,
                       float* V, int64_t bss, int64_t vstride, int NR);
// The output transform of rows [r0, r0 + rows) of the products M (row rr at M + rr*ldm, position
// xi at + xi*mstride, column q = the pass's tile c0 + q, q < cn), + b[oc] (0 when b is null),
// activation, into y; or, loc not null, into loc instead: output k (0..3: top left, top right,
// bottom left, bottom right) of tile c0 + j of row rr at loc + rr*ldl + k*(ldl/4) + j, for j up to
// cn rounded up to whole vectors (ldl/4 at least that). wino_store: such rows (Z, ldz; rows rr of
// Z are channels rr of y) stored into y's 2x2 tiles as the output transform stores them.
void wino_output_avx512(const ConvShape& s, const PassTiles& pt, const float* M, int64_t mstride, int64_t ldm,
                        int64_t r0, int64_t rows, int64_t c0, int64_t cn, const float* b, float* y, int act,
                        float alpha, float* loc, int64_t ldl);
void wino_store_avx512(const ConvShape& s, const PassTiles& pt, const float* Z, int64_t ldz, int64_t rows, int64_t c0,
                       int64_t cn, float* y);
// The filter gradient's input transform, channel groups [gb, ge) of 16 (AVX2: 8; channels in lanes):
// V_xi[c sliver][tile][lane] at V + xi*vstride + (c/NR)*bss + tile*NR + c%NR (channels past C
// zero); and its dy transform, output-channel panels [pb, pe) of MR <= 16 rows: E_xi at E +
// xi*estride + panel*aps + tile*MR + r (AVX2: MR <= 8). False when a value read is beyond 2^50,
// Inf or NaN.
bool wino_fg_input_avx512(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t gb, int64_t ge,
                          float* V, int64_t bss, int64_t vstride, int NR);
bool wino_fg_dy_avx512(const ConvShape& s, const float* dy, const PassTiles& pt, int64_t nt, int64_t pb, int64_t pe,
                       float* E, int64_t aps, int64_t estride, int MR);
bool wino_fg_input_avx2(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t gb, int64_t ge,
                        float* V, int64_t bss, int64_t vstride, int NR);
bool wino_fg_dy_avx2(const ConvShape& s, const float* dy, const PassTiles& pt, int64_t nt, int64_t pb, int64_t pe,
                     float* E, int64_t aps, int64_t estride, int MR);
bool wino_input_avx2(const ConvShape& s, const float* x, const PassTiles& pt, int64_t nt, int64_t sb, int64_t se,
                     float* V, int64_t bss, int64_t vstride, int NR);
void wino_output_avx2(const ConvShape& s, const PassTiles& pt, const float* M, int64_t mstride, int64_t ldm,
                      int64_t r0, int64_t rows, int64_t c0, int64_t cn, const float* b, float* y, int act,
                      float alpha, float* loc, int64_t ldl);
void wino_store_avx2(const ConvShape& s, const PassTiles& pt, const float* Z, int64_t ldz, int64_t rows, int64_t c0,
                     int64_t cn, float* y);

// One ISA's copies of the transforms above.
struct WinoSimd {
  int lanes;  // tiles (channels) per vector
  bool (*input)(const ConvShape&, const float*, const PassTiles&, int64_t, int64_t, int64_t, float*, int64_t, int64_t,
                int);
  void (*output)(const ConvShape&, const PassTiles&, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                 const float*, float*, int, float, float*, int64_t);
  bool (*fg_input)(const ConvShape&, const float*, const PassTiles&, int64_t, int64_t, int64_t, float*, int64_t,
                   int64_t, int);
  bool (*fg_dy)(const ConvShape&, const float*, const PassTiles&, int64_t, int64_t, int64_t, float*, int64_t, int64_t,
                int);
  void (*store)(const ConvShape&, const PassTiles&, const float*, int64_t, int64_t, int64_t, int64_t, float*);
};
#endif

}  // namespace sp
