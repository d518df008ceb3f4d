// The CUDA backend's runtime (declared in common.cuh and runtime.h): error checks, the one stream
// every launcher enqueues on, the launchers' scratch buffer, the addon's buffer registry, and the
// staging of index buffers. Kept apart from the kernels so that each kernel file holds only its
// maths. The addon calls these from the JS thread; the registry has a lock anyway because worker
// threads may load the addon too.
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "common.cuh"
#include "runtime.h"

namespace sp {
namespace cuda {

namespace {

std::string error_text(const char* what, cudaError_t e) {
  return std::string(what) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
}

bool sync_each_launch() {
  static const bool on = [] {
    const char* v = std::getenv("SLIMPRUNE_CUDA_SYNC");
    return v && v[0] == '1';
  }();
  return on;
}

std::mutex registry_mutex;
std::unordered_map<uint64_t, Buffer> registry;
uint64_t next_handle = 1;
double registry_bytes = 0;

// One growing device allocation, shared by all launchers (a launcher's scratch is dead once the
// next launcher runs, and both are ordered on the one stream).
struct Grow {
  void* ptr = nullptr;
  size_t bytes = 0;
  void* need(size_t b, const char* what) {
    if (b <= bytes && ptr) return ptr;
    if (ptr) {
      // cudaFree waits for the device, so a launch still reading the old block finishes first.
      check(cudaFree(ptr), what);
      ptr = nullptr;
      bytes = 0;
    }
    size_t want = b < 256 ? 256 : b + b / 4;  // a little headroom: sizes creep up across layers
    void* q = nullptr;
    check(cudaMalloc(&q, want), what);
    ptr = q;
    bytes = want;
    return ptr;
  }
};
Grow scratch_block;
Grow fused_block;  // a fused launcher's intermediate tensor (the launchers it composes use scratch_block)
Grow index_slots[4];

// y[i] = value for i < n.
__global__ void fill_kernel(float* y, int64_t n, float value) {
  SP_GRID_LOOP(i, n) { y[i] = value; }
}

}  // namespace

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // a non-sticky error is consumed here so it is not blamed on the next launch
  throw Error(what, e, error_text(what, e));
}

void check_launch(const char* kernel) {
  check(cudaGetLastError(), kernel);
  if (sync_each_launch()) check(cudaStreamSynchronize(stream()), kernel);
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t t = nullptr;
    check(cudaStreamCreateWithFlags(&t, cudaStreamNonBlocking), "cuda stream");
    return t;
  }();
  return s;
}

void* scratch(size_t bytes) { return scratch_block.need(bytes, "cuda scratch"); }
void* fused_scratch(size_t bytes) { return fused_block.need(bytes, "cuda fused scratch"); }

const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo d;
    cudaDriverGetVersion(&d.driver_version);
    cudaRuntimeGetVersion(&d.runtime_version);
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaSuccess && count == 0) e = cudaErrorNoDevice;
    if (e == cudaSuccess) e = cudaSetDevice(0);
    cudaDeviceProp prop;
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, 0);
    size_t free_b = 0, total_b = 0;
    if (e == cudaSuccess) e = cudaMemGetInfo(&free_b, &total_b);
    if (e != cudaSuccess) {
      cudaGetLastError();
      d.reason = error_text("no usable CUDA device", e);
      auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
      if (e == cudaErrorInsufficientDriver && d.driver_version == 0)
        d.reason += " (no NVIDIA driver is loaded on this machine)";
      else if (e == cudaErrorInsufficientDriver)
        d.reason += " (the driver supports CUDA " + version(d.driver_version) + ", this build needs " + version(d.runtime_version) + ")";
      return d;
    }
    d.ok = true;
    d.name = prop.name;
    d.major = prop.major;
    d.minor = prop.minor;
    d.total_bytes = (double)total_b;
    d.free_bytes = (double)free_b;
    return d;
  }();
  return info;
}

uint64_t buffer_alloc(int64_t n) {
  void* q = nullptr;
  // at least one element, so an empty tensor still has a distinct, valid pointer
  check(cudaMalloc(&q, (size_t)(n > 0 ? n : 1) * sizeof(float)), "cuda alloc");
  std::lock_guard<std::mutex> lock(registry_mutex);
  const uint64_t h = next_handle++;
  registry[h] = Buffer{static_cast<float*>(q), n};
  registry_bytes += (double)n * sizeof(float);
  return h;
}

bool buffer_get(uint64_t h, Buffer* out) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry.find(h);
  if (it == registry.end()) return false;
  *out = it->second;
  return true;
}

bool buffer_free(uint64_t h) {
  Buffer b;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry.find(h);
    if (it == registry.end()) return false;
    b = it->second;
    registry.erase(it);
    registry_bytes -= (double)b.n * sizeof(float);
  }
  // cudaFree synchronises the device, so kernels still using the buffer finish first.
  check(cudaFree(b.ptr), "cuda free");
  return true;
}

int64_t buffer_count() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  return (int64_t)registry.size();
}

double buffer_bytes() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  return registry_bytes;
}

void upload(const Buffer& b, const float* host, int64_t n) {
  if (n <= 0) return;
  // From pageable memory the call returns once the source is staged, so the host array may change after.
  check(cudaMemcpyAsync(b.ptr, host, (size_t)n * sizeof(float), cudaMemcpyHostToDevice, stream()), "cuda upload");
}

void download(const Buffer& b, float* host, int64_t n) {
  if (n <= 0) return;
  check(cudaMemcpyAsync(host, b.ptr, (size_t)n * sizeof(float), cudaMemcpyDeviceToHost, stream()), "cuda download");
  check(cudaStreamSynchronize(stream()), "cuda download");
}

void fill(const Buffer& b, int64_t n, float value) {
  if (n <= 0) return;
  SP_LAUNCH(fill_kernel, blocks_for(n, 256), 256, 0, stream(), b.ptr, n, value);
  check_launch("cuda fill");
}

void sync() { check(cudaStreamSynchronize(stream()), "cuda sync"); }

const int32_t* stage_indices(int slot, const int32_t* host, int64_t n) {
  Grow& g = index_slots[slot & 3];
  void* d = g.need((size_t)(n > 0 ? n : 1) * sizeof(int32_t), "cuda index staging");
  if (n > 0) check(cudaMemcpyAsync(d, host, (size_t)n * sizeof(int32_t), cudaMemcpyHostToDevice, stream()), "cuda index staging");
  return static_cast<const int32_t*>(d);
}

}  // namespace cuda
}  // namespace sp
