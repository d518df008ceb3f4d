// The CUDA runtime services the addon needs beyond the launchers (native/cuda/runtime.cu):
// device discovery, a registry of device buffers addressed by numeric handles (what JS holds),
// copies in and out, and staging of int32 index buffers for a launch. Every function throws
// sp::cuda::Error (common.cuh) on a CUDA failure; none of them crashes on a bad handle: lookups
// report absence and the addon turns that into a JS error.
#pragma once
#include <cstdint>
#include <string>

namespace sp {
namespace cuda {

struct DeviceInfo {
  bool ok = false;
  std::string reason;  // why not ok: the CUDA error text (no device, driver too old, ...)
  std::string name;
  int major = 0, minor = 0;
  double total_bytes = 0, free_bytes = 0;
  int driver_version = 0, runtime_version = 0;
};
// Probes device 0 once (later calls return the first answer).
const DeviceInfo& device_info();

// A device buffer of `n` floats. Handles start at 1 and are never reused, so a freed handle stays
// invalid; 0 is never a handle.
struct Buffer {
  float* ptr = nullptr;
  int64_t n = 0;
};
uint64_t buffer_alloc(int64_t n);
// False when `h` is not a live handle.
bool buffer_get(uint64_t h, Buffer* out);
bool buffer_free(uint64_t h);
// Live buffers and their total bytes (tests check that nothing leaks).
int64_t buffer_count();
double buffer_bytes();

// Copies between a host array and a buffer's first n elements. upload returns once the host
// memory may be reused; download waits for the stream (the copy is ordered after every launch).
void upload(const Buffer& b, const float* host, int64_t n);
void download(const Buffer& b, float* host, int64_t n);
// The first n elements of b set to value, on the stream.
void fill(const Buffer& b, int64_t n, float value);
// Waits for everything enqueued so far; a fault of an earlier launch surfaces here.
void sync();

// Device copies of up to 4 host int32 arrays for one launch (slot 0..3): valid until the next
// call with the same slot; the copy is ordered before the launch on the stream.
const int32_t* stage_indices(int slot, const int32_t* host, int64_t n);

}  // namespace cuda
}  // namespace sp
