// Shared pieces of the fp32 NCHW convolution kernels (conv2d_forward / _backward_input /
// _backward_filter): geometry, im2col rows, col2im rows, spatial tiling, phase planes (the
// shifted layout of the flat paths), and the depthwise entry points (depthwise*.cc).
//
// Output position (oh, ow) of tap (kh, kw) reads x[ih, iw] with ih = oh*SH - PT + kh*DH and
// iw = ow*SW - PL + kw*DW; anything outside [0,H) x [0,W) is zero padding. OH/OW are taken as
// given, so any OH/OW >= 1 is safe (extra rows/columns are implicit bottom/right padding).
// Input positions are computed in 64 bits: native/addon.cc bounds them (every geometry integer and
// the implied bottom/right padding at most 2^24), but a wrapped position would silently read a
// real pixel where padding belongs, so the walks below do not depend on that bound.
// The GEMM view of group g of image n: col (Kg x P) with Kg = Cg*KH*KW (k = (c*KH + kh)*KW + kw)
// and P = OH*OW; y_g (OCg x P) = W_g (OCg x Kg) * col.
#pragma once
#include <cstdint>
#include <vector>

#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"

namespace sp {

struct ConvShape {
  int N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G;
  int Cg, OCg, KK, Kg;  // channels per group, out channels per group, KH*KW, Cg*KH*KW
  int64_t HW, P;        // H*W, OH*OW
  explicit ConvShape(const int32_t* p);
  // 1x1, stride 1, no padding, same size: col is x itself.
  bool pointwise() const {
    return KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  }
  // One input channel per group (groups == C); OC = multiplier * C.
  bool depthwise() const { return Cg == 1 && G > 1; }
};

// Walks col[k][p0 + j], j in [0, np), for tap (kh, kw) of the input plane xc, as runs in j order:
// run(j, src, len) for in-bounds values (col[k][p0 + j + q] = src[q*SW]) and zero(j, len) for
// padding. Row segments are found with one division per tap, not per element.
template <class Run, class Zero>
inline void im2col_walk(const ConvShape& s, const float* xc, int kh, int kw, int64_t p0, int np, Run&& run,
                        Zero&& zero) {
  const int64_t off = (int64_t)kw * s.DW - s.PL;
  int64_t lo64 = off >= 0 ? 0 : (-off + s.SW - 1) / s.SW;
  int64_t hi64 = s.W - off <= 0 ? 0 : (s.W - off + s.SW - 1) / s.SW;
  int lo = (int)(lo64 < s.OW ? lo64 : s.OW);
  int hi = (int)(hi64 < s.OW ? hi64 : s.OW);
  if (hi < lo) hi = lo;
  int64_t p = p0;
  const int64_t pend = p0 + np;
  int oh = (int)(p / s.OW), ow0 = (int)(p % s.OW);
  int j = 0;
  while (p < pend) {
    const int ow1 = (int)(pend - p < (int64_t)(s.OW - ow0) ? ow0 + (pend - p) : s.OW);
    const int64_t ih = (int64_t)oh * s.SH - s.PT + (int64_t)kh * s.DH;
    const int len = ow1 - ow0;
    if (ih < 0 || ih >= s.H) {
      zero(j, len);
    } else {
      int a = ow0 > lo ? ow0 : lo;
      if (a > ow1) a = ow1;
      int b = hi < ow1 ? hi : ow1;
      if (b < a) b = a;
      if (a > ow0) zero(j, a - ow0);
      if (b > a) run(j + (a - ow0), xc + (int64_t)ih * s.W + off + (int64_t)a * s.SW, b - a);
      if (ow1 > b) zero(j + (b - ow0), ow1 - b);
    }
    j += len;
    p += len;
    ++oh;
    ow0 = 0;
  }
}

// row[j] = col[k][p0 + j] for j in [0, np): the im2col row of tap (kh, kw) of the input plane xc.
void im2col_row(const ConvShape& s, const float* xc, int kh, int kw, int64_t p0, int np, float* row);
// dxc[ih][iw] += row[j] for every in-bounds position of col[k][p0 + j] (col2im of one row).
void col2im_row(const ConvShape& s, float* dxc, int kh, int kw, int64_t p0, int np, const float* row);

// Number of spatial tiles and the tile length for a P-long axis: tiles are balanced (lengths
// differ by at most one NR-multiple step) and depend on the shape only, never on threads.
struct Tiling {
  int count;
  int len;  // max tile length
  int64_t begin(int t, int64_t P) const { return (int64_t)t * len < P ? (int64_t)t * len : P; }
};
Tiling make_tiling(int64_t P, int target, int align);

// Phase planes: x re-laid out so that every tap of a strided convolution becomes a plain shift.
// Plane (c, a, b) holds xq[i][j] = x[c][i*SH + a - PT][j*SW + b - PL] (zero outside x), Hq x Wq,
// for the phases (a, b) some tap uses. Output (oh, ow) at flat position q = oh*Wq + ow then reads,
// for tap (c, kh, kw), xq_plane(c, kh*DH % SH, kw*DW % SW)[q + (kh*DH/SH)*Wq + kw*DW/SW]: a run of
// consecutive q is a run of consecutive floats, so im2col becomes block copies (columns
// ow in [OW, Wq) of the flat result are discarded). Any geometry fits; worthwhile when Wq is
// close to OW.
struct PhasePlanes {
  int Hq = 0, Wq = 0, nph = 0;
  int64_t plane = 0;  // Hq*Wq
  int64_t L = 0;      // flat positions (OH-1)*Wq + OW
  int phase[16];      // (a*SW + b) -> index among the used phases, -1 when unused (SH*SW <= 16)
  explicit PhasePlanes(const ConvShape& s);
  // SH*SW <= 16, Wq <= max_ratio * OW (the dropped columns cost Wq/OW - 1 extra work) and the
  // planes of one image fit in 256 MiB.
  static bool usable(const ConvShape& s, double max_ratio);
  // Offset of tap (c, kh, kw) from the first plane of its group.
  int64_t tap_offset(const ConvShape& s, int c, int kh, int kw) const {
    const int64_t dh = (int64_t)kh * s.DH, dw = (int64_t)kw * s.DW;
    const int ph = phase[(dh % s.SH) * s.SW + dw % s.SW];
    return ((int64_t)c * nph + ph) * plane + (dh / s.SH) * Wq + dw / s.SW;
  }
  // The nph planes of input channel plane xc, written to dst.
  void fill(const ConvShape& s, const float* xc, float* dst) const;
  // The inverse for gradients: dxc[ih][iw] = the plane value at (ih, iw) (0 where no plane
  // position maps to it).
  void unfill(const ConvShape& s, const float* src, float* dxc) const;
};

// One filter's packed forms, kept between inference calls (conv2d_act_forward_prepared): the GEMM
// panels (pack_conv_filter's layout) and, for the Winograd layers, the transformed filter U in
// the packed layout of all panels. Each is built from w and b by the first call that needs it
// and reused by the later ones, which then skip packing (and the filter transform) altogether;
// the numbers are those of a call without a cache, bit for bit. The caller guarantees that w and
// b are not written while the cache is used with them; a call with another w or b (address) or
// another filter geometry empties it first.
struct FilterCache {
  const float* w = nullptr;
  const float* b = nullptr;
  int OC = 0, Cg = 0, KH = 0, KW = 0, G = 0, mr = 0;
  AlignedBuf gemm;  // G * ceil(OCg / MR) panels of (Kg + (b ? 1 : 0)) * MR floats
  bool gemm_ready = false;
  AlignedBuf wino;      // U: 16 positions of all panels (conv_forward_winograd's shared layout)
  int wino_state = 0;   // 0: not built; 1: built; -1: a tap beyond 2^50, Inf or NaN (direct path)
  AlignedBuf blocked;   // a 1x1 filter's panels for channel-blocked maps (conv2d_blocked.cc)
  bool blocked_ready = false;
  size_t bytes = 0;     // held by gemm, wino and blocked
  // Empties the cache when it was built for another filter; then it is this one's.
  void bind(const ConvShape& s, const float* w, const float* b);
  // Frees what it holds; it belongs to no filter.
  void clear();
};
// conv2d_act_forward keeping w's packed forms in fc (act = p[CG_COUNT], -1: none).
void conv2d_act_forward_prepared(FilterCache* fc, const float* x, const float* w, const float* b, float* y,
                                 const int32_t* p, float alpha);

// The input of a 1x1 layer given as the channel concatenation of two sources, each N x Cs x Hs x Ws
// and resized to the layer's H x W by nearest-neighbour (upsample_forward's mode 0, align_corners
// flag) unless it already has that size: the layer's numbers on the concatenation, without it.
struct ConcatInput {
  const float* x[2];
  int C[2], H[2], W[2];
  bool align[2];
};

// conv2d_act_forward_prepared for a 1x1 layer (stride 1, unpadded, one group) whose input is the
// concatenation `cat` (ConcatInput, cat.C[0] + cat.C[1] == p's C); fc may be null.
void conv2d_concat_forward(FilterCache* fc, const ConcatInput& cat, const float* w, const float* b, float* y,
                           const int32_t* p, float alpha);

// A 3x3 layer (p3) and the 1x1 layer reading its output (p1: stride 1, unpadded, one group, its
// input the 3x3 layer's output): conv2d_act_forward_prepared for each, bit for bit. Where the 3x3
// layer runs by Winograd slivers (conv_wino_pw_usable), each sliver's outputs go through the 1x1
// layer while in cache and y3 is not written; else the two layers run one after the other through
// y3 (the 3x3 layer's output size; its contents afterwards are unspecified). fc3, fc1 may be null.
bool conv_wino_pw_usable(const int32_t* p3, const int32_t* p1);
void conv_wino_pw_forward(FilterCache* fc3, FilterCache* fc1, const float* x, const float* w3, const float* b3, float* y3,
                          const float* w1, const float* b1, float* y, const int32_t* p3, const int32_t* p1, float alpha3,
                          float alpha1);

// y = conv(x, w) + b through im2col + GEMM (any geometry, including negative padding PT/PL, which
// backward_input uses to run stride-1 layers as a forward convolution). w: OC x Kg row-major.
// act >= 0: the fused activation (fused_act.h) applied to each output tile as soon as it is
// computed, while it is in cache (conv2d_act_forward); act < 0: none.
// flipped: w is instead the filter of the forward layer whose stride-1 input gradient this is
// (G x s.Cg x s.OCg x KH x KW), read as its transpose with the taps reversed, straight into the
// packed panels (conv2d_backward_input).
// fc (forward only, not flipped): the filter's cache, used and filled (see FilterCache).
// cat (a pointwise layer only): its input is that concatenation instead of x.
void conv_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act = -1,
                       float alpha = 0.f, bool flipped = false, FilterCache* fc = nullptr,
                       const ConcatInput* cat = nullptr);
// W_g (+ a bias column when b) of every group packed into the GEMM microkernel's MR-row panels,
// panel stride (Kg + (b ? 1 : 0)) * MR, ceil(OCg / MR) panels per group: what conv_forward_gemm
// multiplies.
void pack_conv_filter(const ConvShape& s, const float* w, const float* b, float* Wp);

// Row k of packed slivers (nsl slivers of NR floats per row, sliver stride sstride) set to ones:
// the bias as one more K row of the column matrix (the filter panels carry b in that column).
inline void fill_bias_row(float* col, int64_t nsl, int64_t sstride, int64_t k, int NR) {
  for (int64_t sl = 0; sl < nsl; ++sl) {
    float* d = col + sl * sstride + k * NR;
    for (int q = 0; q < NR; ++q) d[q] = 1.f;
  }
}

// Output-channel chunks per (image, group, tile) task: 1 when the tiles alone give enough tasks
// (4 per thread), else one chunk per thread (a thread then reads its own part of the packed filter
// once and packs each task's columns once; with one thread, enough chunks to reach about 8 tasks,
// so that a chunk's K-block of panels stays in cache across images), at least 4 MR-row panels a
// chunk. A chunk is the same dot products in the same order whatever the split: the thread count
// changes no bit. (10x10 maps at batch 2, 2 threads, against 4 chunks: 1x1 1024 -> 256 1.13-1.21x,
// 512 -> 256 1.11-1.12x, 1024 -> 1024 1.06-1.09x in a model forward.)
inline int oc_chunks(int64_t tasks, int npan) {
  const int64_t threads = get_num_threads(), cap = npan / 4;
  int64_t want;
  if (threads > 1) {
    if (tasks >= 4 * threads) return 1;
    want = threads;
  } else {
    if (tasks >= 8) return 1;
    want = (8 + tasks - 1) / tasks;
  }
  return (int)(want < cap ? (want > 1 ? want : 1) : (cap > 1 ? cap : 1));
}

// Rows [i0, i1) of chunk c of `occ` over npan panels of MR rows (OCg rows in all).
inline void chunk_rows(int c, int occ, int npan, int MR, int OCg, int& i0, int& i1) {
  i0 = (int)((int64_t)npan * c / occ) * MR;
  const int e = (int)((int64_t)npan * (c + 1) / occ) * MR;
  i1 = e < OCg ? e : OCg;
}

// Winograd F(2x2, 3x3) (conv_winograd.cc): 3x3, stride 1, dilation 1, one group, at least 64
// channels in and out (the forward where its transforms run 8 or 16 lanes at a time: at least 24,
// see there). conv_forward_gemm takes it first; false (a value beyond 2^50, Inf or NaN in x or w)
// means the direct path must run (y may have been partly written; it overwrites all of y).
bool conv_winograd_fits(const ConvShape& s, bool forward);
// A 1x1 layer run on a Winograd layer's outputs while they are in cache: its filter packed as
// conv_forward_gemm packs it (pack_conv_filter, one group; a bias column when bias), its output
// y (N x OC x the Winograd layer's OH x OW), activation act (-1: none) and alpha.
struct WinoPointwise {
  const float* Wp;
  int OC;
  bool bias;
  int act;
  float alpha;
  float* y;
};
// Whether conv_forward_winograd runs s by slivers of tiles (a slivers' input transform, products
// and output transform on one core in turn): forward layers whose transformed filter is small
// (narrow layers such as 77 -> 154 or 26 -> 51), on CPUs with the vector transforms.
bool conv_winograd_by_sliver(const ConvShape& s);
// pw: instead of y (not used), each sliver's outputs go through the 1x1 layer pw while in cache and
// only pw's outputs are stored; false when s does not run by slivers (nothing written) or for the
// reason above (pw->y may be partly written): the caller then runs the two layers apart.
bool conv_forward_winograd(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act,
                           float alpha, bool flipped, FilterCache* fc = nullptr, const WinoPointwise* pw = nullptr);
// The packed GEMM filter of s (pack_conv_filter) from fc, packed there by the first call; without a
// cache packed into scratch.
const float* conv_packed_filter(const ConvShape& s, const float* w, const float* b, FilterCache* fc, AlignedBuf& scratch);
// dw (OC x C x 3 x 3, overwritten) of the same layers by F(3x3, 2x2); false as above.
bool conv_filter_grad_winograd(const ConvShape& s, const float* x, const float* dy, float* dw);

// act >= 0: the fused activation (fused_act.h) applied as each output row or plane is finished.
void depthwise_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act = -1,
                       float alpha = 0.f);
// Planes t = n*OC + oc in [tb, te) of depthwise_forward (plane t at y + t * P, the same values), on
// the calling thread (for a caller that splits the work itself: conv2d_blocked.cc).
void depthwise_planes(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int64_t tb,
                      int64_t te, int act, float alpha);
void depthwise_backward_input(const ConvShape& s, const float* dy, const float* w, float* dx);
// The stem (depthwise_impl.h): 3x3 stride 2, padding 1, up to 4 input channels, one group, with
// the GEMM path's bits; false (nothing written) for any other geometry.
bool stem_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y, int act, float alpha);
void depthwise_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw, float* db);

// The depthwise half of dwpw_forward (depthwise_impl.h, dw_band_range): 3x3, padding 1, stride 1
// or 2, one channel per group; by rows (any band of output rows) or whole images only.
// fits: the geometry is one of those; by_rows: bands may be any rows (else whole images);
// scratch: floats of scratch dw_band needs.
struct DwBandPlan {
  bool fits, by_rows;
  int64_t scratch;
};
DwBandPlan dw_band_plan(const ConvShape& s);

// The 1x1 product of one K-block of rows in cache (dwpw_act_forward.cc, conv_chain.cc): kx rows of d
// (ldd apart; the bias row follows when kx < kc) times m rows of the packed filter from Ap (panels
// aps apart) into y (rows ldy apart), np columns in tiles of 256; in place where the microkernel
// can, else through packed slivers in col (kGemmKC * 256 floats). accumulate: add to y.
void pointwise_rows(const GemmMicro& uk, int m, int64_t np, int kx, int kc, const float* Ap, int64_t aps, const float* d,
                    int64_t ldd, float* y, int64_t ldy, bool accumulate, int act, float alpha, float* col);

// The pieces of the layer chain's band kernel (conv_chain.cc), each the same values as the
// whole-tensor kernel it comes from. stem_band: rows [oh0, oh1) of image n of a stem layer
// (stem_usable), output channel oc's row oh at y + oc * ycs + (oh - oh0) * OW; wpk: the filter as
// stem_pack packs it; scratch: stem_band_scratch(s) floats. dw_window: dw_band's rows [oh0, oh1) of
// channels [c0, c1) of a layer whose dw_band_plan has by_rows, from a window of its input (channel
// c's rows from ih0 on at win + c * wcs, every row inside the image that those outputs read);
// zeros: W floats of 0.
bool stem_band_usable(const ConvShape& s);
int64_t stem_band_scratch(const ConvShape& s);
std::vector<float> stem_pack(const ConvShape& s, const float* w);
void stem_band(const ConvShape& s, const float* x, const float* wpk, const float* b, int n, int oh0, int oh1, float* y,
               int64_t ycs, float* scratch, int act, float alpha);
void dw_window(const ConvShape& s, const float* win, int64_t wcs, int ih0, const float* w, const float* b, int c0, int c1,
               int oh0, int oh1, float* d, int64_t ldd, const float* zeros, int act, float alpha);
void dw_band(const ConvShape& s, const float* x, const float* w, const float* b, int n, int c0, int c1, int oh0, int oh1,
             float* d, int64_t ldd, float* scratch, int act, float alpha);

}  // namespace sp
