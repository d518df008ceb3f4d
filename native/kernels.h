// slimprune kernel contract, C side. Mirrors src/backend/kernels.ts exactly: same kernel names,
// same buffer order, same integer geometry `p` layout, same trailing float attributes.
// All tensors are fp32 NCHW, dense. Kernels trust their arguments: native/addon.cc checks types,
// sizes and geometry before calling them. Heavy kernels use the thread pool (threadpool.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>

namespace sp {

// Engine limits, the same numbers as src/backend/limits.ts (documented in README "Limits"):
// native/addon.cc refuses a call beyond them before any kernel runs.
//  - kMaxDim: every dimension-like geometry integer (sizes, channels, kernel extents, strides,
//    paddings, dilations, an implied bottom/right padding) is at most 2^24. Sums and products of
//    two or three of them stay far inside int64, and a dilated kernel extent or a strided output
//    position (at most 3 * 2^24) inside the int arithmetic of the kernels.
//  - kMaxElems: a tensor holds at most 2^31 - 1 elements (flat counts such as an elementwise n are
//    bounded by this alone).
//  - kMaxScratchBytes: one temporary buffer of a kernel is at most 1 GiB.
constexpr int64_t kMaxDim = (int64_t)1 << 24;
constexpr int64_t kMaxElems = ((int64_t)1 << 31) - 1;
constexpr int64_t kMaxScratchBytes = (int64_t)1 << 30;

// Thrown when a kernel would need a scratch buffer over kMaxScratchBytes (the N-API layer turns it
// into a RangeError naming the kernel). Allocation failures below the limit throw std::bad_alloc.
struct ScratchLimit : std::exception {
  explicit ScratchLimit(double b) : bytes(b) {}
  double bytes;  // what the geometry asked for (a double: the request may not fit in size_t)
  const char* what() const noexcept override { return "scratch limit exceeded"; }
};
// Throws ScratchLimit unless `count` items of `item_bytes` each fit the scratch limit.
void check_scratch(double count, double item_bytes = 4);

// Convolution geometry indices into p[16].
enum ConvGeom { CG_N, CG_C, CG_H, CG_W, CG_OC, CG_KH, CG_KW, CG_OH, CG_OW, CG_SH, CG_SW, CG_PT, CG_PL, CG_DH, CG_DW, CG_G, CG_COUNT };
enum PoolGeom { PG_N, PG_C, PG_H, PG_W, PG_OH, PG_OW, PG_KH, PG_KW, PG_SH, PG_SW, PG_PT, PG_PL, PG_KIND, PG_EXCLUSIVE, PG_COUNT };
enum UpsampleGeom { UG_N, UG_C, UG_H, UG_W, UG_OH, UG_OW, UG_MODE, UG_ALIGN, UG_COUNT };
enum Act { ACT_RELU = 0, ACT_LEAKY_RELU = 1, ACT_RELU6 = 2, ACT_SIGMOID = 3, ACT_HARDSWISH = 4, ACT_HARDSIGMOID = 5 };
enum BinOp { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2 };
enum BMode { BM_SAME = 0, BM_CHANNEL = 1, BM_SCALAR = 2 };

// gemm: p = {transA, transB, M, N, K, accumulate}; row-major, C = alpha*op(A)op(B) (+ C).
void gemm(const float* a, const float* b, float* c, const int32_t* p, float alpha);
// Plain-argument GEMM used inside other kernels (lda/ldb/ldc are row strides).
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

void conv2d_forward(const float* x, const float* w, const float* b /*nullable*/, float* y, const int32_t* p);
// Whether 3x3 stride-1 convolutions may take the Winograd path (conv_winograd.cc): on unless the
// environment says SLIMPRUNE_WINOGRAD=0 at load; the addon's setWinograd() switches it (benchmarks
// and tests compare both paths in one process). SLIMPRUNE_WINOGRAD=portable keeps it on but with
// the per-tile transforms where the CPU has AVX-512 (same bits; for the tests).
bool winograd_enabled();
void set_winograd_enabled(bool on);
void conv2d_backward_input(const float* dy, const float* w, float* dx, const int32_t* p);
void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db /*nullable*/, const int32_t* p);

// p = {N, C, HW}
void batch_norm_train_forward(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                              float* saved_invstd, float* running_mean, float* running_var, const int32_t* p,
                              float eps, float momentum);
void batch_norm_infer_forward(const float* x, const float* scale, const float* bias, const float* mean,
                              const float* var, float* y, const int32_t* p, float eps);
void batch_norm_backward(const float* x, const float* dy, const float* scale, const float* saved_mean,
                         const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p);
void affine_channel_forward(const float* x, const float* scale, const float* bias, float* y, const int32_t* p);
void affine_channel_backward(const float* x, const float* dy, const float* scale, float* dx /*nullable*/,
                             float* dscale /*nullable*/, float* dbias /*nullable*/, const int32_t* p);
// p = {OC, K}
void bn_fold(const float* w, const float* b /*nullable*/, const float* scale, const float* offset, const float* mean,
             const float* var, float* w_out, float* b_out, const int32_t* p, float eps);

// p = {outer, axis, inner, count}
void gather_axis(const float* x, const int32_t* idx, float* y, const int32_t* p);
void scatter_add_axis(const float* dy, const int32_t* idx, float* dx, const int32_t* p);

// p = {n, kind}
void activation_forward(const float* x, float* y, const int32_t* p, float alpha);
void activation_backward(const float* x, const float* y, const float* dy, float* dx, const int32_t* p, float alpha);

void pool2d_forward(const float* x, float* y, const int32_t* p);
void pool2d_backward(const float* x, const float* dy, float* dx, const int32_t* p);
void upsample_forward(const float* x, float* y, const int32_t* p);
void upsample_backward(const float* dy, float* dx, const int32_t* p);

// p = {outer, C, inner, op, bmode}
void binary_forward(const float* a, const float* b, float* y, const int32_t* p);
void binary_backward(const float* a, const float* b, const float* dy, float* da /*nullable*/, float* db /*nullable*/,
                     const int32_t* p);
// p = {outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate}
void channel_copy(const float* src, float* dst, const int32_t* p);
// p = {n}
void sgd_momentum(float* param, const float* grad, float* velocity, const int32_t* p, float lr, float momentum, float l2);
// p = {outer, len, inner}
void reduce_sum(const float* x, float* y, const int32_t* p);
void softmax_forward(const float* x, float* y, const int32_t* p);
void softmax_backward(const float* y, const float* dy, float* dx, const int32_t* p);
// p = {n}
void sigmoid_bce_forward(const float* x, const float* label, float* loss, const int32_t* p);
void sigmoid_bce_backward(const float* x, const float* label, const float* dloss, float* dx, const int32_t* p);
void axpy(const float* x, float* y, const int32_t* p, float alpha);
// p = {N, C, H, W, R, PH, PW, sampling_ratio}; rois [R, 4] (x1, y1, x2, y2), batch [R] in [0, N)
void roi_align_forward(const float* x, const float* rois, const int32_t* batch, float* y, const int32_t* p,
                       float spatial_scale);
void roi_align_backward(const float* dy, const float* rois, const int32_t* batch, float* dx, const int32_t* p,
                        float spatial_scale);

// Fused kernels (fused_act.h: act 0 relu, 1 leaky_relu, 2 relu6).
// p = conv geometry + {act}
void conv2d_act_forward(const float* x, const float* w, const float* b /*nullable*/, float* y, const int32_t* p,
                        float alpha);
// A depthwise layer (p = its conv geometry, G == C == OC) and the 1x1 layer reading it, with their
// activations: p = conv geometry + {act, OC2, act2}; y = act2(conv1x1(act(dwconv(x, wd) + bd), wp)
// + bp), wp OC2 x OC, y N x OC2 x OH x OW (dwpw_forward.cc).
void dwpw_act_forward(const float* x, const float* wd, const float* bd /*nullable*/, const float* wp,
                      const float* bp /*nullable*/, float* y, const int32_t* p, float alpha, float alpha2);
// A stem layer (p = conv geometry + {act}) and npairs depthwise -> 1x1 pairs after it (each p =
// dwpw_act_forward's), in bands of rows without making the maps between them (conv_chain.cc); p
// the stem's then each pair's, w = {ws, bs, then per pair wd, bd, wp, bp} (biases nullable), f = {the
// stem's alpha, then per pair alpha, alpha2}; y the last pair's output. The values of
// conv2d_act_forward then dwpw_act_forward per pair, bit for bit. conv_chain_usable: whether the
// band path runs (else the kernels run one after the other through temporaries).
bool conv_chain_usable(const int32_t* p, int npairs);
void conv_chain_forward(const float* x, const float* const* w, float* y, const int32_t* p, int npairs, const float* f);
// p = {N, C, HW, act}
void batch_norm_act_train_forward(const float* x, const float* scale, const float* bias, float* y,
                                  float* saved_mean, float* saved_invstd, float* running_mean, float* running_var,
                                  const int32_t* p, float eps, float momentum, float alpha);
void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha);

}  // namespace sp
