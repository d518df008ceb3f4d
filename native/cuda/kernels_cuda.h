// The CUDA backend's launchers: the kernel contract (native/kernels.h, src/backend/kernels.ts) with
// the same names, buffer order, geometry `p` and trailing floats. Float and index buffers are
// device pointers; `p` is a host pointer. Each launcher enqueues on sp::cuda::stream() and
// returns without synchronising (native/cuda/common.cuh). One file per kernel:
// native/cuda/<kernel>.cu.
#pragma once
#include <cstdint>

// Declared weak: the addon exports a launcher only when its file is linked in (a kernel not
// written yet is absent from `cuda.kernels`, and the TS backend declines it), instead of failing
// to load on an unresolved symbol. A definition is an ordinary one for the linker.
#define SP_CUDA_LAUNCHER __attribute__((weak))

namespace sp {
namespace cuda {

// gemm: p = {transA, transB, M, N, K, accumulate}; row-major, C = alpha*op(A)op(B) (+ C).
SP_CUDA_LAUNCHER void gemm(const float* a, const float* b, float* c, const int32_t* p, float alpha);

SP_CUDA_LAUNCHER void conv2d_forward(const float* x, const float* w, const float* b /*nullable*/, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void conv2d_backward_input(const float* dy, const float* w, float* dx, const int32_t* p);
SP_CUDA_LAUNCHER void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db /*nullable*/, const int32_t* p);

// p = {N, C, HW}
SP_CUDA_LAUNCHER void batch_norm_train_forward(const float* x, const float* scale, const float* bias, float* y, float* saved_mean,
                              float* saved_invstd, float* running_mean, float* running_var, const int32_t* p,
                              float eps, float momentum);
SP_CUDA_LAUNCHER void batch_norm_infer_forward(const float* x, const float* scale, const float* bias, const float* mean,
                              const float* var, float* y, const int32_t* p, float eps);
SP_CUDA_LAUNCHER void batch_norm_backward(const float* x, const float* dy, const float* scale, const float* saved_mean,
                         const float* saved_invstd, float* dx, float* dscale, float* dbias, const int32_t* p);
SP_CUDA_LAUNCHER void affine_channel_forward(const float* x, const float* scale, const float* bias, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void affine_channel_backward(const float* x, const float* dy, const float* scale, float* dx /*nullable*/,
                             float* dscale /*nullable*/, float* dbias /*nullable*/, const int32_t* p);
// p = {OC, K}
SP_CUDA_LAUNCHER void bn_fold(const float* w, const float* b /*nullable*/, const float* scale, const float* offset, const float* mean,
             const float* var, float* w_out, float* b_out, const int32_t* p, float eps);

// p = {outer, axis, inner, count}
SP_CUDA_LAUNCHER void gather_axis(const float* x, const int32_t* idx, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void scatter_add_axis(const float* dy, const int32_t* idx, float* dx, const int32_t* p);

// p = {n, kind}
SP_CUDA_LAUNCHER void activation_forward(const float* x, float* y, const int32_t* p, float alpha);
SP_CUDA_LAUNCHER void activation_backward(const float* x, const float* y, const float* dy, float* dx, const int32_t* p, float alpha);

SP_CUDA_LAUNCHER void pool2d_forward(const float* x, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void pool2d_backward(const float* x, const float* dy, float* dx, const int32_t* p);
SP_CUDA_LAUNCHER void upsample_forward(const float* x, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void upsample_backward(const float* dy, float* dx, const int32_t* p);

// p = {outer, C, inner, op, bmode}
SP_CUDA_LAUNCHER void binary_forward(const float* a, const float* b, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void binary_backward(const float* a, const float* b, const float* dy, float* da /*nullable*/, float* db /*nullable*/,
                     const int32_t* p);
// p = {outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate}
SP_CUDA_LAUNCHER void channel_copy(const float* src, float* dst, const int32_t* p);
// p = {n}
SP_CUDA_LAUNCHER void sgd_momentum(float* param, const float* grad, float* velocity, const int32_t* p, float lr, float momentum, float l2);
// p = {outer, len, inner}
SP_CUDA_LAUNCHER void reduce_sum(const float* x, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void softmax_forward(const float* x, float* y, const int32_t* p);
SP_CUDA_LAUNCHER void softmax_backward(const float* y, const float* dy, float* dx, const int32_t* p);
// p = {n}
SP_CUDA_LAUNCHER void sigmoid_bce_forward(const float* x, const float* label, float* loss, const int32_t* p);
SP_CUDA_LAUNCHER void sigmoid_bce_backward(const float* x, const float* label, const float* dloss, float* dx, const int32_t* p);
SP_CUDA_LAUNCHER void axpy(const float* x, float* y, const int32_t* p, float alpha);

// p = {N, C, H, W, R, PH, PW, sampling_ratio}; rois [R, 4] (x1, y1, x2, y2), batch [R] in [0, N)
// (a device copy of the host index array)
SP_CUDA_LAUNCHER void roi_align_forward(const float* x, const float* rois, const int32_t* batch, float* y, const int32_t* p,
                                        float spatial_scale);
SP_CUDA_LAUNCHER void roi_align_backward(const float* dy, const float* rois, const int32_t* batch, float* dx,
                                         const int32_t* p, float spatial_scale);

// Fused kernels (fused_act.h: act 0 relu, 1 leaky_relu, 2 relu6).
// p = conv geometry + {act}
SP_CUDA_LAUNCHER void conv2d_act_forward(const float* x, const float* w, const float* b /*nullable*/, float* y, const int32_t* p,
                        float alpha);
// p = the depthwise layer's conv geometry + {act, OC2, act2}
SP_CUDA_LAUNCHER void dwpw_act_forward(const float* x, const float* wd, const float* bd /*nullable*/, const float* wp,
                                       const float* bp /*nullable*/, float* y, const int32_t* p, float alpha, float alpha2);
// p = {N, C, HW, act}
SP_CUDA_LAUNCHER void batch_norm_act_train_forward(const float* x, const float* scale, const float* bias, float* y,
                                  float* saved_mean, float* saved_invstd, float* running_mean, float* running_var,
                                  const int32_t* p, float eps, float momentum, float alpha);
SP_CUDA_LAUNCHER void batch_norm_act_backward(const float* x, const float* y, const float* dy, const float* scale,
                             const float* saved_mean, const float* saved_invstd, float* dx, float* dscale,
                             float* dbias, const int32_t* p, float alpha);

}  // namespace cuda
}  // namespace sp
