// Times oneDNN's fp32 convolution on one case, as a peer for slimprune's conv benchmark.
//
// The three passes of a conv layer y = conv(x, w) are timed: forward (y), backward data
// (dx from dy and w) and backward weights (dw from x and dy), with no bias. Tensors are handed
// to oneDNN in the layouts it prefers (format_tag::any, usually channel-blocked nChw8c/16c):
// the NCHW data is reordered once, outside the timed region, so that only the primitive itself
// is measured, which is how a framework built on oneDNN keeps its activations.
//
// usage: onednn_conv CASE N C H W OC KH KW SH SW PH PW G MIN_MS MIN_ITERS OPS
//   OPS: comma-separated subset of fwd,dx,dw. Threads: OMP_NUM_THREADS (oneDNN's OpenMP runtime).
// Output: one JSON object per op on stdout: {"case","op","impl","threads","ms","samples"},
// ms the median over the timed calls (one untimed warm-up call first).
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

double median_ms(const std::function<void()>& call, double min_ms, int min_iters, int* samples) {
  call();  // warm-up: first-touch of the workspace, JIT of the kernel
  std::vector<double> t;
  double total = 0;
  while (total < min_ms || (int)t.size() < min_iters) {
    auto a = std::chrono::steady_clock::now();
    call();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
    t.push_back(ms);
    total += ms;
  }
  std::sort(t.begin(), t.end());
  *samples = (int)t.size();
  size_t n = t.size();
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

// A user-side NCHW (or OIHW / GOIHW) buffer of random values, reordered into the layout `want`.
memory make_input(engine& eng, stream& s, const memory::dims& dims, tag user_tag, const memory::desc& want, std::mt19937& rng) {
  memory user({dims, dt::f32, user_tag}, eng);
  float* p = static_cast<float*>(user.get_data_handle());
  size_t n = 1;
  for (auto d : dims) n *= (size_t)d;
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (size_t i = 0; i < n; ++i) p[i] = u(rng);
  memory m(want, eng);
  reorder(user, m).execute(s, user, m);
  s.wait();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 17) {
    std::fprintf(stderr, "usage: %s CASE N C H W OC KH KW SH SW PH PW G MIN_MS MIN_ITERS OPS\n", argv[0]);
    return 2;
  }
  const std::string name = argv[1];
  long v[12];
  for (int i = 0; i < 12; ++i) v[i] = std::atol(argv[2 + i]);
  const long N = v[0], C = v[1], H = v[2], W = v[3], OC = v[4], KH = v[5], KW = v[6], SH = v[7], SW = v[8], PH = v[9],
             PW = v[10], G = v[11];
  const double min_ms = std::atof(argv[14]);
  const int min_iters = std::atoi(argv[15]);
  const std::string ops = std::string(",") + argv[16] + ",";
  const long OH = (H + 2 * PH - KH) / SH + 1, OW = (W + 2 * PW - KW) / SW + 1;
  // Right/bottom padding that makes oneDNN's output size match the floor rule above.
  const long PHR = (OH - 1) * SH + KH - H - PH, PWR = (OW - 1) * SW + KW - W - PW;

  const char* env_threads = std::getenv("OMP_NUM_THREADS");
  const int threads = env_threads ? std::atoi(env_threads) : 0;

  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  std::mt19937 rng(7);

  memory::dims src_d = {N, C, H, W}, dst_d = {N, OC, OH, OW};
  memory::dims w_d = G > 1 ? memory::dims{G, OC / G, C / G, KH, KW} : memory::dims{OC, C, KH, KW};
  const tag w_tag = G > 1 ? tag::goihw : tag::oihw;
  memory::dims strides = {SH, SW}, pl = {PH, PW}, pr = {PHR, PWR};
  memory::desc src_any(src_d, dt::f32, tag::any), dst_any(dst_d, dt::f32, tag::any), w_any(w_d, dt::f32, tag::any);

#if DNNL_VERSION_MAJOR >= 3
  convolution_forward::primitive_desc fwd_pd(eng, prop_kind::forward_training, algorithm::convolution_direct, src_any,
                                             w_any, dst_any, strides, pl, pr);
  convolution_backward_data::primitive_desc bwd_d_pd(eng, algorithm::convolution_direct, src_any, w_any, dst_any,
                                                     strides, pl, pr, fwd_pd);
  convolution_backward_weights::primitive_desc bwd_w_pd(eng, algorithm::convolution_direct, src_any, w_any, dst_any,
                                                        strides, pl, pr, fwd_pd);
#else
  convolution_forward::primitive_desc fwd_pd(
      convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src_any, w_any, dst_any,
                                strides, pl, pr),
      eng);
  convolution_backward_data::primitive_desc bwd_d_pd(
      convolution_backward_data::desc(algorithm::convolution_direct, src_any, w_any, dst_any, strides, pl, pr), eng,
      fwd_pd);
  convolution_backward_weights::primitive_desc bwd_w_pd(
      convolution_backward_weights::desc(algorithm::convolution_direct, src_any, w_any, dst_any, strides, pl, pr), eng,
      fwd_pd);
#endif

  auto emit = [&](const char* op, double ms, int samples) {
    std::printf("{\"case\":\"%s\",\"op\":\"%s\",\"impl\":\"onednn\",\"threads\":%d,\"ms\":%.6f,\"samples\":%d}\n",
                name.c_str(), op, threads, ms, samples);
    std::fflush(stdout);
  };
  int samples = 0;

  if (ops.find(",fwd,") != std::string::npos) {
    memory x = make_input(eng, s, src_d, tag::nchw, fwd_pd.src_desc(), rng);
    memory w = make_input(eng, s, w_d, w_tag, fwd_pd.weights_desc(), rng);
    memory y(fwd_pd.dst_desc(), eng);
    convolution_forward prim(fwd_pd);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y}};
    double ms = median_ms([&] { prim.execute(s, args); s.wait(); }, min_ms, min_iters, &samples);
    emit("fwd", ms, samples);
  }
  if (ops.find(",dx,") != std::string::npos) {
    memory dy = make_input(eng, s, dst_d, tag::nchw, bwd_d_pd.diff_dst_desc(), rng);
    memory w = make_input(eng, s, w_d, w_tag, bwd_d_pd.weights_desc(), rng);
    memory dx(bwd_d_pd.diff_src_desc(), eng);
    convolution_backward_data prim(bwd_d_pd);
    std::unordered_map<int, memory> args = {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}};
    double ms = median_ms([&] { prim.execute(s, args); s.wait(); }, min_ms, min_iters, &samples);
    emit("dx", ms, samples);
  }
  if (ops.find(",dw,") != std::string::npos) {
    memory x = make_input(eng, s, src_d, tag::nchw, bwd_w_pd.src_desc(), rng);
    memory dy = make_input(eng, s, dst_d, tag::nchw, bwd_w_pd.diff_dst_desc(), rng);
    memory dw(bwd_w_pd.diff_weights_desc(), eng);
    convolution_backward_weights prim(bwd_w_pd);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}};
    double ms = median_ms([&] { prim.execute(s, args); s.wait(); }, min_ms, min_iters, &samples);
    emit("dw", ms, samples);
  }
  return 0;
}
