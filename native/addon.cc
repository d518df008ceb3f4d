// The only N-API surface of slimprune: one table of kernels, each with the checks that keep a
// wrong call from crashing the process. Every kernel is exported under its contract name
// (src/backend/kernels.ts) with the flat signature `kernel(...buffers, p, ...floats)`.
// A check failure throws a JS TypeError/RangeError shaped `<kernel>: expected <what> for <name>,
// got <value>`. Kernels themselves trust their arguments, so everything is checked here first:
//  - any JS value may arrive anywhere: a bad one is described by its type (numbers, booleans and
//    short strings are printed, never converted: no toString/valueOf of the caller runs), and an
//    exception thrown by a getter inside `p` becomes that kernel's TypeError;
//  - buffers are read through napi_get_typedarray_info, so views of a SharedArrayBuffer work in
//    place, and a detached or shrunk buffer counts as the elements it really still has;
//  - limits (kernels.h, src/backend/limits.ts, README "Limits"): every dimension-like geometry
//    integer is in [0 or 1, 2^24]; every tensor has at most 2^31 - 1 elements, its size computed
//    with overflow-checked 64-bit products; conv and pool outputs imply a bottom/right padding of
//    at most 2^24; one scratch buffer is at most 1 GiB (a bigger need is a RangeError, an
//    allocation failure an Error, both thrown here instead of aborting).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "cpu.h"
#include "conv2d_blocked.h"
#include "conv_common.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "threadpool.h"
#ifdef SLIMPRUNE_WITH_CUDA
#include "cuda/kernels_cuda.h"
#include "cuda/runtime.h"
#endif

namespace {

using sp::BMode;
using sp::kMaxDim;
using sp::kMaxElems;

enum class BufKind { F32, F32_OPT, I32 };
struct BufDecl {
  const char* name;
  BufKind kind;
};
// One geometry integer: its name (as in src/backend/kernels.ts) and its allowed range.
struct Param {
  const char* name;
  int64_t lo, hi;
};

using Sizes = std::vector<int64_t>;
// Relations between geometry integers (after each is in range): empty when coherent, else the
// message tail "expected ... for ..., got ...".
using RelFn = std::string (*)(const int32_t* p);
// Checks that read the buffers (index values): same contract, called once sizes are known good.
using DataFn = std::string (*)(const int32_t* p, void* const* bufs);
using SizeFn = Sizes (*)(const int32_t* p);
using InvokeFn = void (*)(void** bufs, const int32_t* p, const float* f);

struct Spec {
  const char* name;
  std::vector<BufDecl> bufs;
  std::vector<Param> params;
  std::vector<const char*> floats;
  SizeFn sizes;
  RelFn relation;  // may be null
  DataFn data;     // may be null
  InvokeFn invoke;
};

std::string S(int64_t v) { return std::to_string(v); }

// Shortest decimal that reads back as d (JS-like: integers without exponent up to 2^53).
std::string number_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) return S((int64_t)d);
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// A description of any JS value that runs none of its code: the type, plus the value itself for
// numbers, booleans and (the start of) strings.
std::string describe(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return "an unreadable value";
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: {
      bool b = false;
      napi_get_value_bool(env, v, &b);
      return b ? "true" : "false";
    }
    case napi_number: {
      double d = 0;
      napi_get_value_double(env, v, &d);
      return number_text(d);
    }
    case napi_string: {
      char buf[36];
      size_t n = 0, total = 0;
      napi_get_value_string_utf8(env, v, nullptr, 0, &total);
      napi_get_value_string_utf8(env, v, buf, sizeof buf, &n);
      return "'" + std::string(buf, n) + (total > n ? "...'" : "'");
    }
    case napi_symbol: return "a Symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a BigInt";
    case napi_external: return "an external value";
    case napi_object: break;
  }
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type tt;
    size_t len = 0;
    if (napi_get_typedarray_info(env, v, &tt, &len, nullptr, nullptr, nullptr) != napi_ok) return "a typed array";
    static const char* names[] = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
                                  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array",
                                  "BigUint64Array"};
    const char* nm = (int)tt >= 0 && (int)tt < 11 ? names[(int)tt] : "typed array";
    return std::string(nm[0] == 'I' || nm[0] == 'U' ? "an " : "a ") + nm + " of length " + S((int64_t)len);
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) return "a DataView";
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) return "an ArrayBuffer";
  if (napi_is_array(env, v, &is) == napi_ok && is) {
    uint32_t len = 0;
    napi_get_array_length(env, v, &len);
    return "an array of length " + S(len);
  }
  return "an object";
}

// Throws a JS error of the given kind with `kernel: msg` unless one is already pending.
enum class ErrKind { Type, Range, Plain };
void throw_error(napi_env env, ErrKind kind, const std::string& msg) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  if (kind == ErrKind::Type)
    napi_throw_type_error(env, nullptr, msg.c_str());
  else if (kind == ErrKind::Range)
    napi_throw_range_error(env, nullptr, msg.c_str());
  else
    napi_throw_error(env, nullptr, msg.c_str());
}

// A caught exception from the caller's code (a throwing getter) is dropped: the kernel reports
// its own TypeError instead, so every failure of a kernel call has the same shape.
void clear_pending(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

// Non-negative products, saturating at INT64_MAX instead of wrapping.
int64_t mul(std::initializer_list<int64_t> xs) {
  int64_t r = 1;
  for (int64_t x : xs) {
    if (x <= 0) return 0;
    if (__builtin_mul_overflow(r, x, &r)) return INT64_MAX;
  }
  return r;
}
std::string count_text(int64_t v) { return v == INT64_MAX ? "more than 2^63" : S(v); }

// ---- parameter ranges ---------------------------------------------------------------------------
// D1: a size, extent, stride or dilation; D0: a padding, offset or count along one axis; E0: a flat
// element count (bounded by the tensor limit); B: a 0/1 flag.
Param D1(const char* n) { return {n, 1, kMaxDim}; }
Param D0(const char* n) { return {n, 0, kMaxDim}; }
Param E0(const char* n) { return {n, 0, kMaxElems}; }
Param B(const char* n) { return {n, 0, 1}; }
Param R(const char* n, int64_t lo, int64_t hi) { return {n, lo, hi}; }

const std::vector<Param> kConvParams = {D1("N"),  D1("C"),  D1("H"),  D1("W"),  D1("OC"), D1("KH"), D1("KW"), D1("OH"),
                                        D1("OW"), D1("SH"), D1("SW"), D0("PT"), D0("PL"), D1("DH"), D1("DW"), D1("G")};
const std::vector<Param> kPoolParams = {D1("N"),  D1("C"),  D1("H"),  D1("W"),  D1("OH"),      D1("OW"),  D1("KH"),
                                        D1("KW"), D1("SH"), D1("SW"), D0("PT"), D0("PL"), R("kind", 0, 1),
                                        B("exclusive")};
const std::vector<Param> kUpParams = {D1("N"), D1("C"), D1("H"), D1("W"), D1("OH"), D1("OW"), R("mode", 0, 1), B("align_corners")};
const std::vector<Param> kNCHW = {D0("N"), D0("C"), E0("HW")};
const std::vector<Param> kOKC = {E0("outer"), D0("axis"), E0("inner"), D0("count")};
const std::vector<Param> kOLI = {E0("outer"), E0("len"), E0("inner")};
// RoIAlign: sizes >= 1 (the kernels divide by PH, PW), any roi count, sampling_ratio 0 (adaptive)
// to 64: each bin averages sampling_ratio^2 samples, so a huge ratio would keep a kernel busy for hours.
const std::vector<Param> kRoiParams = {D1("N"), D0("C"), D1("H"), D1("W"), D0("R"), D1("PH"), D1("PW"), R("sampling_ratio", 0, 64)};
// The fused kernels: the unfused geometry plus the activation code (0 relu, 1 leaky_relu, 2 relu6).
const std::vector<Param> kConvActParams = [] {
  std::vector<Param> v = kConvParams;
  v.push_back(R("act", 0, 2));
  return v;
}();
const std::vector<Param> kNCHWAct = {D0("N"), D0("C"), E0("HW"), R("act", 0, 2)};
// dwpw_act_forward: the depthwise layer's geometry and activation, the pointwise layer's output
// channels and activation.
const std::vector<Param> kDwPwParams = [] {
  std::vector<Param> v = kConvActParams;
  v.push_back(D1("OC2"));
  v.push_back(R("act2", 0, 2));
  return v;
}();

// ---- relations (the TS op layer computes OH/OW; the kernels accept any OH/OW whose implied
// bottom/right padding is in [.., 2^24]: that bounds every position they compute) ---------------
// Output extent `o` of an axis of size `in`, top padding `pad`, kernel `k`, dilation `d`, stride
// `st`: floor((in + pad + pb - ((k-1)*d + 1)) / st) + 1 = o needs a bottom padding pb >= 0 with
// (o-1)*st + (k-1)*d + 1 <= in + pad + pb; the smallest such pb must be at most kMaxDim.
std::string axis_relation(const char* o_name, int64_t o, int64_t in, int64_t pad, int64_t k, int64_t d, int64_t st,
                          const char* axis) {
  const int64_t reach = (o - 1) * st + (k - 1) * d + 1;  // each factor <= 2^24: no overflow
  const int64_t pb = reach - in - pad;
  if (pb > kMaxDim)
    return std::string("expected ") + o_name + " with an implied " + axis + " padding of at most 2^24 for p, got " +
           o_name + "=" + S(o) + " which needs " + S(pb);
  return "";
}
std::string rel_conv(const int32_t* p) {
  using namespace sp;
  if (p[CG_C] % p[CG_G] || p[CG_OC] % p[CG_G])
    return "expected C and OC divisible by G for p, got C=" + S(p[CG_C]) + " OC=" + S(p[CG_OC]) + " G=" + S(p[CG_G]);
  const int64_t kg = mul({p[CG_C] / p[CG_G], p[CG_KH], p[CG_KW]});
  if (kg >= kMaxElems)  // the GEMM depth (plus a bias row) is an int in the kernels
    return "expected C/G*KH*KW < 2^31 - 1 for p, got " + count_text(kg);
  std::string e = axis_relation("OH", p[CG_OH], p[CG_H], p[CG_PT], p[CG_KH], p[CG_DH], p[CG_SH], "bottom");
  return e.empty() ? axis_relation("OW", p[CG_OW], p[CG_W], p[CG_PL], p[CG_KW], p[CG_DW], p[CG_SW], "right") : e;
}
std::string rel_dwpw(const int32_t* p) {
  using namespace sp;
  if (p[CG_G] != p[CG_C] || p[CG_OC] != p[CG_C])
    return "expected a depthwise layer (G == C == OC) for p, got C=" + S(p[CG_C]) + " OC=" + S(p[CG_OC]) + " G=" +
           S(p[CG_G]);
  return rel_conv(p);
}
std::string rel_pool(const int32_t* p) {
  using namespace sp;
  std::string e = axis_relation("OH", p[PG_OH], p[PG_H], p[PG_PT], p[PG_KH], 1, p[PG_SH], "bottom");
  return e.empty() ? axis_relation("OW", p[PG_OW], p[PG_W], p[PG_PL], p[PG_KW], 1, p[PG_SW], "right") : e;
}
std::string rel_copy(const int32_t* p) {
  if ((int64_t)p[2] + p[5] > p[1])
    return "expected srcOff + count <= srcC for p, got " + S(p[2]) + " + " + S(p[5]) + " > " + S(p[1]);
  if ((int64_t)p[4] + p[5] > p[3])
    return "expected dstOff + count <= dstC for p, got " + S(p[4]) + " + " + S(p[5]) + " > " + S(p[3]);
  return "";
}
std::string data_gather(const int32_t* p, void* const* bufs) {
  const int32_t* idx = static_cast<const int32_t*>(bufs[1]);
  for (int32_t j = 0; j < p[3]; ++j)
    if (idx[j] < 0 || idx[j] >= p[1])
      return "expected an index in [0, " + S(p[1]) + ") for idx[" + S(j) + "], got " + S(idx[j]);
  return "";
}

std::string data_roi_batch(const int32_t* p, void* const* bufs) {
  const int32_t* batch = static_cast<const int32_t*>(bufs[2]);
  for (int32_t r = 0; r < p[4]; ++r)
    if (batch[r] < 0 || batch[r] >= p[0])
      return "expected a batch index in [0, " + S(p[0]) + ") for batch[" + S(r) + "], got " + S(batch[r]);
  return "";
}

// ---- sizes (mirror of KERNELS[*].sizes in src/backend/kernels.ts, overflow-checked) ----------
int64_t I(int32_t v) { return (int64_t)v; }
struct ConvS { int64_t x, w, b, y; };
ConvS conv_sizes(const int32_t* p) {
  using namespace sp;
  const int64_t g = p[CG_G] > 0 ? p[CG_G] : 1;
  return {mul({p[CG_N], p[CG_C], p[CG_H], p[CG_W]}), mul({p[CG_OC], p[CG_C] / g, p[CG_KH], p[CG_KW]}), I(p[CG_OC]),
          mul({p[CG_N], p[CG_OC], p[CG_OH], p[CG_OW]})};
}
int64_t bsize(const int32_t* p) { return p[4] == BMode::BM_SAME ? mul({p[0], p[1], p[2]}) : p[4] == BMode::BM_CHANNEL ? I(p[1]) : 1; }

// ---- the table ----------------------------------------------------------------------------------
#define F(i) (static_cast<float*>(b[i]))
#define CF(i) (static_cast<const float*>(b[i]))
#define CI(i) (static_cast<const int32_t*>(b[i]))
constexpr BufKind T = BufKind::F32, O = BufKind::F32_OPT, X = BufKind::I32;

const std::vector<Spec>& table() {
  static const std::vector<Spec> specs = {
      {"gemm", {{"a", T}, {"b", T}, {"c", T}}, {B("transA"), B("transB"), E0("M"), E0("N"), E0("K"), B("accumulate")}, {"alpha"},
       [](const int32_t* p) { return Sizes{mul({p[2], p[4]}), mul({p[4], p[3]}), mul({p[2], p[3]})}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::gemm(CF(0), CF(1), F(2), p, f[0]); }},
      {"conv2d_forward", {{"x", T}, {"w", T}, {"b", O}, {"y", T}}, kConvParams, {},
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.x, s.w, s.b, s.y}; }, rel_conv, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_forward(CF(0), CF(1), CF(2), F(3), p); }},
      {"conv2d_backward_input", {{"dy", T}, {"w", T}, {"dx", T}}, kConvParams, {},
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.y, s.w, s.x}; }, rel_conv, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_backward_input(CF(0), CF(1), F(2), p); }},
      {"conv2d_backward_filter", {{"x", T}, {"dy", T}, {"dw", T}, {"db", O}}, kConvParams, {},
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.x, s.y, s.w, s.b}; }, rel_conv, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::conv2d_backward_filter(CF(0), CF(1), F(2), F(3), p); }},
      {"batch_norm_train_forward",
       {{"x", T}, {"scale", T}, {"bias", T}, {"y", T}, {"saved_mean", T}, {"saved_invstd", T}, {"running_mean", T}, {"running_var", T}},
       kNCHW, {"eps", "momentum"},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, c, c, n, c, c, c, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) {
         sp::batch_norm_train_forward(CF(0), CF(1), CF(2), F(3), F(4), F(5), F(6), F(7), p, f[0], f[1]);
       }},
      {"batch_norm_infer_forward", {{"x", T}, {"scale", T}, {"bias", T}, {"mean", T}, {"var", T}, {"y", T}}, kNCHW, {"eps"},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, c, c, c, c, n}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::batch_norm_infer_forward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), p, f[0]); }},
      {"batch_norm_backward",
       {{"x", T}, {"dy", T}, {"scale", T}, {"saved_mean", T}, {"saved_invstd", T}, {"dx", T}, {"dscale", T}, {"dbias", T}}, kNCHW, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, n, c, c, c, n, c, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::batch_norm_backward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), F(6), F(7), p); }},
      {"affine_channel_forward", {{"x", T}, {"scale", T}, {"bias", T}, {"y", T}}, kNCHW, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, c, c, n}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::affine_channel_forward(CF(0), CF(1), CF(2), F(3), p); }},
      {"affine_channel_backward", {{"x", T}, {"dy", T}, {"scale", T}, {"dx", O}, {"dscale", O}, {"dbias", O}}, kNCHW, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, n, c, n, c, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::affine_channel_backward(CF(0), CF(1), CF(2), F(3), F(4), F(5), p); }},
      {"bn_fold", {{"w", T}, {"b", O}, {"scale", T}, {"offset", T}, {"mean", T}, {"var", T}, {"w_out", T}, {"b_out", T}},
       {D0("OC"), E0("K")}, {"eps"},
       [](const int32_t* p) { int64_t c = p[0], w = mul({p[0], p[1]}); return Sizes{w, c, c, c, c, c, w, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::bn_fold(CF(0), CF(1), CF(2), CF(3), CF(4), CF(5), F(6), F(7), p, f[0]); }},
      {"gather_axis", {{"x", T}, {"idx", X}, {"y", T}}, kOKC, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[2]}), I(p[3]), mul({p[0], p[3], p[2]})}; }, nullptr, data_gather,
       [](void** b, const int32_t* p, const float*) { sp::gather_axis(CF(0), CI(1), F(2), p); }},
      {"scatter_add_axis", {{"dy", T}, {"idx", X}, {"dx", T}}, kOKC, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[3], p[2]}), I(p[3]), mul({p[0], p[1], p[2]})}; }, nullptr, data_gather,
       [](void** b, const int32_t* p, const float*) { sp::scatter_add_axis(CF(0), CI(1), F(2), p); }},
      {"activation_forward", {{"x", T}, {"y", T}}, {E0("n"), R("kind", 0, 5)}, {"alpha"},
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0])}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::activation_forward(CF(0), F(1), p, f[0]); }},
      {"activation_backward", {{"x", T}, {"y", T}, {"dy", T}, {"dx", T}}, {E0("n"), R("kind", 0, 5)}, {"alpha"},
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0]), I(p[0])}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::activation_backward(CF(0), CF(1), CF(2), F(3), p, f[0]); }},
      {"pool2d_forward", {{"x", T}, {"y", T}}, kPoolParams, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[2], p[3]}), mul({p[0], p[1], p[4], p[5]})}; }, rel_pool, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::pool2d_forward(CF(0), F(1), p); }},
      {"pool2d_backward", {{"x", T}, {"dy", T}, {"dx", T}}, kPoolParams, {},
       [](const int32_t* p) { int64_t x = mul({p[0], p[1], p[2], p[3]}); return Sizes{x, mul({p[0], p[1], p[4], p[5]}), x}; }, rel_pool,
       nullptr, [](void** b, const int32_t* p, const float*) { sp::pool2d_backward(CF(0), CF(1), F(2), p); }},
      {"upsample_forward", {{"x", T}, {"y", T}}, kUpParams, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[2], p[3]}), mul({p[0], p[1], p[4], p[5]})}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::upsample_forward(CF(0), F(1), p); }},
      {"upsample_backward", {{"dy", T}, {"dx", T}}, kUpParams, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[4], p[5]}), mul({p[0], p[1], p[2], p[3]})}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::upsample_backward(CF(0), F(1), p); }},
      {"binary_forward", {{"a", T}, {"b", T}, {"y", T}}, {E0("outer"), E0("C"), E0("inner"), R("op", 0, 2), R("bmode", 0, 2)}, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}); return Sizes{n, bsize(p), n}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::binary_forward(CF(0), CF(1), F(2), p); }},
      {"binary_backward", {{"a", T}, {"b", T}, {"dy", T}, {"da", O}, {"db", O}},
       {E0("outer"), E0("C"), E0("inner"), R("op", 0, 2), R("bmode", 0, 2)}, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}); return Sizes{n, bsize(p), n, n, bsize(p)}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::binary_backward(CF(0), CF(1), CF(2), F(3), F(4), p); }},
      {"channel_copy", {{"src", T}, {"dst", T}},
       {E0("outer"), E0("srcC"), E0("srcOff"), E0("dstC"), E0("dstOff"), E0("count"), E0("inner"), B("accumulate")}, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[6]}), mul({p[0], p[3], p[6]})}; }, rel_copy, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::channel_copy(CF(0), F(1), p); }},
      {"sgd_momentum", {{"param", T}, {"grad", T}, {"velocity", T}}, {E0("n")}, {"lr", "momentum", "l2"},
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0])}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::sgd_momentum(F(0), CF(1), F(2), p, f[0], f[1], f[2]); }},
      {"reduce_sum", {{"x", T}, {"y", T}}, kOLI, {},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[2]}), mul({p[0], p[2]})}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::reduce_sum(CF(0), F(1), p); }},
      {"softmax_forward", {{"x", T}, {"y", T}}, kOLI, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}); return Sizes{n, n}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::softmax_forward(CF(0), F(1), p); }},
      {"softmax_backward", {{"y", T}, {"dy", T}, {"dx", T}}, kOLI, {},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}); return Sizes{n, n, n}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::softmax_backward(CF(0), CF(1), F(2), p); }},
      {"sigmoid_bce_forward", {{"x", T}, {"label", T}, {"loss", T}}, {E0("n")}, {},
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0])}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::sigmoid_bce_forward(CF(0), CF(1), F(2), p); }},
      {"sigmoid_bce_backward", {{"x", T}, {"label", T}, {"dloss", T}, {"dx", T}}, {E0("n")}, {},
       [](const int32_t* p) { return Sizes{I(p[0]), I(p[0]), I(p[0]), I(p[0])}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float*) { sp::sigmoid_bce_backward(CF(0), CF(1), CF(2), F(3), p); }},
      {"roi_align_forward", {{"x", T}, {"rois", T}, {"batch", X}, {"y", T}}, kRoiParams, {"spatial_scale"},
       [](const int32_t* p) { return Sizes{mul({p[0], p[1], p[2], p[3]}), mul({p[4], 4}), I(p[4]), mul({p[4], p[1], p[5], p[6]})}; },
       nullptr, data_roi_batch,
       [](void** b, const int32_t* p, const float* f) { sp::roi_align_forward(CF(0), CF(1), CI(2), F(3), p, f[0]); }},
      {"roi_align_backward", {{"dy", T}, {"rois", T}, {"batch", X}, {"dx", T}}, kRoiParams, {"spatial_scale"},
       [](const int32_t* p) { return Sizes{mul({p[4], p[1], p[5], p[6]}), mul({p[4], 4}), I(p[4]), mul({p[0], p[1], p[2], p[3]})}; },
       nullptr, data_roi_batch,
       [](void** b, const int32_t* p, const float* f) { sp::roi_align_backward(CF(0), CF(1), CI(2), F(3), p, f[0]); }},
      {"axpy", {{"x", T}, {"y", T}}, {E0("n")}, {"alpha"}, [](const int32_t* p) { return Sizes{I(p[0]), I(p[0])}; }, nullptr,
       nullptr, [](void** b, const int32_t* p, const float* f) { sp::axpy(CF(0), F(1), p, f[0]); }},
      {"conv2d_act_forward", {{"x", T}, {"w", T}, {"b", O}, {"y", T}}, kConvActParams, {"alpha"},
       [](const int32_t* p) { auto s = conv_sizes(p); return Sizes{s.x, s.w, s.b, s.y}; }, rel_conv, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::conv2d_act_forward(CF(0), CF(1), CF(2), F(3), p, f[0]); }},
      {"dwpw_act_forward", {{"x", T}, {"wd", T}, {"bd", O}, {"wp", T}, {"bp", O}, {"y", T}}, kDwPwParams, {"alpha", "alpha2"},
       [](const int32_t* p) {
         auto s = conv_sizes(p);
         const int64_t oc2 = p[sp::CG_COUNT + 1];
         return Sizes{s.x, s.w, s.b, mul({oc2, p[sp::CG_OC]}), oc2, mul({p[sp::CG_N], oc2, p[sp::CG_OH], p[sp::CG_OW]})};
       },
       rel_dwpw, nullptr,
       [](void** b, const int32_t* p, const float* f) { sp::dwpw_act_forward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), p, f[0], f[1]); }},
      {"batch_norm_act_train_forward",
       {{"x", T}, {"scale", T}, {"bias", T}, {"y", T}, {"saved_mean", T}, {"saved_invstd", T}, {"running_mean", T}, {"running_var", T}},
       kNCHWAct, {"eps", "momentum", "alpha"},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, c, c, n, c, c, c, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) {
         sp::batch_norm_act_train_forward(CF(0), CF(1), CF(2), F(3), F(4), F(5), F(6), F(7), p, f[0], f[1], f[2]);
       }},
      {"batch_norm_act_backward",
       {{"x", T}, {"y", T}, {"dy", T}, {"scale", T}, {"saved_mean", T}, {"saved_invstd", T}, {"dx", T}, {"dscale", T}, {"dbias", T}},
       kNCHWAct, {"alpha"},
       [](const int32_t* p) { int64_t n = mul({p[0], p[1], p[2]}), c = p[1]; return Sizes{n, n, n, c, c, c, n, c, c}; }, nullptr, nullptr,
       [](void** b, const int32_t* p, const float* f) {
         sp::batch_norm_act_backward(CF(0), CF(1), CF(2), CF(3), CF(4), CF(5), F(6), F(7), F(8), p, f[0]);
       }},
  };
  return specs;
}

// ---- argument reading ---------------------------------------------------------------------------
bool type_of(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

// A typed array's element type, length and data without going through its ArrayBuffer object (a
// SharedArrayBuffer has none). A detached or out-of-bounds view reports length 0.
struct View {
  bool ok = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
};
View view_of(napi_env env, napi_value v) {
  View r;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return r;
  if (napi_get_typedarray_info(env, v, &r.type, &r.length, &r.data, nullptr, nullptr) != napi_ok) return r;
  if (!r.data) r.length = 0;
  r.ok = true;
  return r;
}

// Reads p into out[0..n); on failure throws the kernel's error and returns false.
bool read_params(napi_env env, const Spec& s, napi_value pv, int32_t* out) {
  const std::string who = std::string(s.name) + ": ";
  const size_t n = s.params.size();
  const View tv = view_of(env, pv);
  if (tv.ok && tv.type == napi_int32_array) {
    if (tv.length != n) {
      throw_error(env, ErrKind::Range, who + "expected " + S(n) + " geometry integers for p, got " + S(tv.length));
      return false;
    }
    const int32_t* src = static_cast<const int32_t*>(tv.data);
    for (size_t i = 0; i < n; ++i) out[i] = src[i];
    return true;
  }
  bool is_array = false;
  if (!tv.ok && napi_is_array(env, pv, &is_array) == napi_ok && is_array) {
    uint32_t len = 0;
    if (napi_get_array_length(env, pv, &len) != napi_ok) {
      clear_pending(env);
      throw_error(env, ErrKind::Type, who + "expected an Int32Array or an array of integers for p, got an unreadable array");
      return false;
    }
    if (len != n) {
      throw_error(env, ErrKind::Range, who + "expected " + S(n) + " geometry integers for p, got " + S(len));
      return false;
    }
    for (uint32_t i = 0; i < n; ++i) {
      napi_value e;
      // An element may be a getter: it can throw (its exception becomes this TypeError) or return
      // anything; it cannot see the buffers, which are inspected only after p.
      if (napi_get_element(env, pv, i, &e) != napi_ok) {
        clear_pending(env);
        throw_error(env, ErrKind::Type, who + "expected an int32 for p[" + S(i) + "], got an element whose getter threw");
        return false;
      }
      double d = 0.5;
      if (type_of(env, e, napi_number)) napi_get_value_double(env, e, &d);
      if (!type_of(env, e, napi_number) || !(d >= -2147483648.0 && d <= 2147483647.0) || d != std::floor(d)) {
        throw_error(env, ErrKind::Type, who + "expected an int32 for p[" + S(i) + "], got " + describe(env, e));
        return false;
      }
      out[i] = (int32_t)d;
    }
    return true;
  }
  throw_error(env, ErrKind::Type, who + "expected an Int32Array or an array of integers for p, got " + describe(env, pv));
  return false;
}

// ---- the generic wrapper ------------------------------------------------------------------------
// Order: p (the only step that can run caller code, through getters), floats, then each integer's
// range, relations between them, sizes (overflow-checked, against the tensor limit), buffer types
// and lengths, data checks (index values), and only then the kernel.
// A rule's verdict (Spec::relation, Spec::data): "" passes, anything else is thrown as a
// RangeError after `who`. Returns false after throwing.
bool rule_ok(napi_env env, const std::string& who, const std::string& bad) {
  if (bad.empty()) return true;
  throw_error(env, ErrKind::Range, who + bad);
  return false;
}

// The checks before the buffers, shared by the CPU and CUDA entry points: argument count, p,
// floats, ranges, relations, sizes. Fills p, fl and need; returns false after throwing.
bool check_call(napi_env env, const Spec& s, size_t argc, napi_value* argv, int32_t* p, float* fl, Sizes* need_out) {
  const std::string who = std::string(s.name) + ": ";
  const size_t nb = s.bufs.size();
  const size_t want = nb + 1 + s.floats.size();
  if (argc != want) {
    std::string names;
    for (const BufDecl& d : s.bufs) names += std::string(d.name) + ", ";
    names += "p";
    for (const char* f : s.floats) names += std::string(", ") + f;
    throw_error(env, ErrKind::Type, who + "expected " + S(want) + " arguments (" + names + ") for the call, got " + S(argc));
    return false;
  }
  if (!read_params(env, s, argv[nb], p)) return false;
  for (size_t i = 0; i < s.floats.size(); ++i) {
    napi_value v = argv[nb + 1 + i];
    double d = 0;
    if (!type_of(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok) {
      throw_error(env, ErrKind::Type, who + "expected a number for " + s.floats[i] + ", got " + describe(env, v));
      return false;
    }
    fl[i] = (float)d;
  }
  for (size_t i = 0; i < s.params.size(); ++i) {
    const Param& q = s.params[i];
    if (p[i] < q.lo || p[i] > q.hi) {
      throw_error(env, ErrKind::Range, who + "expected an integer in [" + S(q.lo) + ", " + S(q.hi) + "] for " + q.name +
                                           " (p[" + S(i) + "]), got " + S(p[i]));
      return false;
    }
  }
  if (s.relation && !rule_ok(env, who, s.relation(p))) return false;
  Sizes need = s.sizes(p);
  for (size_t i = 0; i < nb; ++i) {
    if (need[i] > kMaxElems) {
      throw_error(env, ErrKind::Range, who + "expected a geometry giving at most 2^31 - 1 elements for " + s.bufs[i].name +
                                           ", got " + count_text(need[i]));
      return false;
    }
  }
  *need_out = std::move(need);
  return true;
}

// One kernel call's arguments, checked up to the buffers: what CallKernel and CudaKernel start from.
struct KernelCall {
  size_t argc = 24;
  napi_value argv[24];
  void* binding = nullptr;  // the function's data: its Spec (CPU) or CudaBinding
  int32_t p[32] = {0};
  float fl[8] = {0};
  Sizes need;
  std::string who;  // "<kernel>: "

  // The arguments and the binding; false when N-API cannot give them.
  bool read(napi_env env, napi_callback_info cbinfo) {
    return napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &binding) == napi_ok && binding;
  }
  // check_call against spec s; false after throwing.
  bool check(napi_env env, const Spec& s) {
    who = std::string(s.name) + ": ";
    return check_call(env, s, argc, argv, p, fl, &need);
  }
};

// The buffers of a checked call: types, lengths, then the data rule. Fills bufs; false after throwing.
bool check_bufs(napi_env env, const Spec& s, const KernelCall& k, void** bufs) {
  const size_t nb = s.bufs.size();
  static float empty_storage[1];
  for (size_t i = 0; i < nb; ++i) {
    const BufDecl& d = s.bufs[i];
    napi_value v = k.argv[i];
    if (d.kind == BufKind::F32_OPT && (type_of(env, v, napi_null) || type_of(env, v, napi_undefined))) continue;
    const napi_typedarray_type want_t = d.kind == BufKind::I32 ? napi_int32_array : napi_float32_array;
    const View tv = view_of(env, v);
    if (!tv.ok || tv.type != want_t) {
      throw_error(env, ErrKind::Type, k.who + "expected " + (d.kind == BufKind::I32 ? "an Int32Array" : "a Float32Array") +
                                          (d.kind == BufKind::F32_OPT ? " or null" : "") + " for " + d.name + ", got " +
                                          describe(env, v));
      return false;
    }
    if ((int64_t)tv.length < k.need[i]) {
      throw_error(env, ErrKind::Range, k.who + "expected at least " + S(k.need[i]) + " elements for " + d.name + ", got " +
                                           S((int64_t)tv.length));
      return false;
    }
    // Never hand a kernel a null pointer (an empty or detached view); it reads nothing from it.
    bufs[i] = tv.length ? tv.data : static_cast<void*>(empty_storage);
  }
  return !s.data || rule_ok(env, k.who, s.data(k.p, bufs));
}

// Runs a checked kernel call, turning the kernels' exceptions into the call's errors.
template <class Fn>
void run_guarded(napi_env env, const KernelCall& k, Fn&& fn) {
  try {
    fn();
  } catch (const sp::ScratchLimit& e) {
    throw_error(env, ErrKind::Range, k.who + "expected a geometry needing at most 2^30 bytes of scratch for p, got one needing " +
                                         number_text(std::floor(e.bytes)));
  } catch (const std::bad_alloc&) {
    throw_error(env, ErrKind::Plain, k.who + "expected memory for the kernel's scratch buffers for p, got an allocation failure");
  } catch (const std::exception& e) {
    throw_error(env, ErrKind::Plain, k.who + "expected the kernel to finish for p, got " + e.what());
  }
}

napi_value CallKernel(napi_env env, napi_callback_info cbinfo) {
  KernelCall k;
  if (!k.read(env, cbinfo)) return nullptr;
  const Spec& s = *static_cast<const Spec*>(k.binding);
  void* bufs[16] = {nullptr};
  if (!k.check(env, s) || !check_bufs(env, s, k, bufs)) return nullptr;
  run_guarded(env, k, [&] { s.invoke(bufs, k.p, k.fl); });
  return nullptr;
}

// ---- filter caches (inference) -------------------------------------------------------------------
// newFilterCache() makes an empty cache (an External); conv2d_act_forward_prepared(cache, x, w, b,
// y, p, alpha) is conv2d_act_forward with act -1 allowed (none: conv2d_forward's numbers), which
// keeps w's packed forms in the cache and reuses them on the next call with the same w and b
// (sp::FilterCache); freeFilterCache(cache) empties it now rather than when it is collected. The
// memory a cache holds is reported to the JS engine, so that the collector sees it.
const napi_type_tag kFilterCacheTag = {0x736c696d70727565ULL, 0x66696c7465726361ULL};
struct CacheBox {
  sp::FilterCache fc;
  int64_t reported = 0;  // bytes reported through napi_adjust_external_memory
};
void report_bytes(napi_env env, CacheBox* box) {
  const int64_t now = (int64_t)box->fc.bytes;
  int64_t total = 0;
  if (now != box->reported) napi_adjust_external_memory(env, now - box->reported, &total);
  box->reported = now;
}
void finalize_cache(napi_env env, void* data, void*) {
  CacheBox* box = static_cast<CacheBox*>(data);
  box->fc.clear();
  report_bytes(env, box);
  delete box;
}
napi_value NewFilterCache(napi_env env, napi_callback_info) {
  CacheBox* box = new (std::nothrow) CacheBox();
  napi_value v;
  if (!box) {
    throw_error(env, ErrKind::Plain, "newFilterCache: expected memory for a cache, got an allocation failure");
    return nullptr;
  }
  if (napi_create_external(env, box, finalize_cache, nullptr, &v) != napi_ok ||
      napi_type_tag_object(env, v, &kFilterCacheTag) != napi_ok) {
    delete box;
    return nullptr;
  }
  return v;
}
// The CacheBox of v; null after throwing `<who>expected a filter cache (newFilterCache()) for cache, got ...`.
CacheBox* cache_arg(napi_env env, const std::string& who, napi_value v) {
  bool tagged = false;
  void* data = nullptr;
  if (!type_of(env, v, napi_external) || napi_check_object_type_tag(env, v, &kFilterCacheTag, &tagged) != napi_ok ||
      !tagged || napi_get_value_external(env, v, &data) != napi_ok || !data) {
    clear_pending(env);
    throw_error(env, ErrKind::Type, who + "expected a filter cache (newFilterCache()) for cache, got " + describe(env, v));
    return nullptr;
  }
  return static_cast<CacheBox*>(data);
}
napi_value FreeFilterCache(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc != 1) {
    throw_error(env, ErrKind::Type, "freeFilterCache: expected 1 argument (cache), got " + S(argc));
    return nullptr;
  }
  CacheBox* box = cache_arg(env, "freeFilterCache: ", argv[0]);
  if (!box) return nullptr;
  box->fc.clear();
  report_bytes(env, box);
  return nullptr;
}
// conv2d_act_forward's checks with act in [-1, 2], under another name.
Spec conv_act_spec(const char* name) {
  Spec s = *std::find_if(table().begin(), table().end(),
                         [](const Spec& t) { return std::string(t.name) == "conv2d_act_forward"; });
  s.name = name;
  s.params.back() = R("act", -1, 2);
  return s;
}
const Spec& prepared_spec() {
  static const Spec spec = conv_act_spec("conv2d_act_forward_prepared");
  return spec;
}
const Spec& blocked_spec() {
  static const Spec spec = conv_act_spec("conv2d_act_forward_blocked");
  return spec;
}

// conv2d_act_forward_blocked(cache, x, w, b, y, p, alpha, layout): conv2d_act_forward_prepared on
// channel-blocked maps (native/conv2d_blocked.h); cache: a filter cache or null; layout: 1 (x
// blocked), 2 (y blocked) or 3 (both). blockedProblem(p, layout): why that call would be refused
// on this machine (a string), or null.
bool layout_arg(napi_env env, const std::string& who, napi_value v, int& layout) {
  double d = 0;
  if (!type_of(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok || !(d == 1 || d == 2 || d == 3)) {
    throw_error(env, ErrKind::Type, who + "expected 1, 2 or 3 (bit 1: x blocked, bit 2: y blocked) for layout, got " + describe(env, v));
    return false;
  }
  layout = (int)d;
  return true;
}

// conv2d_act_forward_prepared (blocked: false) or conv2d_act_forward_blocked.
napi_value CallCached(napi_env env, napi_callback_info cbinfo, bool blocked) {
  KernelCall k;
  if (napi_get_cb_info(env, cbinfo, &k.argc, k.argv, nullptr, nullptr) != napi_ok) return nullptr;
  const Spec& s = blocked ? blocked_spec() : prepared_spec();
  const std::string who = std::string(s.name) + ": ";
  if (k.argc != (blocked ? 8u : 7u)) {  // counted here, cache included (the kernel's own check would count one less)
    throw_error(env, ErrKind::Type, who + "expected " + (blocked ? "8 arguments (cache, x, w, b, y, p, alpha, layout)" : "7 arguments (cache, x, w, b, y, p, alpha)") +
                                        " for the call, got " + S(k.argc));
    return nullptr;
  }
  CacheBox* box = nullptr;
  if (!(blocked && type_of(env, k.argv[0], napi_null)) && !(box = cache_arg(env, who, k.argv[0]))) return nullptr;
  int layout = 0;
  if (blocked && !layout_arg(env, who, k.argv[7], layout)) return nullptr;
  std::copy(k.argv + 1, k.argv + 7, k.argv);  // the kernel's own arguments
  k.argc = 6;
  void* bufs[16] = {nullptr};
  if (!k.check(env, s) || !check_bufs(env, s, k, bufs)) return nullptr;
  const char* why = blocked ? sp::conv2d_blocked_problem(k.p, layout) : nullptr;
  if (why) {
    throw_error(env, ErrKind::Range, who + "expected " + why + " for p and layout, got another geometry or layout " + S(layout));
    return nullptr;
  }
  run_guarded(env, k, [&] {
    const auto in = [&](int i) { return static_cast<const float*>(bufs[i]); };
    sp::FilterCache* fc = box ? &box->fc : nullptr;
    if (blocked)
      sp::conv2d_blocked_forward(fc, in(0), in(1), in(2), static_cast<float*>(bufs[3]), k.p, k.fl[0], layout);
    else
      sp::conv2d_act_forward_prepared(fc, in(0), in(1), in(2), static_cast<float*>(bufs[3]), k.p, k.fl[0]);
  });
  if (box) report_bytes(env, box);
  return nullptr;
}
napi_value CallPrepared(napi_env env, napi_callback_info cbinfo) { return CallCached(env, cbinfo, false); }
napi_value CallBlocked(napi_env env, napi_callback_info cbinfo) { return CallCached(env, cbinfo, true); }
// conv2d_concat_forward(cache, a, b, w, bias, y, p, alpha, q): conv2d_act_forward_prepared for a
// 1x1 layer (p: stride 1, unpadded, one group) whose input is the channel concatenation of a and b
// (native/conv_common.h ConcatInput), each N x Cs x Hs x Ws and resized to the layer's H x W by
// nearest-neighbour (upsample_forward's mode 0) unless it has that size; q = {Ca, Ha, Wa,
// align_corners a, Hb, Wb, align_corners b}, Cb = C - Ca; cache: a filter cache or null.
const Spec& concat_spec() {
  static const Spec spec = [] {
    Spec s = conv_act_spec("conv2d_concat_forward");
    s.bufs[0].name = "a";  // the first source stands in for x (its size is checked apart)
    return s;
  }();
  return spec;
}
napi_value CallConcat(napi_env env, napi_callback_info cbinfo) {
  KernelCall k;
  if (napi_get_cb_info(env, cbinfo, &k.argc, k.argv, nullptr, nullptr) != napi_ok) return nullptr;
  const Spec& s = concat_spec();
  const std::string who = std::string(s.name) + ": ";
  if (k.argc != 9) {
    throw_error(env, ErrKind::Type, who + "expected 9 arguments (cache, a, b, w, bias, y, p, alpha, q) for the call, got " + S(k.argc));
    return nullptr;
  }
  CacheBox* box = nullptr;
  if (!type_of(env, k.argv[0], napi_null) && !(box = cache_arg(env, who, k.argv[0]))) return nullptr;
  const View qv = view_of(env, k.argv[8]);
  if (!qv.ok || qv.type != napi_int32_array || qv.length != 7) {
    throw_error(env, ErrKind::Type, who + "expected an Int32Array of 7 integers (Ca, Ha, Wa, align_a, Hb, Wb, align_b) for q, got " + describe(env, k.argv[8]));
    return nullptr;
  }
  int32_t q[7];
  std::copy(static_cast<const int32_t*>(qv.data), static_cast<const int32_t*>(qv.data) + 7, q);
  const napi_value srcs[2] = {k.argv[1], k.argv[2]};
  const napi_value own[6] = {k.argv[1], k.argv[3], k.argv[4], k.argv[5], k.argv[6], k.argv[7]};  // a stands in for x
  std::copy(own, own + 6, k.argv);
  k.argc = 6;
  if (!k.check(env, s)) return nullptr;
  const int32_t* p = k.p;
  using namespace sp;
  if (p[CG_KH] != 1 || p[CG_KW] != 1 || p[CG_SH] != 1 || p[CG_SW] != 1 || p[CG_PT] != 0 || p[CG_PL] != 0 || p[CG_DH] != 1 ||
      p[CG_DW] != 1 || p[CG_G] != 1 || p[CG_OH] != p[CG_H] || p[CG_OW] != p[CG_W]) {
    throw_error(env, ErrKind::Range, who + "expected a 1x1 layer (stride 1, no padding, one group) for p");
    return nullptr;
  }
  const int C = p[CG_C];
  const char* qn[7] = {"Ca", "Ha", "Wa", "align_a", "Hb", "Wb", "align_b"};
  for (int i = 0; i < 7; ++i) {
    const int64_t lo = i == 3 || i == 6 ? 0 : 1, hi = i == 0 ? C - 1 : i == 3 || i == 6 ? 1 : kMaxDim;
    if (q[i] < lo || q[i] > hi) {
      throw_error(env, ErrKind::Range, who + "expected an integer in [" + S(lo) + ", " + S(hi) + "] for " + qn[i] + " (q[" + S(i) + "]), got " + S(q[i]));
      return nullptr;
    }
  }
  k.need[0] = 0;  // a: checked below
  void* bufs[16] = {nullptr};
  if (!check_bufs(env, s, k, bufs)) return nullptr;
  ConcatInput cat;
  const int Cs[2] = {q[0], C - q[0]}, Hs[2] = {q[1], q[4]}, Ws[2] = {q[2], q[5]};
  for (int i = 0; i < 2; ++i) {
    const View v = view_of(env, srcs[i]);
    const char* name = i ? "b" : "a";
    if (!v.ok || v.type != napi_float32_array) {
      throw_error(env, ErrKind::Type, who + "expected a Float32Array for " + name + ", got " + describe(env, srcs[i]));
      return nullptr;
    }
    const int64_t need = (int64_t)p[CG_N] * Cs[i] * Hs[i] * Ws[i];
    if (need > kMaxElems || (int64_t)v.length < need) {
      throw_error(env, ErrKind::Range, who + "expected at least " + S(need) + " elements (N x C x H x W) for " + name + ", got " + S((int64_t)v.length));
      return nullptr;
    }
    cat.x[i] = static_cast<const float*>(v.data);
    cat.C[i] = Cs[i], cat.H[i] = Hs[i], cat.W[i] = Ws[i], cat.align[i] = q[i ? 6 : 3] != 0;
  }
  run_guarded(env, k, [&] {
    sp::conv2d_concat_forward(box ? &box->fc : nullptr, cat, static_cast<const float*>(bufs[1]), static_cast<const float*>(bufs[2]),
                              static_cast<float*>(bufs[3]), k.p, k.fl[0]);
  });
  if (box) report_bytes(env, box);
  return nullptr;
}
// conv_chain_forward(x, y, w, p, f): a stem layer and the depthwise -> 1x1 pairs after it in one
// pass (native/kernels.h); p: the stem's conv2d_act_forward p (17 integers) then each pair's
// dwpw_act_forward p (19), 1 to 4 pairs; w: an array of their weights (ws, bs, then per pair wd,
// bd, wp, bp; the biases may be null); f: a Float32Array of the alphas (the stem's, then per pair
// alpha and alpha2). Each layer is checked as its own kernel checks it, and each pair's input must
// be the output of the layer before.
constexpr int kChainMaxPairs = 4;
constexpr int64_t kChainStemInts = sp::CG_COUNT + 1, kChainPairInts = sp::CG_COUNT + 3;
// The pairs a chain's p holds (17 + 19k integers, k = 1 to kChainMaxPairs), or -1.
int chain_pairs(const View& pv) {
  const int64_t n = (int64_t)pv.length - kChainStemInts;
  return pv.ok && pv.type == napi_int32_array && n >= kChainPairInts && n % kChainPairInts == 0 && n / kChainPairInts <= kChainMaxPairs
             ? (int)(n / kChainPairInts)
             : -1;
}
napi_value CallChain(napi_env env, napi_callback_info cbinfo) {
  KernelCall k;
  if (napi_get_cb_info(env, cbinfo, &k.argc, k.argv, nullptr, nullptr) != napi_ok) return nullptr;
  k.who = "conv_chain_forward: ";
  const std::string& who = k.who;
  if (k.argc != 5) {
    throw_error(env, ErrKind::Type, who + "expected 5 arguments (x, y, w, p, f) for the call, got " + S(k.argc));
    return nullptr;
  }
  const View pv = view_of(env, k.argv[3]);
  const int64_t stem_n = kChainStemInts, pair_n = kChainPairInts;
  const int npairs = chain_pairs(pv);
  if (npairs < 0) {
    throw_error(env, ErrKind::Type, who + "expected an Int32Array of 17 + 19k integers (the stem's p, then k = 1 to " +
                                        S(kChainMaxPairs) + " depthwise -> 1x1 pairs' p) for p, got " + describe(env, k.argv[3]));
    return nullptr;
  }
  std::vector<int32_t> p(static_cast<const int32_t*>(pv.data), static_cast<const int32_t*>(pv.data) + pv.length);
  const View fv = view_of(env, k.argv[4]);
  if (!fv.ok || fv.type != napi_float32_array || (int64_t)fv.length != 1 + 2 * npairs) {
    throw_error(env, ErrKind::Type, who + "expected a Float32Array of " + S(1 + 2 * npairs) + " alphas for f, got " + describe(env, k.argv[4]));
    return nullptr;
  }
  std::vector<float> f(static_cast<const float*>(fv.data), static_cast<const float*>(fv.data) + fv.length);
  bool is_array = false;
  uint32_t nw = 0;
  if (napi_is_array(env, k.argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, k.argv[2], &nw) != napi_ok ||
      nw != (uint32_t)(2 + 4 * npairs)) {
    throw_error(env, ErrKind::Type, who + "expected an array of " + S(2 + 4 * npairs) + " weights (ws, bs, then per pair wd, bd, wp, bp) for w, got " +
                                        describe(env, k.argv[2]));
    return nullptr;
  }
  // each layer as its own kernel checks it
  const auto spec = [](const char* name) -> const Spec& {
    return *std::find_if(table().begin(), table().end(), [&](const Spec& t) { return std::string(t.name) == name; });
  };
  const Spec& stem_spec = prepared_spec();  // act -1 (none) allowed, as through a filter cache
  const Spec& pair_spec = spec("dwpw_act_forward");
  std::vector<int64_t> need_w((size_t)nw, 0);
  int64_t need_x = 0, need_y = 0;
  for (int l = -1; l < npairs; ++l) {
    const Spec& sp_ = l < 0 ? stem_spec : pair_spec;
    const int32_t* q = l < 0 ? p.data() : p.data() + stem_n + l * pair_n;
    const std::string part = l < 0 ? "the stem" : "pair " + S(l);
    for (size_t i = 0; i < sp_.params.size(); ++i) {
      const Param& r = sp_.params[i];
      if (q[i] < r.lo || q[i] > r.hi) {
        throw_error(env, ErrKind::Range, who + "expected an integer in [" + S(r.lo) + ", " + S(r.hi) + "] for " + part + "'s " + r.name +
                                             " (p[" + S((q - p.data()) + (int64_t)i) + "]), got " + S(q[i]));
        return nullptr;
      }
    }
    if (sp_.relation && !rule_ok(env, who + part + ": ", sp_.relation(q))) return nullptr;
    const Sizes z = sp_.sizes(q);
    for (int64_t v : z)
      if (v > kMaxElems) {
        throw_error(env, ErrKind::Range, who + "expected a geometry giving at most 2^31 - 1 elements per tensor for " + part + ", got " + count_text(v));
        return nullptr;
      }
    if (l < 0) {
      need_x = z[0], need_w[0] = z[1], need_w[1] = z[2];
      continue;
    }
    for (int j = 0; j < 4; ++j) need_w[(size_t)(2 + 4 * l + j)] = z[(size_t)(1 + j)];
    need_y = z[5];
    // its input is the output of the layer before
    using namespace sp;
    const int32_t* prev = l == 0 ? p.data() : p.data() + stem_n + (l - 1) * pair_n;
    const int64_t pc = l == 0 ? prev[CG_OC] : prev[CG_COUNT + 1];
    const int64_t want[4] = {prev[CG_N], pc, prev[CG_OH], prev[CG_OW]}, got[4] = {q[CG_N], q[CG_C], q[CG_H], q[CG_W]};
    if (!std::equal(want, want + 4, got)) {
      throw_error(env, ErrKind::Range, who + "expected " + part + "'s input (N, C, H, W) to be the previous layer's output (" + S(want[0]) + ", " +
                                           S(want[1]) + ", " + S(want[2]) + ", " + S(want[3]) + "), got (" + S(got[0]) + ", " + S(got[1]) + ", " +
                                           S(got[2]) + ", " + S(got[3]) + ")");
      return nullptr;
    }
  }
  const auto f32 = [&](napi_value v, const std::string& name, int64_t need, bool optional, const float** out) {
    if (optional && (type_of(env, v, napi_null) || type_of(env, v, napi_undefined))) {
      *out = nullptr;
      return true;
    }
    const View tv = view_of(env, v);
    if (!tv.ok || tv.type != napi_float32_array) {
      throw_error(env, ErrKind::Type, who + "expected a Float32Array" + (optional ? " or null" : "") + " for " + name + ", got " + describe(env, v));
      return false;
    }
    if ((int64_t)tv.length < need) {
      throw_error(env, ErrKind::Range, who + "expected at least " + S(need) + " elements for " + name + ", got " + S((int64_t)tv.length));
      return false;
    }
    *out = static_cast<const float*>(tv.data);
    return true;
  };
  const float* x = nullptr;
  const float* yc = nullptr;
  if (!f32(k.argv[0], "x", need_x, false, &x) || !f32(k.argv[1], "y", need_y, false, &yc)) return nullptr;
  std::vector<const float*> w((size_t)nw, nullptr);
  static const char* wn[4] = {"wd", "bd", "wp", "bp"};
  for (uint32_t i = 0; i < nw; ++i) {
    napi_value v;
    if (napi_get_element(env, k.argv[2], i, &v) != napi_ok) return nullptr;
    const std::string name = i < 2 ? std::string(i ? "bs" : "ws") + " (w[" + S(i) + "])"
                                   : std::string(wn[(i - 2) % 4]) + " of pair " + S((i - 2) / 4) + " (w[" + S(i) + "])";
    const bool optional = i == 1 || (i >= 2 && (i - 2) % 2 == 1);
    if (!f32(v, name, need_w[i], optional, &w[i])) return nullptr;
  }
  run_guarded(env, k, [&] { sp::conv_chain_forward(x, w.data(), const_cast<float*>(yc), p.data(), npairs, f.data()); });
  return nullptr;
}
napi_value ChainUsable(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  const View pv = view_of(env, argv[0]);
  const int npairs = chain_pairs(pv);
  if (argc != 1 || npairs < 0) {
    throw_error(env, ErrKind::Type, "convChainUsable: expected one Int32Array of 17 + 19k integers (k = 1 to " + S(kChainMaxPairs) + ") for p, got " +
                                        (argc ? describe(env, argv[0]) : std::string("no arguments")));
    return nullptr;
  }
  const int32_t* p = static_cast<const int32_t*>(pv.data);
  bool ok = true;
  for (int64_t i = 0; i < (int64_t)pv.length && ok; ++i) {
    const int64_t j = i < kChainStemInts ? i : (i - kChainStemInts) % kChainPairInts;
    if (j < sp::CG_COUNT) ok = p[i] >= (j == sp::CG_PT || j == sp::CG_PL ? 0 : 1) && p[i] <= kMaxDim;
  }
  return Napi::Boolean::New(env, ok && sp::conv_chain_usable(p, npairs));
}
// conv_wino_pw_forward(c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1): a 3x3 layer and the
// 1x1 layer reading its output (sp::conv_wino_pw_forward): each layer checked as
// conv2d_act_forward_prepared checks it (c3, c1: filter caches or null), the 1x1 layer's geometry
// (stride 1, unpadded, one group) and its input, the 3x3 layer's output. winoPwUsable(p3, p1):
// whether the two run as one pass on this machine (else one after the other through y3).
const Spec& wino_pw_spec(bool first) {
  static const Spec s3 = conv_act_spec("conv_wino_pw_forward (3x3 layer)"), s1 = conv_act_spec("conv_wino_pw_forward (1x1 layer)");
  return first ? s3 : s1;
}
// The 1x1 layer's rule against the 3x3 layer's output; false after throwing.
bool wino_pw_link(napi_env env, const std::string& who, const int32_t* p3, const int32_t* p1) {
  using namespace sp;
  if (p1[CG_KH] != 1 || p1[CG_KW] != 1 || p1[CG_SH] != 1 || p1[CG_SW] != 1 || p1[CG_PT] != 0 || p1[CG_PL] != 0 ||
      p1[CG_DH] != 1 || p1[CG_DW] != 1 || p1[CG_G] != 1 || p1[CG_OH] != p1[CG_H] || p1[CG_OW] != p1[CG_W]) {
    throw_error(env, ErrKind::Range, who + "expected a 1x1 layer (stride 1, no padding, one group) for p1");
    return false;
  }
  const int64_t want[4] = {p3[CG_N], p3[CG_OC], p3[CG_OH], p3[CG_OW]}, got[4] = {p1[CG_N], p1[CG_C], p1[CG_H], p1[CG_W]};
  if (!std::equal(want, want + 4, got)) {
    throw_error(env, ErrKind::Range, who + "expected the 1x1 layer's input (N, C, H, W) to be the 3x3 layer's output (" + S(want[0]) + ", " +
                                         S(want[1]) + ", " + S(want[2]) + ", " + S(want[3]) + "), got (" + S(got[0]) + ", " + S(got[1]) +
                                         ", " + S(got[2]) + ", " + S(got[3]) + ")");
    return false;
  }
  return true;
}
napi_value CallWinoPw(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  const std::string who = "conv_wino_pw_forward: ";
  if (argc != 13) {
    throw_error(env, ErrKind::Type, who + "expected 13 arguments (c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1) for the call, got " + S(argc));
    return nullptr;
  }
  CacheBox* box[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; ++i)
    if (!type_of(env, argv[i], napi_null) && !(box[i] = cache_arg(env, who + (i ? "c1: " : "c3: "), argv[i]))) return nullptr;
  // each layer's own arguments, in conv2d_act_forward's order (x, w, b, y, p, alpha)
  KernelCall k[2];
  void* bufs[2][16] = {{nullptr}, {nullptr}};
  const napi_value own[2][6] = {{argv[2], argv[3], argv[4], argv[5], argv[9], argv[11]}, {argv[5], argv[6], argv[7], argv[8], argv[10], argv[12]}};
  for (int l = 0; l < 2; ++l) {
    std::copy(own[l], own[l] + 6, k[l].argv);
    k[l].argc = 6;
    if (!k[l].check(env, wino_pw_spec(l == 0)) || !check_bufs(env, wino_pw_spec(l == 0), k[l], bufs[l])) return nullptr;
  }
  if (!wino_pw_link(env, who, k[0].p, k[1].p)) return nullptr;
  run_guarded(env, k[0], [&] {
    const auto in = [&](int l, int i) { return static_cast<const float*>(bufs[l][i]); };
    sp::conv_wino_pw_forward(box[0] ? &box[0]->fc : nullptr, box[1] ? &box[1]->fc : nullptr, in(0, 0), in(0, 1), in(0, 2),
                             static_cast<float*>(bufs[0][3]), in(1, 1), in(1, 2), static_cast<float*>(bufs[1][3]), k[0].p, k[1].p,
                             k[0].fl[0], k[1].fl[0]);
  });
  for (CacheBox* b : box)
    if (b) report_bytes(env, b);
  return nullptr;
}
napi_value WinoPwUsable(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc != 2) {
    throw_error(env, ErrKind::Type, "winoPwUsable: expected 2 arguments (p3, p1), got " + S(argc));
    return nullptr;
  }
  int32_t p[2][sp::CG_COUNT + 1];
  for (size_t i = 0; i < 2; ++i) {
    const View tv = view_of(env, argv[i]);
    if (!tv.ok || tv.type != napi_int32_array || tv.length < (size_t)sp::CG_COUNT + 1) {
      throw_error(env, ErrKind::Type, std::string("winoPwUsable: expected an Int32Array of 17 geometry integers for ") + (i ? "p1" : "p3") +
                                          ", got " + describe(env, argv[i]));
      return nullptr;
    }
    std::copy(static_cast<const int32_t*>(tv.data), static_cast<const int32_t*>(tv.data) + sp::CG_COUNT + 1, p[i]);
    for (int j = 0; j < sp::CG_COUNT; ++j)
      if (p[i][j] < (j == sp::CG_PT || j == sp::CG_PL ? 0 : 1) || p[i][j] > kMaxDim) return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, sp::conv_wino_pw_usable(p[0], p[1]));
}
napi_value BlockedProblem(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  const std::string who = "blockedProblem: ";
  if (argc != 2) {
    throw_error(env, ErrKind::Type, who + "expected 2 arguments (p, layout), got " + S(argc));
    return nullptr;
  }
  const View tv = view_of(env, argv[0]);
  if (!tv.ok || tv.type != napi_int32_array || tv.length < (size_t)sp::CG_COUNT + 1) {
    throw_error(env, ErrKind::Type, who + "expected an Int32Array of 17 geometry integers for p, got " + describe(env, argv[0]));
    return nullptr;
  }
  int layout = 0;
  if (!layout_arg(env, who, argv[1], layout)) return nullptr;
  const int32_t* p = static_cast<const int32_t*>(tv.data);
  for (int i = 0; i < sp::CG_COUNT; ++i)
    if (p[i] < (i == sp::CG_PT || i == sp::CG_PL ? -sp::kMaxDim : 1) || p[i] > sp::kMaxDim) {
      napi_value r;
      napi_create_string_utf8(env, "geometry integers inside the engine's limits", NAPI_AUTO_LENGTH, &r);
      return r;
    }
  const char* why = sp::conv2d_blocked_problem(p, layout);
  napi_value r;
  if (why) napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &r);
  else napi_get_null(env, &r);
  return r;
}

// ---- CUDA (built when nvcc was found: native/cuda/, CMakeLists.txt) -----------------------------
// `cuda.kernels[name]` takes the same arguments as the CPU kernel, with a device buffer handle
// (from cuda.alloc) where the CPU kernel takes a Float32Array; index buffers stay Int32Arrays on
// the host (checked here, then staged to the device). The same Spec checks run first, so a wrong
// call gets the same error as on the CPU; a CUDA failure becomes an Error naming the kernel.
#ifdef SLIMPRUNE_WITH_CUDA
#define CU(name, call)                                                          \
  {                                                                             \
    #name, &sp::cuda::name != nullptr, [](void** b, const int32_t* p, const float* f) { \
      (void)f;                                                                  \
      sp::cuda::call;                                                           \
    }                                                                           \
  }
struct CudaEntry {
  const char* name;
  bool present;  // the launcher is linked in (kernels_cuda.h declares them weak)
  InvokeFn invoke;
};
// The launchers, by contract name, with the CPU table's argument mapping.
const std::vector<CudaEntry>& cuda_table() {
  static const std::vector<CudaEntry> t = {
      CU(gemm, gemm(CF(0), CF(1), F(2), p, f[0])),
      CU(conv2d_forward, conv2d_forward(CF(0), CF(1), CF(2), F(3), p)),
      CU(conv2d_backward_input, conv2d_backward_input(CF(0), CF(1), F(2), p)),
      CU(conv2d_backward_filter, conv2d_backward_filter(CF(0), CF(1), F(2), F(3), p)),
      CU(batch_norm_train_forward, batch_norm_train_forward(CF(0), CF(1), CF(2), F(3), F(4), F(5), F(6), F(7), p, f[0], f[1])),
      CU(batch_norm_infer_forward, batch_norm_infer_forward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), p, f[0])),
      CU(batch_norm_backward, batch_norm_backward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), F(6), F(7), p)),
      CU(affine_channel_forward, affine_channel_forward(CF(0), CF(1), CF(2), F(3), p)),
      CU(affine_channel_backward, affine_channel_backward(CF(0), CF(1), CF(2), F(3), F(4), F(5), p)),
      CU(bn_fold, bn_fold(CF(0), CF(1), CF(2), CF(3), CF(4), CF(5), F(6), F(7), p, f[0])),
      CU(gather_axis, gather_axis(CF(0), CI(1), F(2), p)),
      CU(scatter_add_axis, scatter_add_axis(CF(0), CI(1), F(2), p)),
      CU(activation_forward, activation_forward(CF(0), F(1), p, f[0])),
      CU(activation_backward, activation_backward(CF(0), CF(1), CF(2), F(3), p, f[0])),
      CU(pool2d_forward, pool2d_forward(CF(0), F(1), p)),
      CU(pool2d_backward, pool2d_backward(CF(0), CF(1), F(2), p)),
      CU(upsample_forward, upsample_forward(CF(0), F(1), p)),
      CU(upsample_backward, upsample_backward(CF(0), F(1), p)),
      CU(binary_forward, binary_forward(CF(0), CF(1), F(2), p)),
      CU(binary_backward, binary_backward(CF(0), CF(1), CF(2), F(3), F(4), p)),
      CU(channel_copy, channel_copy(CF(0), F(1), p)),
      CU(sgd_momentum, sgd_momentum(F(0), CF(1), F(2), p, f[0], f[1], f[2])),
      CU(reduce_sum, reduce_sum(CF(0), F(1), p)),
      CU(softmax_forward, softmax_forward(CF(0), F(1), p)),
      CU(softmax_backward, softmax_backward(CF(0), CF(1), F(2), p)),
      CU(sigmoid_bce_forward, sigmoid_bce_forward(CF(0), CF(1), F(2), p)),
      CU(sigmoid_bce_backward, sigmoid_bce_backward(CF(0), CF(1), CF(2), F(3), p)),
      CU(axpy, axpy(CF(0), F(1), p, f[0])),
      CU(roi_align_forward, roi_align_forward(CF(0), CF(1), CI(2), F(3), p, f[0])),
      CU(roi_align_backward, roi_align_backward(CF(0), CF(1), CI(2), F(3), p, f[0])),
      CU(conv2d_act_forward, conv2d_act_forward(CF(0), CF(1), CF(2), F(3), p, f[0])),
      CU(dwpw_act_forward, dwpw_act_forward(CF(0), CF(1), CF(2), CF(3), CF(4), F(5), p, f[0], f[1])),
      CU(batch_norm_act_train_forward,
         batch_norm_act_train_forward(CF(0), CF(1), CF(2), F(3), F(4), F(5), F(6), F(7), p, f[0], f[1], f[2])),
      CU(batch_norm_act_backward, batch_norm_act_backward(CF(0), CF(1), CF(2), CF(3), CF(4), CF(5), F(6), F(7), F(8), p, f[0])),
  };
  return t;
}
#undef CU

struct CudaBinding {
  const Spec* spec;
  const CudaEntry* entry;
};

// The device, or a thrown Error naming `what` when there is none.
bool need_device(napi_env env, const char* what) {
  const sp::cuda::DeviceInfo& d = sp::cuda::device_info();
  if (!d.ok) throw_error(env, ErrKind::Plain, std::string(what) + ": expected a usable CUDA device, got " + d.reason);
  return d.ok;
}

// A handle argument: a positive integer naming a live buffer. Returns false after throwing.
bool handle_arg(napi_env env, const std::string& who, const char* name, napi_value v, sp::cuda::Buffer* out) {
  double d = 0;
  if (!type_of(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 1 && d <= 9007199254740991.0) ||
      d != std::floor(d)) {
    throw_error(env, ErrKind::Type, who + "expected a CUDA buffer handle for " + name + ", got " + describe(env, v));
    return false;
  }
  if (!sp::cuda::buffer_get((uint64_t)d, out)) {
    throw_error(env, ErrKind::Type, who + "expected a live CUDA buffer handle for " + name + ", got " + number_text(d) +
                                        " (freed, or never allocated here)");
    return false;
  }
  return true;
}

// A count argument in [0, max].
bool count_arg(napi_env env, const std::string& who, const char* name, napi_value v, int64_t max, int64_t* out) {
  double d = -1;
  if (type_of(env, v, napi_number)) napi_get_value_double(env, v, &d);
  if (!type_of(env, v, napi_number) || !(d >= 0 && d <= (double)max) || d != std::floor(d)) {
    throw_error(env, ErrKind::Range, who + "expected an integer in [0, " + S(max) + "] for " + name + ", got " + describe(env, v));
    return false;
  }
  *out = (int64_t)d;
  return true;
}

// Runs fn, turning a CUDA failure (sp::cuda::Error) or any other exception into a JS Error.
template <class Fn>
bool cuda_guard(napi_env env, const std::string& who, Fn fn) {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    throw_error(env, ErrKind::Plain, who + "expected the CUDA call to succeed, got " + e.what());
    return false;
  }
}

napi_value CudaKernel(napi_env env, napi_callback_info cbinfo) {
  KernelCall k;
  if (!k.read(env, cbinfo)) return nullptr;
  const CudaBinding& bind = *static_cast<const CudaBinding*>(k.binding);
  const Spec& s = *bind.spec;
  const CudaEntry& ce = *bind.entry;
  if (!k.check(env, s)) return nullptr;
  const size_t nb = s.bufs.size();
  if (!need_device(env, s.name)) return nullptr;
  void* bufs[16] = {nullptr};     // device pointers (index buffers: host, until staged)
  int64_t idx_len[16] = {0};
  for (size_t i = 0; i < nb; ++i) {
    const BufDecl& d = s.bufs[i];
    napi_value v = k.argv[i];
    if (d.kind == BufKind::F32_OPT && (type_of(env, v, napi_null) || type_of(env, v, napi_undefined))) continue;
    int64_t have = 0;
    if (d.kind == BufKind::I32) {
      const View tv = view_of(env, v);
      if (!tv.ok || tv.type != napi_int32_array) {
        throw_error(env, ErrKind::Type, k.who + "expected an Int32Array for " + d.name + ", got " + describe(env, v));
        return nullptr;
      }
      static int32_t empty_index[1];
      bufs[i] = tv.length ? tv.data : static_cast<void*>(empty_index);
      have = (int64_t)tv.length;
      idx_len[i] = k.need[i];
    } else {
      sp::cuda::Buffer b;
      if (!handle_arg(env, k.who, d.name, v, &b)) return nullptr;
      bufs[i] = b.ptr;
      have = b.n;
    }
    if (have < k.need[i]) {
      throw_error(env, ErrKind::Range, k.who + "expected at least " + S(k.need[i]) + " elements for " + d.name + ", got " + S(have));
      return nullptr;
    }
  }
  // reads only the index buffers, still on the host here
  if (s.data && !rule_ok(env, k.who, s.data(k.p, bufs))) return nullptr;
  cuda_guard(env, k.who, [&] {
    int slot = 0;
    for (size_t i = 0; i < nb; ++i)
      if (s.bufs[i].kind == BufKind::I32) bufs[i] = const_cast<int32_t*>(sp::cuda::stage_indices(slot++, static_cast<const int32_t*>(bufs[i]), idx_len[i]));
    ce.invoke(bufs, k.p, k.fl);
  });
  return nullptr;
}

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const sp::cuda::DeviceInfo& d = sp::cuda::device_info();
  o.Set("ok", d.ok);
  if (!d.ok) o.Set("reason", d.reason);
  o.Set("built", true);
  o.Set("driverVersion", d.driver_version);
  o.Set("runtimeVersion", d.runtime_version);
  if (d.ok) {
    o.Set("name", d.name);
    o.Set("computeCapability", S(d.major) + "." + S(d.minor));
    o.Set("totalMemory", d.total_bytes);
    o.Set("freeMemory", d.free_bytes);
  }
  return o;
}

napi_value CudaAlloc(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  int64_t n = 0;
  if (!count_arg(env, "cuda.alloc: ", "n", argc ? argv[0] : nullptr, kMaxElems, &n)) return nullptr;
  if (!need_device(env, "cuda.alloc")) return nullptr;
  uint64_t h = 0;
  if (!cuda_guard(env, "cuda.alloc: ", [&] { h = sp::cuda::buffer_alloc(n); })) return nullptr;
  napi_value r;
  napi_create_double(env, (double)h, &r);
  return r;
}

// The arguments of cuda.<op>(handle, ...): argv holds N values (undefined past what the caller
// passed), the first naming a live buffer, which goes to *b with its handle in *h. Returns false
// after throwing (or when N-API itself failed).
template <size_t N>
bool buffer_call(napi_env env, napi_callback_info cbinfo, const char* who, napi_value (&argv)[N], sp::cuda::Buffer* b,
                 uint64_t* h = nullptr) {
  size_t argc = N;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  napi_value undef;
  napi_get_undefined(env, &undef);
  for (size_t i = argc; i < N; ++i) argv[i] = undef;
  if (!handle_arg(env, who, "handle", argv[0], b)) return false;
  if (h) {
    double d = 0;
    napi_get_value_double(env, argv[0], &d);
    *h = (uint64_t)d;
  }
  return true;
}

napi_value CudaFree(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  sp::cuda::Buffer b;
  uint64_t h = 0;
  if (!buffer_call(env, cbinfo, "cuda.free: ", argv, &b, &h)) return nullptr;
  cuda_guard(env, "cuda.free: ", [&] { sp::cuda::buffer_free(h); });
  return nullptr;
}

napi_value CudaUpload(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  sp::cuda::Buffer b;
  if (!buffer_call(env, cbinfo, "cuda.upload: ", argv, &b)) return nullptr;
  const View tv = view_of(env, argv[1]);
  if (!tv.ok || tv.type != napi_float32_array) {
    throw_error(env, ErrKind::Type, "cuda.upload: expected a Float32Array for data, got " + describe(env, argv[1]));
    return nullptr;
  }
  if ((int64_t)tv.length > b.n) {
    throw_error(env, ErrKind::Range, "cuda.upload: expected at most " + S(b.n) + " elements (the buffer's size) for data, got " +
                                         S((int64_t)tv.length));
    return nullptr;
  }
  cuda_guard(env, "cuda.upload: ", [&] { sp::cuda::upload(b, static_cast<const float*>(tv.data), (int64_t)tv.length); });
  return nullptr;
}

napi_value CudaDownload(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  sp::cuda::Buffer b;
  int64_t n = 0;
  if (!buffer_call(env, cbinfo, "cuda.download: ", argv, &b) || !count_arg(env, "cuda.download: ", "n", argv[1], b.n, &n))
    return nullptr;
  napi_value ab, out;
  void* host = nullptr;
  if (napi_create_arraybuffer(env, (size_t)n * sizeof(float), &host, &ab) != napi_ok) {
    throw_error(env, ErrKind::Plain, "cuda.download: expected memory for " + S(n) + " floats on the host, got an allocation failure");
    return nullptr;
  }
  if (!cuda_guard(env, "cuda.download: ", [&] { sp::cuda::download(b, static_cast<float*>(host), n); })) return nullptr;
  napi_create_typedarray(env, napi_float32_array, (size_t)n, ab, 0, &out);
  return out;
}

napi_value CudaFill(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  sp::cuda::Buffer b;
  int64_t n = 0;
  if (!buffer_call(env, cbinfo, "cuda.fill: ", argv, &b) || !count_arg(env, "cuda.fill: ", "n", argv[1], b.n, &n)) return nullptr;
  double value = 0;
  if (!type_of(env, argv[2], napi_number)) {
    throw_error(env, ErrKind::Type, "cuda.fill: expected a number for value, got " + describe(env, argv[2]));
    return nullptr;
  }
  napi_get_value_double(env, argv[2], &value);
  cuda_guard(env, "cuda.fill: ", [&] { sp::cuda::fill(b, n, (float)value); });
  return nullptr;
}

Napi::Value CudaSync(const Napi::CallbackInfo& info) {
  if (need_device(info.Env(), "cuda.sync")) cuda_guard(info.Env(), "cuda.sync: ", [] { sp::cuda::sync(); });
  return info.Env().Undefined();
}

Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("buffers", (double)sp::cuda::buffer_count());
  o.Set("bytes", sp::cuda::buffer_bytes());
  return o;
}

Napi::Object MakeCuda(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("available", Napi::Function::New(env, CudaAvailable, "available"));
  const std::pair<const char*, napi_callback> raw[] = {
      {"alloc", CudaAlloc}, {"free", CudaFree}, {"upload", CudaUpload}, {"download", CudaDownload}, {"fill", CudaFill}};
  for (const auto& r : raw) {
    napi_value fn;
    napi_create_function(env, r.first, NAPI_AUTO_LENGTH, r.second, nullptr, &fn);
    cuda.Set(r.first, Napi::Value(env, fn));
  }
  cuda.Set("sync", Napi::Function::New(env, CudaSync, "sync"));
  cuda.Set("memory", Napi::Function::New(env, CudaMemory, "memory"));
  Napi::Object kernels = Napi::Object::New(env);
  static const std::vector<CudaBinding> bindings = [] {
    std::vector<CudaBinding> v;
    for (const CudaEntry& e : cuda_table())
      for (const Spec& s : table())
        // a launcher not written yet stays out: the TS backend declines that kernel
        if (e.present && std::string(s.name) == e.name) v.push_back({&s, &e});
    return v;
  }();
  for (const CudaBinding& b : bindings) {
    napi_value fn;
    napi_create_function(env, b.spec->name, NAPI_AUTO_LENGTH, CudaKernel, const_cast<CudaBinding*>(&b), &fn);
    kernels.Set(b.spec->name, Napi::Value(env, fn));
  }
  cuda.Set("kernels", kernels);
  return cuda;
}
#else
// Without CUDA in the build, `cuda` only says so.
Napi::Value CudaAbsent(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("ok", false);
  o.Set("built", false);
  o.Set("reason", "the native addon was built without CUDA (nvcc not found when it was built, or SLIMPRUNE_CUDA=0)");
  return o;
}
Napi::Object MakeCuda(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("available", Napi::Function::New(env, CudaAbsent, "available"));
  return cuda;
}
#endif

napi_value SetThreads(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc != 1 || !type_of(env, argv[0], napi_number)) {
    throw_error(env, ErrKind::Type, "setThreads: expected a number of threads for n, got " +
                                        (argc == 1 ? describe(env, argv[0]) : S(argc) + " arguments"));
    return nullptr;
  }
  double n = -1;
  napi_get_value_double(env, argv[0], &n);
  if (!(n >= 0 && n <= 1024) || n != std::floor(n)) {
    throw_error(env, ErrKind::Range, "setThreads: expected an integer in [0, 1024] (0: all cores) for n, got " + number_text(n));
    return nullptr;
  }
  try {
    sp::set_num_threads((int)n);
  } catch (const std::exception& e) {
    throw_error(env, ErrKind::Plain, "setThreads: expected " + number_text(n) + " threads to start for n, got " +
                                         S(sp::get_num_threads()) + " (" + e.what() + ")");
  }
  return nullptr;
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sp::get_num_threads()); }

// setWinograd(on): whether 3x3 stride-1 convolutions may take the Winograd path (on by default).
Napi::Value SetWinograd(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsBoolean()) {
    throw_error(info.Env(), ErrKind::Type, "setWinograd: expected one boolean for on, got " +
                                               (info.Length() == 1 ? describe(info.Env(), info[0]) : S(info.Length()) + " arguments"));
    return info.Env().Undefined();
  }
  sp::set_winograd_enabled(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}
Napi::Value GetWinograd(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sp::winograd_enabled()); }

// lineOffset(a): how many bytes a typed array's data lies past the start of its 64-byte cache line
// (the native backend starts each tensor on a line: see alignedFloats in src/backend/native.ts).
Napi::Value LineOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const View v = info.Length() ? view_of(env, info[0]) : View{};
  if (!v.ok) {
    throw_error(env, ErrKind::Type,
                "lineOffset: expected a typed array for a, got " + (info.Length() ? describe(env, info[0]) : std::string("nothing")));
    return env.Undefined();
  }
  return Napi::Number::New(env, (double)((uintptr_t)v.data % 64));
}

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("avx2", sp::cpu_has_avx2_fma());
  o.Set("avx512", sp::cpu_has_avx512());
  o.Set("isa", sp::cpu_isa_name());
  return o;
}

// fmaRate(seconds): the FMA rate of the microkernel's build (gemm_fma_rate), measured for about
// `seconds` (0.001 to 10): {isa, lanes, chains, threads, oneThread, allThreads} in GFLOP/s, or null
// where the build has no FMA loop (the portable microkernel).
Napi::Value FmaRate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    throw_error(env, ErrKind::Type,
                "fmaRate: expected one number of seconds, got " +
                    (info.Length() == 1 ? describe(env, info[0]) : std::to_string(info.Length()) + " arguments"));
    return env.Undefined();
  }
  const double seconds = info[0].As<Napi::Number>().DoubleValue();
  if (!(seconds >= 0.001 && seconds <= 10)) {
    throw_error(env, ErrKind::Range, "fmaRate: expected seconds from 0.001 to 10, got " + describe(env, info[0]));
    return env.Undefined();
  }
  double one = 0, all = 0;
  if (!sp::gemm_fma_rate(seconds, one, all)) return env.Null();
  const sp::GemmMicro& uk = sp::gemm_micro();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", uk.isa);
  o.Set("lanes", uk.fma_lanes);
  o.Set("chains", uk.fma_chain_count);
  o.Set("threads", sp::get_num_threads());
  o.Set("oneThread", one);
  o.Set("allThreads", all);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object kernels = Napi::Object::New(env);
  for (const Spec& s : table()) {
    napi_value fn;
    napi_create_function(env, s.name, NAPI_AUTO_LENGTH, CallKernel, const_cast<Spec*>(&s), &fn);
    kernels.Set(s.name, Napi::Value(env, fn));
  }
  exports.Set("kernels", kernels);
  napi_value st;
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, SetThreads, nullptr, &st);
  exports.Set("setThreads", Napi::Value(env, st));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("fmaRate", Napi::Function::New(env, FmaRate, "fmaRate"));
  exports.Set("lineOffset", Napi::Function::New(env, LineOffset, "lineOffset"));
  exports.Set("setWinograd", Napi::Function::New(env, SetWinograd, "setWinograd"));
  exports.Set("getWinograd", Napi::Function::New(env, GetWinograd, "getWinograd"));
  exports.Set("cuda", MakeCuda(env));
  const std::pair<const char*, napi_callback> caches[] = {
      {"newFilterCache", NewFilterCache}, {"freeFilterCache", FreeFilterCache}, {"conv2d_act_forward_prepared", CallPrepared},
      {"conv2d_act_forward_blocked", CallBlocked}, {"blockedProblem", BlockedProblem},
      {"conv2d_concat_forward", CallConcat}, {"conv_chain_forward", CallChain}, {"convChainUsable", ChainUsable},
      {"conv_wino_pw_forward", CallWinoPw}, {"winoPwUsable", WinoPwUsable}};
  for (const auto& c : caches) {
    napi_value fn;
    napi_create_function(env, c.first, NAPI_AUTO_LENGTH, c.second, nullptr, &fn);
    exports.Set(c.first, Napi::Value(env, fn));
  }
  return exports;
}

}  // namespace

NODE_API_MODULE(slimprune, Init)
