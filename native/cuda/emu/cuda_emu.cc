// The host emulator's runtime (see cuda_emu.h): fibers for the threads of a block, barriers,
// warp exchange, and device memory as host memory with a cap (SP_CUDA_EMU_MEM_MB, default 4096)
// so that out-of-memory paths can be tested.
#include "cuda_emu.h"

#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace {

enum class State { Runnable, BlockBarrier, WarpBarrier, Done };

// Large enough for kernels with register tiles (a few KiB of locals) and the libc calls inside.
constexpr size_t kStackBytes = 256 * 1024;

struct Fiber {
  ucontext_t ctx;
  std::unique_ptr<char[]> stack;
  State state = State::Done;
  uint3 tid{0, 0, 0};
};

struct BlockRun {
  std::vector<Fiber> fibers;
  std::vector<uint64_t> exchange;  // one slot per thread, for warp shuffles and ballots
  std::vector<unsigned char> smem;
  ucontext_t sched;
  unsigned count = 0;  // threads of the current block
  unsigned current = 0;
  const std::function<void()>* body = nullptr;
  bool active = false;
};

thread_local BlockRun run;
thread_local cudaError_t last_error = cudaSuccess;

void set_error(cudaError_t e) {
  if (last_error == cudaSuccess) last_error = e;
}

void trampoline() {
  (*run.body)();
  run.fibers[run.current].state = State::Done;
  // returning resumes run.sched (uc_link)
}

void wait_at(State s) {
  if (!run.active) return;  // called outside a launch: nothing to wait for
  Fiber& f = run.fibers[run.current];
  f.state = s;
  swapcontext(&f.ctx, &run.sched);
}

// Releases barriers whose whole scope waits. Strict, as the CUDA programming guide states it: a
// barrier is reached by every thread of its scope, so a thread that has exited while others wait
// (an early `return` before __syncthreads, a shuffle in divergent code) is an error here even
// where a GPU might happen to let it pass. Returns false when nothing can move.
bool release() {
  unsigned live = 0, at_block = 0;
  for (unsigned i = 0; i < run.count; ++i) {
    State s = run.fibers[i].state;
    if (s != State::Done) ++live;
    if (s == State::BlockBarrier) ++at_block;
  }
  if (live == 0) return true;
  if (at_block == run.count) {
    for (unsigned i = 0; i < run.count; ++i) run.fibers[i].state = State::Runnable;
    return true;
  }
  bool moved = false;
  for (unsigned w0 = 0; w0 < run.count; w0 += 32) {
    unsigned w1 = std::min(run.count, w0 + 32), wwait = 0;
    for (unsigned i = w0; i < w1; ++i) wwait += run.fibers[i].state == State::WarpBarrier;
    if (wwait == w1 - w0) {
      for (unsigned i = w0; i < w1; ++i) run.fibers[i].state = State::Runnable;
      moved = true;
    }
  }
  return moved;
}

bool run_block(const dim3& block) {
  for (unsigned i = 0; i < run.count; ++i) {
    Fiber& f = run.fibers[i];
    if (!f.stack) f.stack.reset(new char[kStackBytes]);
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.get();
    f.ctx.uc_stack.ss_size = kStackBytes;
    f.ctx.uc_link = &run.sched;
    makecontext(&f.ctx, trampoline, 0);
    f.state = State::Runnable;
    f.tid = {i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
  }
  for (;;) {
    bool any = false;
    for (unsigned i = 0; i < run.count; ++i) {
      if (run.fibers[i].state != State::Runnable) continue;
      any = true;
      run.current = i;
      threadIdx = run.fibers[i].tid;
      swapcontext(&run.sched, &run.fibers[i].ctx);
    }
    bool done = true;
    for (unsigned i = 0; i < run.count; ++i) done = done && run.fibers[i].state == State::Done;
    if (done) return true;
    if (!release() && !any) return false;
  }
}

std::mutex mem_mutex;
std::unordered_map<void*, size_t> allocations;
size_t allocated = 0;

size_t mem_cap() {
  const char* v = std::getenv("SP_CUDA_EMU_MEM_MB");
  long mb = v ? std::atol(v) : 4096;
  return (size_t)(mb > 0 ? mb : 4096) << 20;
}

}  // namespace

namespace sp_emu {

unsigned lane_id() { return run.current % 32; }

unsigned warp_live_mask() {
  unsigned w0 = run.current - run.current % 32, mask = 0;
  for (unsigned i = w0; i < std::min(run.count, w0 + 32); ++i)
    if (run.fibers[i].state != State::Done) mask |= 1u << (i - w0);
  return mask;
}

uint64_t warp_exchange(uint64_t mine, int src_lane) {
  unsigned me = run.current, w0 = me - me % 32;
  run.exchange[me] = mine;
  wait_at(State::WarpBarrier);
  unsigned src = w0 + (unsigned)src_lane;
  uint64_t got = (src_lane >= 0 && src_lane < 32 && src < run.count) ? run.exchange[src] : mine;
  wait_at(State::WarpBarrier);  // nobody overwrites a slot before every lane has read
  return got;
}

void* dynamic_shared() { return run.smem.data(); }

void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()>& body) {
  uint64_t threads = (uint64_t)block.x * block.y * block.z;
  if (run.active || threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535 || smem > 227 * 1024) {
    set_error(cudaErrorInvalidConfiguration);
    return;
  }
  run.count = (unsigned)threads;
  if (run.fibers.size() < threads) run.fibers.resize(threads);
  run.exchange.assign(threads, 0);
  run.smem.assign(smem + 16, 0xcd);  // garbage-like fill: a kernel must not expect zeroed shared memory
  run.body = &body;
  run.active = true;
  gridDim = grid;
  blockDim = block;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = {x, y, z};
        if (!run_block(block)) {
          std::fprintf(stderr, "cuda emulator: threads of block (%u,%u,%u) wait at barriers that cannot be released\n", x, y, z);
          set_error(cudaErrorLaunchFailure);
          run.active = false;
          return;
        }
      }
  run.active = false;
}

}  // namespace sp_emu

void __syncthreads() { wait_at(State::BlockBarrier); }
void __syncwarp(unsigned) { wait_at(State::WarpBarrier); }

unsigned __ballot_sync(unsigned mask, int pred) {
  unsigned me = run.current, w0 = me - me % 32, out = 0;
  run.exchange[me] = pred ? 1 : 0;
  wait_at(State::WarpBarrier);
  for (unsigned i = w0; i < std::min(run.count, w0 + 32); ++i)
    if (run.fibers[i].state != State::Done && run.exchange[i]) out |= 1u << (i - w0);
  wait_at(State::WarpBarrier);
  return out & mask;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (!p) return cudaErrorInvalidValue;
  std::lock_guard<std::mutex> lock(mem_mutex);
  if (bytes > mem_cap() || allocated + bytes > mem_cap()) {
    *p = nullptr;
    set_error(cudaErrorMemoryAllocation);
    return cudaErrorMemoryAllocation;
  }
  void* q = std::malloc(bytes ? bytes : 1);
  if (!q) {
    set_error(cudaErrorMemoryAllocation);
    return cudaErrorMemoryAllocation;
  }
  allocations[q] = bytes;
  allocated += bytes;
  *p = q;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mem_mutex);
  auto it = allocations.find(p);
  if (it == allocations.end()) return cudaErrorInvalidDevicePointer;
  allocated -= it->second;
  allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes && (!dst || !src)) return cudaErrorInvalidValue;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  if (bytes && !p) return cudaErrorInvalidValue;
  if (bytes) std::memset(p, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) { return cudaMemset(p, value, bytes); }

struct CUstream_st {
  int unused;
};
cudaError_t cudaStreamCreate(cudaStream_t* s) {
  *s = new CUstream_st{0};
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { return cudaStreamCreate(s); }
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return last_error; }
cudaError_t cudaDeviceSynchronize() { return last_error; }
cudaError_t cudaGetLastError() {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return last_error; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    default: return "cudaErrorUnknown";
  }
}
const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    default: return "unknown error";
  }
}

cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int d) {
  if (d != 0) return cudaErrorInvalidDevice;
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "slimprune CUDA emulator (host)");
  prop->major = 8;
  prop->minor = 0;
  prop->totalGlobalMem = mem_cap();
  prop->sharedMemPerBlock = 48 * 1024;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->multiProcessorCount = 1;
  prop->maxThreadsPerBlock = 1024;
  prop->warpSize = 32;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  std::lock_guard<std::mutex> lock(mem_mutex);
  *total_bytes = mem_cap();
  *free_bytes = mem_cap() - allocated;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 0;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 0;
  return cudaSuccess;
}
