// The export table of the wasm-em backend: the same C++ kernels built with emscripten into a
// standalone module (scripts/build-wasm-em.js -> asm/build/slimprune-em.wasm). Each kernel is
// exported under its contract name (src/backend/kernels.ts) with the flat signature the shared
// WASM host expects (src/backend/wasm_backend.ts): byte pointers into linear memory for the
// buffers (0 for an absent optional one), a pointer to the int32 geometry p, then the floats.
// The kernels check nothing: the host wrapper validates every call against the contract
// (src/backend/contract_check.ts) before it gets here, and after a trap restores the stack
// pointer with the module's stackRestore.
// Only emcc compiles this file; in the native addon build it is empty.
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstdlib>

#include "cpu.h"
#include "kernels.h"

#define SP_EXPORT extern "C" EMSCRIPTEN_KEEPALIVE

using F = float*;
using CF = const float*;
using CI = const int32_t*;

// The largest block handed out: the module's memory is capped at 2 GiB, and a count this far
// below 2^32 cannot wrap when malloc adds its header and rounds up. 0 means "cannot honour".
static constexpr size_t kMaxAllocBytes = size_t(0x7fff0000);
SP_EXPORT void* sp_alloc(size_t bytes) { return bytes > kMaxAllocBytes ? nullptr : std::malloc(bytes == 0 ? 1 : bytes); }
SP_EXPORT void sp_free(void* ptr) { std::free(ptr); }
// "wasm-simd128": the ISA these kernels were built for, as a NUL-terminated string.
SP_EXPORT const char* sp_isa() { return sp::cpu_isa_name(); }

SP_EXPORT void gemm(CF a, CF b, F c, CI p, float alpha) { sp::gemm(a, b, c, p, alpha); }
SP_EXPORT void conv2d_forward(CF x, CF w, CF b, F y, CI p) { sp::conv2d_forward(x, w, b, y, p); }
SP_EXPORT void conv2d_backward_input(CF dy, CF w, F dx, CI p) { sp::conv2d_backward_input(dy, w, dx, p); }
SP_EXPORT void conv2d_backward_filter(CF x, CF dy, F dw, F db, CI p) { sp::conv2d_backward_filter(x, dy, dw, db, p); }
SP_EXPORT void batch_norm_train_forward(CF x, CF scale, CF bias, F y, F saved_mean, F saved_invstd, F running_mean,
                                        F running_var, CI p, float eps, float momentum) {
  sp::batch_norm_train_forward(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum);
}
SP_EXPORT void batch_norm_infer_forward(CF x, CF scale, CF bias, CF mean, CF var, F y, CI p, float eps) {
  sp::batch_norm_infer_forward(x, scale, bias, mean, var, y, p, eps);
}
SP_EXPORT void batch_norm_backward(CF x, CF dy, CF scale, CF saved_mean, CF saved_invstd, F dx, F dscale, F dbias, CI p) {
  sp::batch_norm_backward(x, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p);
}
SP_EXPORT void affine_channel_forward(CF x, CF scale, CF bias, F y, CI p) { sp::affine_channel_forward(x, scale, bias, y, p); }
SP_EXPORT void affine_channel_backward(CF x, CF dy, CF scale, F dx, F dscale, F dbias, CI p) {
  sp::affine_channel_backward(x, dy, scale, dx, dscale, dbias, p);
}
SP_EXPORT void bn_fold(CF w, CF b, CF scale, CF offset, CF mean, CF var, F w_out, F b_out, CI p, float eps) {
  sp::bn_fold(w, b, scale, offset, mean, var, w_out, b_out, p, eps);
}
SP_EXPORT void gather_axis(CF x, CI idx, F y, CI p) { sp::gather_axis(x, idx, y, p); }
SP_EXPORT void scatter_add_axis(CF dy, CI idx, F dx, CI p) { sp::scatter_add_axis(dy, idx, dx, p); }
SP_EXPORT void activation_forward(CF x, F y, CI p, float alpha) { sp::activation_forward(x, y, p, alpha); }
SP_EXPORT void activation_backward(CF x, CF y, CF dy, F dx, CI p, float alpha) { sp::activation_backward(x, y, dy, dx, p, alpha); }
SP_EXPORT void pool2d_forward(CF x, F y, CI p) { sp::pool2d_forward(x, y, p); }
SP_EXPORT void pool2d_backward(CF x, CF dy, F dx, CI p) { sp::pool2d_backward(x, dy, dx, p); }
SP_EXPORT void upsample_forward(CF x, F y, CI p) { sp::upsample_forward(x, y, p); }
SP_EXPORT void upsample_backward(CF dy, F dx, CI p) { sp::upsample_backward(dy, dx, p); }
SP_EXPORT void binary_forward(CF a, CF b, F y, CI p) { sp::binary_forward(a, b, y, p); }
SP_EXPORT void binary_backward(CF a, CF b, CF dy, F da, F db, CI p) { sp::binary_backward(a, b, dy, da, db, p); }
SP_EXPORT void channel_copy(CF src, F dst, CI p) { sp::channel_copy(src, dst, p); }
SP_EXPORT void sgd_momentum(F param, CF grad, F velocity, CI p, float lr, float momentum, float l2) {
  sp::sgd_momentum(param, grad, velocity, p, lr, momentum, l2);
}
SP_EXPORT void reduce_sum(CF x, F y, CI p) { sp::reduce_sum(x, y, p); }
SP_EXPORT void softmax_forward(CF x, F y, CI p) { sp::softmax_forward(x, y, p); }
SP_EXPORT void softmax_backward(CF y, CF dy, F dx, CI p) { sp::softmax_backward(y, dy, dx, p); }
SP_EXPORT void roi_align_forward(CF x, CF rois, CI batch, F y, CI p, float spatial_scale) {
  sp::roi_align_forward(x, rois, batch, y, p, spatial_scale);
}
SP_EXPORT void roi_align_backward(CF dy, CF rois, CI batch, F dx, CI p, float spatial_scale) {
  sp::roi_align_backward(dy, rois, batch, dx, p, spatial_scale);
}
SP_EXPORT void sigmoid_bce_forward(CF x, CF label, F loss, CI p) { sp::sigmoid_bce_forward(x, label, loss, p); }
SP_EXPORT void sigmoid_bce_backward(CF x, CF label, CF dloss, F dx, CI p) { sp::sigmoid_bce_backward(x, label, dloss, dx, p); }
SP_EXPORT void axpy(CF x, F y, CI p, float alpha) { sp::axpy(x, y, p, alpha); }
SP_EXPORT void conv2d_act_forward(CF x, CF w, CF b, F y, CI p, float alpha) { sp::conv2d_act_forward(x, w, b, y, p, alpha); }
SP_EXPORT void dwpw_act_forward(CF x, CF wd, CF bd, CF wp, CF bp, F y, CI p, float alpha, float alpha2) {
  sp::dwpw_act_forward(x, wd, bd, wp, bp, y, p, alpha, alpha2);
}
SP_EXPORT void batch_norm_act_train_forward(CF x, CF scale, CF bias, F y, F saved_mean, F saved_invstd, F running_mean,
                                            F running_var, CI p, float eps, float momentum, float alpha) {
  sp::batch_norm_act_train_forward(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum,
                                   alpha);
}
SP_EXPORT void batch_norm_act_backward(CF x, CF y, CF dy, CF scale, CF saved_mean, CF saved_invstd, F dx, F dscale, F dbias,
                                       CI p, float alpha) {
  sp::batch_norm_act_backward(x, y, dy, scale, saved_mean, saved_invstd, dx, dscale, dbias, p, alpha);
}

#endif  // __EMSCRIPTEN__
