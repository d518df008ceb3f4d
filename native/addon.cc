// The only N-API surface of slimprune: one table of kernels, each with the checks that keep a
// wrong call from crashing the process. Every kernel is exported under its contract name
// (src/backend/kernels.ts) with the flat signature `kernel(...buffers, p, ...floats)`.
// A check failure throws a JS TypeError/RangeError naming the kernel, the argument, what was
// expected and what was found. Kernels themselves trust their arguments.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu.h"
#include "kernels.h"
#include "threadpool.h"

namespace {

using sp::BMode;

enum class BufKind { F32, F32_OPT, I32 };
struct BufDecl {
  const char* name;
  BufKind kind;
};

using Sizes = std::vector<int64_t>;
// Returns an empty string when p is coherent, else what is wrong with it.
using CheckFn = std::string (*)(const int32_t* p, const Sizes& have_i32, const std::vector<const int32_t*>& i32s);
using SizeFn = Sizes (*)(const int32_t* p);
using InvokeFn = void (*)(void** bufs, const int32_t* p, const float* f);

struct Spec {
  const char* name;
  std::vector<BufDecl> bufs;
  int nparams;
  int nfloats;
  SizeFn sizes;
  CheckFn check;
  InvokeFn invoke;
};

constexpr int64_t kMaxElems = (int64_t)1 << 31;

std::string positive(const int32_t* p, std::initializer_list<int> idx, const char* const* names) {
  for (int i : idx)
    if (p[i] < 1) return std::string("expected ") + names[i] + " >= 1, got " + std::to_string(p[i]);
  return "";
}
std::string nonneg(const int32_t* p, std::initializer_list<int> idx, const char* const* names) {
  for (int i : idx)
    if (p[i] < 0) return std::string("expected ") + names[i] + " >= 0, got " + std::to_string(p[i]);
  return "";
}
std::string in_range(const char* what, int32_t v, int32_t lo, int32_t hi) {
  if (v < lo || v > hi)
    return std::string("expected ") + what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
           std::to_string(v);
  return "";
}
#define SP_TRY(expr)                    \
  do {                                  \
    std::string e_ = (expr);            \
    if (!e_.empty()) return e_;         \
  } while (0)

const char* kConvNames[] = {"N", "C", "H", "W", "OC", "KH", "KW", "OH", "OW", "SH", "SW", "PT", "PL", "DH", "DW", "G"};
const char* kPoolNames[] = {"N", "C", "H", "W", "OH", "OW", "KH", "KW", "SH", "SW", "PT", "PL", "kind", "exclusive"};
const char* kUpNames[] = {"N", "C", "H", "W", "OH", "OW", "mode", "align_corners"};
const char* kNCHW[] = {"N", "C", "HW"};
const char* kOKC[] = {"outer", "axis", "inner", "count"};
const char* kGemm[] = {"transA", "transB", "M", "N", "K", "accumulate"};
const char* kBin[] = {"outer", "C", "inner", "op", "bmode"};
const char* kCopy[] = {"outer", "srcC", "srcOff", "dstC", "dstOff", "count", "inner", "accumulate"};
const char* kN[] = {"n", "kind"};
const char* kOLI[] = {"outer", "len", "inner"};
const char* kFold[] = {"OC", "K"};

// ---- geometry checks -------------------------------------------------------------------------
std::string check_conv(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  using namespace sp;
  SP_TRY(positive(p, {CG_N, CG_C, CG_H, CG_W, CG_OC, CG_KH, CG_KW, CG_OH, CG_OW, CG_SH, CG_SW, CG_DH, CG_DW, CG_G}, kConvNames));
  SP_TRY(nonneg(p, {CG_PT, CG_PL}, kConvNames));
  if (p[CG_C] % p[CG_G] || p[CG_OC] % p[CG_G])
    return "expected C and OC divisible by G, got C=" + std::to_string(p[CG_C]) + " OC=" + std::to_string(p[CG_OC]) +
           " G=" + std::to_string(p[CG_G]);
  return "";
}
std::string check_pool(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  using namespace sp;
  SP_TRY(positive(p, {PG_N, PG_C, PG_H, PG_W, PG_OH, PG_OW, PG_KH, PG_KW, PG_SH, PG_SW}, kPoolNames));
  SP_TRY(nonneg(p, {PG_PT, PG_PL}, kPoolNames));
  SP_TRY(in_range("kind", p[PG_KIND], 0, 1));
  return in_range("exclusive", p[PG_EXCLUSIVE], 0, 1);
}
std::string check_upsample(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  using namespace sp;
  SP_TRY(positive(p, {UG_N, UG_C, UG_H, UG_W, UG_OH, UG_OW}, kUpNames));
  SP_TRY(in_range("mode", p[UG_MODE], 0, 1));
  return in_range("align_corners", p[UG_ALIGN], 0, 1);
}
std::string check_nchw(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  return nonneg(p, {0, 1, 2}, kNCHW);
}
std::string check_gather(const int32_t* p, const Sizes&, const std::vector<const int32_t*>& i32s) {
  SP_TRY(nonneg(p, {0, 1, 2, 3}, kOKC));
  const int32_t* idx = i32s[0];
  for (int32_t j = 0; j < p[3]; ++j)
    if (idx[j] < 0 || idx[j] >= p[1])
      return "expected idx[" + std::to_string(j) + "] in [0, " + std::to_string(p[1]) + "), got " + std::to_string(idx[j]);
  return "";
}
std::string check_gemm(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  SP_TRY(in_range("transA", p[0], 0, 1));
  SP_TRY(in_range("transB", p[1], 0, 1));
  SP_TRY(nonneg(p, {2, 3, 4}, kGemm));
  return in_range("accumulate", p[5], 0, 1);
}
std::string check_act(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  SP_TRY(nonneg(p, {0}, kN));
  return in_range("kind", p[1], 0, 5);
}
std::string check_n(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) { return nonneg(p, {0}, kN); }
std::string check_bin(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  SP_TRY(nonneg(p, {0, 1, 2}, kBin));
  SP_TRY(in_range("op", p[3], 0, 2));
  return in_range("bmode", p[4], 0, 2);
}
std::string check_copy(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) {
  SP_TRY(nonneg(p, {0, 1, 2, 3, 4, 5, 6}, kCopy));
  SP_TRY(in_range("accumulate", p[7], 0, 1));
  if ((int64_t)p[2] + p[5] > p[1]) return "expected srcOff + count <= srcC, got " + std::to_string(p[2]) + " + " + std::to_string(p[5]) + " > " + std::to_string(p[1]);
  if ((int64_t)p[4] + p[5] > p[3]) return "expected dstOff + count <= dstC, got " + std::to_string(p[4]) + " + " + std::to_string(p[5]) + " > " + std::to_string(p[3]);
  return "";
}
std::string check_oli(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) { return nonneg(p, {0, 1, 2}, kOLI); }
std::string check_fold(const int32_t* p, const Sizes&, const std::vector<const int32_t*>&) { return nonneg(p, {0, 1}, kFold); }

// ---- sizes (mirror of KERNELS[*].sizes in src/backend/kernels.ts) -----------------------------
int64_t I(int32_t v) { return (int64_t)v; }
struct ConvS { int64_t x, w, b, y; };
ConvS conv_sizes(const int32_t* p) {
  using namespace sp;
  int64_t g = p[CG_G] > 0 ? p[CG_G] : 1;
  return {I(p[CG_N]) * p[CG_C] * p[CG_H] * p[CG_W], I(p[CG_OC]) * (p[CG_C] / g) * p[CG_KH] * p[CG_KW], I(p[CG_OC]),
          I(p[CG_N]) * p[CG_OC] * p[CG_OH] * p[CG_OW]};
}
int64_t bsize(const int32_t* p) { return p[4] == BMode::BM_SAME ? I(p[0]) * p[1] * p[2] : p[4] == BMode::BM_CHANNEL ? I(p[1]) : 1; }

// ---- the table ----------------------------------------------------------------------------------
#define F(i) (static_cast<float*>(b[i]))
#define CF(i) (static_cast<const float*>(b[i]))
#define CI(i) (static_cast<const int32_t*>(b[i]))
constexpr BufKind T = BufKind::F32, O = BufKind::F32_OPT, X = BufKind::I32;

const std::vector<Spec>& table() {
  static const std::vector<Spec> specs = {
      {"gemm", {{"a", T}, {"b", T}, {"c", T}}, 6, 1,
       [](const int32_t* p) { return Sizes{I(p[2]) * p[4], I(p[4]) * p[3], I(p[2]) * p[3]}; }, check_gemm,
       [](void** b, const int32_t* p, const float* f) { sp::gemm(CF(0), CF(1), F(2), p, f[0]); }},
      {"conv2d_forward", {{"x", T}, {"w", T}, {"b", O}, {"y", T}}, 16, 0,
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.x, s.w, s.b, s.y}; }, check_conv,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_forward(CF(0), CF(1), CF(2), F(3), p); }},
      {"conv2d_backward_input", {{"dy", T}, {"w", T}, {"dx", T}}, 16, 0,
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.y, s.w, s.x}; }, check_conv,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_backward_input(CF(0), CF(1), F(2), p); }},
      {"conv2d_backward_filter", {{"x", T}, {"dy", T}, {"dw", T}, {"db", O}}, 16, 0,
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.x, s.y, s.w, s.b}; }, check_conv,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_backward_filter(CF(0), CF(1), F(2), F(3), p); }},
      {"batch_norm_train_forward",
       {{"x", T}, {"scale", T}, {"bias", T}, {"y", T}, {"saved_mean", T}, {"saved_invstd", T}, {"running_mean", T}, {"running_var", T}}, 3, 2,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2], c = p[1]; return Sizes{n, c, c, n, c, c, c, c}; }, check_nchw,
       [](void** b, const int32_t* p, const float* f) {
         sp::batch_norm_train_forward(CF(0), CF(1), CF(2), F(3), F(4), F(5), F(6), F(7), p, f[0], f[1]);
       }},
      {"batch_norm_infer_forward", {{"x", T}, {"scale", T}, {"bias", T}, {"mean", T}, {"var", T}, {"y", T}}, 3, 1,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2], c = p[1]; return Sizes{n, c, c, c, c, n}; }, check_nchw,
       [](void** b, const int32_t* p, const float* f) { sp::batch_norm_infer_forward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), p, f[0]); }},
      {"batch_norm_backward",
       {{"x", T}, {"dy", T}, {"scale", T}, {"saved_mean", T}, {"saved_invstd", T}, {"dx", T}, {"dscale", T}, {"dbias", T}}, 3, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2], c = p[1]; return Sizes{n, n, c, c, c, n, c, c}; }, check_nchw,
       [](void** b, const int32_t* p, const float*) { sp::batch_norm_backward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), F(6), F(7), p); }},
      {"affine_channel_forward", {{"x", T}, {"scale", T}, {"bias", T}, {"y", T}}, 3, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2], c = p[1]; return Sizes{n, c, c, n}; }, check_nchw,
       [](void** b, const int32_t* p, const float*) { sp::affine_channel_forward(CF(0), CF(1), CF(2), F(3), p); }},
      {"affine_channel_backward", {{"x", T}, {"dy", T}, {"scale", T}, {"dx", O}, {"dscale", O}, {"dbias", O}}, 3, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2], c = p[1]; return Sizes{n, n, c, n, c, c}; }, check_nchw,
       [](void** b, const int32_t* p, const float*) { sp::affine_channel_backward(CF(0), CF(1), CF(2), F(3), F(4), F(5), p); }},
      {"bn_fold", {{"w", T}, {"b", O}, {"scale", T}, {"offset", T}, {"mean", T}, {"var", T}, {"w_out", T}, {"b_out", T}}, 2, 1,
       [](const int32_t* p) { int64_t c = p[0]; return Sizes{c * p[1], c, c, c, c, c, c * p[1], c}; }, check_fold,
       [](void** b, const int32_t* p, const float* f) { sp::bn_fold(CF(0), CF(1), CF(2), CF(3), CF(4), CF(5), F(6), F(7), p, f[0]); }},
      {"gather_axis", {{"x", T}, {"idx", X}, {"y", T}}, 4, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[2], I(p[3]), I(p[0]) * p[3] * p[2]}; }, check_gather,
       [](void** b, const int32_t* p, const float*) { sp::gather_axis(CF(0), CI(1), F(2), p); }},
      {"scatter_add_axis", {{"dy", T}, {"idx", X}, {"dx", T}}, 4, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[3] * p[2], I(p[3]), I(p[0]) * p[1] * p[2]}; }, check_gather,
       [](void** b, const int32_t* p, const float*) { sp::scatter_add_axis(CF(0), CI(1), F(2), p); }},
      {"activation_forward", {{"x", T}, {"y", T}}, 2, 1, [](const int32_t* p) { return Sizes{I(p[0]), I(p[0])}; }, check_act,
       [](void** b, const int32_t* p, const float* f) { sp::activation_forward(CF(0), F(1), p, f[0]); }},
      {"activation_backward", {{"x", T}, {"y", T}, {"dy", T}, {"dx", T}}, 2, 1,
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0]), I(p[0])}; }, check_act,
       [](void** b, const int32_t* p, const float* f) { sp::activation_backward(CF(0), CF(1), CF(2), F(3), p, f[0]); }},
      {"pool2d_forward", {{"x", T}, {"y", T}}, 14, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[2] * p[3], I(p[0]) * p[1] * p[4] * p[5]}; }, check_pool,
       [](void** b, const int32_t* p, const float*) { sp::pool2d_forward(CF(0), F(1), p); }},
      {"pool2d_backward", {{"x", T}, {"dy", T}, {"dx", T}}, 14, 0,
       [](const int32_t* p) { int64_t x = I(p[0]) * p[1] * p[2] * p[3]; return Sizes{x, I(p[0]) * p[1] * p[4] * p[5], x}; }, check_pool,
       [](void** b, const int32_t* p, const float*) { sp::pool2d_backward(CF(0), CF(1), F(2), p); }},
      {"upsample_forward", {{"x", T}, {"y", T}}, 8, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[2] * p[3], I(p[0]) * p[1] * p[4] * p[5]}; }, check_upsample,
       [](void** b, const int32_t* p, const float*) { sp::upsample_forward(CF(0), F(1), p); }},
      {"upsample_backward", {{"dy", T}, {"dx", T}}, 8, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[4] * p[5], I(p[0]) * p[1] * p[2] * p[3]}; }, check_upsample,
       [](void** b, const int32_t* p, const float*) { sp::upsample_backward(CF(0), F(1), p); }},
      {"binary_forward", {{"a", T}, {"b", T}, {"y", T}}, 5, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2]; return Sizes{n, bsize(p), n}; }, check_bin,
       [](void** b, const int32_t* p, const float*) { sp::binary_forward(CF(0), CF(1), F(2), p); }},
      {"binary_backward", {{"a", T}, {"b", T}, {"dy", T}, {"da", O}, {"db", O}}, 5, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2]; return Sizes{n, bsize(p), n, n, bsize(p)}; }, check_bin,
       [](void** b, const int32_t* p, const float*) { sp::binary_backward(CF(0), CF(1), CF(2), F(3), F(4), p); }},
      {"channel_copy", {{"src", T}, {"dst", T}}, 8, 0,
       [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[6], I(p[0]) * p[3] * p[6]}; }, check_copy,
       [](void** b, const int32_t* p, const float*) { sp::channel_copy(CF(0), F(1), p); }},
      {"sgd_momentum", {{"param", T}, {"grad", T}, {"velocity", T}}, 1, 3,
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0])}; }, check_n,
       [](void** b, const int32_t* p, const float* f) { sp::sgd_momentum(F(0), CF(1), F(2), p, f[0], f[1], f[2]); }},
      {"reduce_sum", {{"x", T}, {"y", T}}, 3, 0, [](const int32_t* p) { return Sizes{I(p[0]) * p[1] * p[2], I(p[0]) * p[2]}; },
       check_oli, [](void** b, const int32_t* p, const float*) { sp::reduce_sum(CF(0), F(1), p); }},
      {"softmax_forward", {{"x", T}, {"y", T}}, 3, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2]; return Sizes{n, n}; }, check_oli,
       [](void** b, const int32_t* p, const float*) { sp::softmax_forward(CF(0), F(1), p); }},
      {"softmax_backward", {{"y", T}, {"dy", T}, {"dx", T}}, 3, 0,
       [](const int32_t* p) { int64_t n = I(p[0]) * p[1] * p[2]; return Sizes{n, n, n}; }, check_oli,
       [](void** b, const int32_t* p, const float*) { sp::softmax_backward(CF(0), CF(1), F(2), p); }},
      {"sigmoid_bce_forward", {{"x", T}, {"label", T}, {"loss", T}}, 1, 0,
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0])}; }, check_n,
       [](void** b, const int32_t* p, const float*) { sp::sigmoid_bce_forward(CF(0), CF(1), F(2), p); }},
      {"sigmoid_bce_backward", {{"x", T}, {"label", T}, {"dloss", T}, {"dx", T}}, 1, 0,
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0]), I(p[0])}; }, check_n,
       [](void** b, const int32_t* p, const float*) { sp::sigmoid_bce_backward(CF(0), CF(1), CF(2), F(3), p); }},
      {"axpy", {{"x", T}, {"y", T}}, 1, 1, [](const int32_t* p) { return Sizes{I(p[0]), I(p[0])}; }, check_n,
       [](void** b, const int32_t* p, const float* f) { sp::axpy(CF(0), F(1), p, f[0]); }},
  };
  return specs;
}

// ---- the generic wrapper ------------------------------------------------------------------------
Napi::Value CallKernel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Spec& s = *static_cast<const Spec*>(info.Data());
  const std::string who = std::string(s.name) + ": ";
  const size_t nb = s.bufs.size();
  const size_t want = nb + 1 + s.nfloats;
  if (info.Length() != want) {
    Napi::TypeError::New(env, who + "expected " + std::to_string(want) + " arguments, got " + std::to_string(info.Length()))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // p: Int32Array or array of integers.
  int32_t p[32] = {0};
  const Napi::Value pv = info[nb];
  if (pv.IsTypedArray() && pv.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto a = pv.As<Napi::Int32Array>();
    if ((int)a.ElementLength() != s.nparams) {
      Napi::RangeError::New(env, who + "expected " + std::to_string(s.nparams) + " geometry integers for p, got " +
                                     std::to_string(a.ElementLength())).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    for (int i = 0; i < s.nparams; ++i) p[i] = a[i];
  } else if (pv.IsArray()) {
    auto a = pv.As<Napi::Array>();
    if ((int)a.Length() != s.nparams) {
      Napi::RangeError::New(env, who + "expected " + std::to_string(s.nparams) + " geometry integers for p, got " +
                                     std::to_string(a.Length())).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    for (int i = 0; i < s.nparams; ++i) {
      Napi::Value v = a.Get((uint32_t)i);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.5;
      if (!v.IsNumber() || d != (double)(int32_t)d) {
        Napi::TypeError::New(env, who + "expected an int32 for p[" + std::to_string(i) + "], got " +
                                      v.ToString().Utf8Value()).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      p[i] = (int32_t)d;
    }
  } else {
    Napi::TypeError::New(env, who + "expected an Int32Array or array of integers for p, got " + pv.ToString().Utf8Value())
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  float fl[8] = {0};
  for (int i = 0; i < s.nfloats; ++i) {
    Napi::Value v = info[nb + 1 + i];
    if (!v.IsNumber()) {
      Napi::TypeError::New(env, who + "expected a number for float argument " + std::to_string(i) + ", got " + v.ToString().Utf8Value())
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    fl[i] = (float)v.As<Napi::Number>().DoubleValue();
  }
  // Buffers: types first, then geometry (which may read index buffers), then sizes.
  void* bufs[16] = {nullptr};
  Sizes have(nb, 0);
  std::vector<const int32_t*> i32s;
  for (size_t i = 0; i < nb; ++i) {
    const BufDecl& d = s.bufs[i];
    Napi::Value v = info[i];
    if (d.kind == BufKind::F32_OPT && (v.IsNull() || v.IsUndefined())) continue;
    napi_typedarray_type want_t = d.kind == BufKind::I32 ? napi_int32_array : napi_float32_array;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want_t) {
      Napi::TypeError::New(env, who + "expected " + (d.kind == BufKind::I32 ? "an Int32Array" : "a Float32Array") +
                                    (d.kind == BufKind::F32_OPT ? " or null" : "") + " for " + d.name + ", got " +
                                    (v.IsTypedArray() ? "another typed array" : v.IsNull() ? "null" : v.ToString().Utf8Value()))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto ta = v.As<Napi::TypedArray>();
    // A detached buffer (transferred to a worker, say) may still report its old length: count
    // only the bytes its ArrayBuffer really has, and never hand a kernel a null pointer.
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    const size_t off = ta.ByteOffset(), ab_bytes = ab.Data() ? ab.ByteLength() : 0;
    have[i] = std::min<int64_t>((int64_t)ta.ElementLength(), ab_bytes > off ? (int64_t)((ab_bytes - off) / 4) : 0);
    static float empty_storage[1];
    bufs[i] = ab.Data() ? static_cast<uint8_t*>(ab.Data()) + off : static_cast<void*>(empty_storage);
    if (d.kind == BufKind::I32) i32s.push_back(static_cast<const int32_t*>(bufs[i]));
  }
  // Index buffers must be long enough before the geometry check reads them.
  Sizes need = s.sizes(p);
  for (size_t i = 0; i < nb; ++i) {
    if (s.bufs[i].kind == BufKind::I32 && have[i] < need[i]) {
      Napi::RangeError::New(env, who + "expected at least " + std::to_string(need[i]) + " elements in " + s.bufs[i].name +
                                     ", got " + std::to_string(have[i])).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  std::string bad = s.check(p, have, i32s);
  if (!bad.empty()) {
    Napi::RangeError::New(env, who + bad).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  for (size_t i = 0; i < nb; ++i) {
    if (need[i] >= kMaxElems) {
      Napi::RangeError::New(env, who + "expected fewer than 2^31 elements in " + s.bufs[i].name + ", got " + std::to_string(need[i]))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!bufs[i]) continue;  // absent optional
    if (have[i] < need[i]) {
      Napi::RangeError::New(env, who + "expected at least " + std::to_string(need[i]) + " elements in " + s.bufs[i].name +
                                     ", got " + std::to_string(have[i])).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  s.invoke(bufs, p, fl);
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setThreads: expected a number of threads, got " + (info.Length() ? info[0].ToString().Utf8Value() : std::string("nothing")))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 0 && n <= 1024) || n != (double)(int)n) {
    Napi::RangeError::New(env, "setThreads: expected an integer in [0, 1024] (0: all cores), got " + info[0].ToString().Utf8Value())
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  sp::set_num_threads((int)n);
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sp::get_num_threads()); }

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("avx2", sp::cpu_has_avx2_fma());
  o.Set("avx512", sp::cpu_has_avx512());
  o.Set("isa", sp::cpu_isa_name());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object kernels = Napi::Object::New(env);
  for (const Spec& s : table())
    kernels.Set(s.name, Napi::Function::New(env, CallKernel, s.name, const_cast<Spec*>(&s)));
  exports.Set("kernels", kernels);
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("cuda", Napi::Boolean::New(env,
#ifdef SLIMPRUNE_WITH_CUDA
                                         true
#else
                                         false
#endif
                                         ));
  return exports;
}

}  // namespace

NODE_API_MODULE(slimprune, Init)
