// Fixed-size thread pool: workers poll briefly, then wait on a condition variable, for a job (a
// chunked range); each thread claims chunks of its own home range first and then those left in
// the others' (claim: atomic counters tagged with the job's id), the caller works too, then
// (polling briefly first as well) waits until every chunk has been counted done. One job at a
// time; a call made from inside a job runs inline.
// An exception thrown by a chunk (a scratch allocation that failed) is caught where it happens,
// the remaining chunks still run, and the first one is rethrown to the caller of parallel_for
// once the job is over. Under emscripten (the wasm-em backend, a standalone module without
// threads) every range runs inline on the calling thread.
#include "threadpool.h"

#ifdef __EMSCRIPTEN__
namespace sp {
void set_num_threads(int) {}
int get_num_threads() { return 1; }
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t) {
  if (n > 0) fn(0, n);
}
void parallel_tasks(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n > 0) fn(0, n);
}
}  // namespace sp
#else

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sp {
namespace {

thread_local bool tl_in_pool = false;

// A claim counter carries the id of the job it counts for: (job id << kChunkBits) | next chunk.
// A claim is a compare-and-swap that succeeds only while the id is that of the claimer's job and
// chunks are left in the counter's range, so a worker that was held up between reading a counter
// and claiming (and resumes after its job ended and the next one started) can never take a chunk
// of a job it did not read, nor advance that job's counter. Ids wrap after 2^40 jobs.
constexpr int kChunkBits = 24;
constexpr uint64_t kChunkMask = ((uint64_t)1 << kChunkBits) - 1;
constexpr uint64_t kIdMask = ((uint64_t)1 << (64 - kChunkBits)) - 1;

// One parallel_for call. A worker reads it only from the copy it takes under the mutex.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunks = 0;
  uint64_t id = 0;
  int threads = 1;  // the pool's size when the job started: thread i's home chunks are [home(i), home(i + 1))
  int64_t home(int i) const { return chunks * i / threads; }
};

// Thread i's claim counter: the next chunk of its home range, on a cache line of its own.
struct alignas(64) Counter {
  std::atomic<uint64_t> next{0};
};

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return size_.load(std::memory_order_relaxed); }

  // When the system refuses a thread, the pool keeps the workers it got and the error goes to
  // the caller (setThreads reports it).
  void resize(int n) {
    std::lock_guard<std::mutex> run_guard(run_mu_);
    stop_workers();
    stop_ = false;
    size_.store(1, std::memory_order_relaxed);
    counters_ = std::vector<Counter>((size_t)std::max(1, n));
    for (int i = 1; i < std::max(1, n); ++i) {
      workers_.emplace_back([this, i] { worker_loop(i); });
      size_.store((int)workers_.size() + 1, std::memory_order_relaxed);
    }
  }

  // each: every index its own chunk, however many (grain ignored).
  void run(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain, bool each = false) {
    grain = each ? 1 : std::max<int64_t>(1, grain);
    const int64_t max_chunks = (n + grain - 1) / grain;
    if (tl_in_pool || max_chunks <= 1 || size() == 1) {
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> run_guard(run_mu_);
    // Contiguous, deterministic chunks: the same index always lands in a chunk with the same
    // bounds for a given thread count, and chunk boundaries never change per-index arithmetic.
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunks = std::min<int64_t>({max_chunks, each ? max_chunks : (int64_t)size() * 4, (int64_t)kChunkMask});
    job.threads = size();
    {
      std::lock_guard<std::mutex> lk(mu_);
      job.id = ++generation_ & kIdMask;
      job_ = job;
      done_ = 0;
      error_ = nullptr;
      for (int i = 0; i < job.threads; ++i)
        counters_[(size_t)i].next.store(job.id << kChunkBits | (uint64_t)job.home(i), std::memory_order_relaxed);
    }
    cv_.notify_all();
    const int64_t mine = work(job, 0);
    std::exception_ptr err;
    if (mine < job.chunks) spin_until([&] { return done_.load(std::memory_order_acquire) + mine >= job.chunks; });
    {
      std::unique_lock<std::mutex> lk(mu_);
      done_ += mine;
      // Only chunks of this job are counted (see claim), so done_ reaches job.chunks exactly.
      done_cv_.wait(lk, [&] { return done_ == job.chunks; });
      job_ = Job();
      err = error_;
      error_ = nullptr;
    }
    if (err) std::rethrow_exception(err);
  }

 private:
  // The next chunk of `job` for thread `me`, or -1 when none is left (or the counters have moved
  // on to a later job): from the front of its home range first, then from the other threads'
  // ranges in turn. Chunk bounds depend on the shape only, so who runs a chunk changes no result;
  // but a thread mostly runs its own home range, the same part of each kernel's index space call
  // after call, so consecutive kernels that split their work alike (image-major tasks) find their
  // inputs in the cache of the core that wrote them. (Against one shared counter, YOLOv3-MobileNetV1
  // at 320 batch 2, 2 threads: the pruned head's small layers 1.1-1.28x, whole forwards about 1.02-1.04x.)
  int64_t claim(const Job& job, int me) {
    for (int k = 0; k < job.threads; ++k) {
      const int i = (me + k) % job.threads;
      const uint64_t end = (uint64_t)job.home(i + 1);
      std::atomic<uint64_t>& next = counters_[(size_t)i].next;
      uint64_t t = next.load(std::memory_order_relaxed);
      for (;;) {
        if ((t >> kChunkBits) != job.id || (t & kChunkMask) >= end) break;
        // Relaxed is enough: the job's data was published under mu_, and the chunk results reach
        // the caller through mu_ (done_).
        if (next.compare_exchange_weak(t, t + 1, std::memory_order_relaxed)) return (int64_t)(t & kChunkMask);
      }
    }
    return -1;
  }

  // Polls `ready` for up to spin_us() microseconds before the caller blocks on a condition
  // variable: a model's next parallel region usually starts within that time (the next kernel
  // call, a few JavaScript steps later), and a worker asleep in the kernel takes tens of
  // microseconds to wake. YOLOv3-MobileNetV1 inference at 320 batch 2, 56 kernel calls: 1.02-1.05x
  // (unpruned) and 1.05-1.06x (r578) with 30 to 3000 us against none; 100 by default,
  // SLIMPRUNE_SPIN_US=0 blocks at once (a worker then never holds a core it does not use).
  template <class F>
  static void spin_until(F ready) {
    const int64_t limit = spin_us();
    if (limit <= 0) return;
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(limit);
    for (int i = 0;; ++i) {
      if (ready()) return;
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() >= end) return;
    }
  }
  // SLIMPRUNE_SPIN_US, read once (100 when unset or not a count of microseconds; at most 1 s).
  static int64_t spin_us() {
    static const int64_t us = [] {
      const char* v = std::getenv("SLIMPRUNE_SPIN_US");
      if (!v || !*v) return (int64_t)100;
      char* end = nullptr;
      const long long n = std::strtoll(v, &end, 10);
      return *end || n < 0 ? (int64_t)100 : (int64_t)std::min(n, 1000000LL);
    }();
    return us;
  }

  // Runs chunks of `job` until none is left; returns how many. An exception from a chunk is kept
  // (the first one) and the loop goes on, so every chunk is always run and counted.
  int64_t work(const Job& job, int me) {
    const bool was = tl_in_pool;
    tl_in_pool = true;
    int64_t finished = 0;
    for (int64_t c; (c = claim(job, me)) >= 0; ++finished) {
      const int64_t b = job.n * c / job.chunks, e = job.n * (c + 1) / job.chunks;
      if (b >= e) continue;
      try {
        (*job.fn)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
    tl_in_pool = was;
    return finished;
  }

  void worker_loop(int me) {
    uint64_t seen = 0;
    for (;;) {
      Job job;
      spin_until([&] { return stop_ || generation_ != seen; });
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || (generation_ != seen && job_.fn != nullptr); });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      const int64_t finished = work(job, me);
      // A worker that ran chunks of a job holds the caller in its wait, so that job is still the
      // current one here and done_ is its count.
      if (finished) {
        std::lock_guard<std::mutex> lk(mu_);
        done_ += finished;
        if (done_ == job.chunks) done_cv_.notify_one();  // only the caller waits on it
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  Job job_;
  std::exception_ptr error_;
  std::atomic<int64_t> done_{0};
  std::vector<Counter> counters_;  // one per thread (resize)
  // Written under mu_; atomic so that a polling worker may read them without it.
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> size_{1};
};

int default_threads() {
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? (int)hc : 1;
}

Pool& pool() {
  static Pool* p = [] {
    auto* q = new Pool();  // never destroyed: workers must not be joined during static teardown
    q->resize(default_threads());
    return q;
  }();
  return *p;
}

}  // namespace

void set_num_threads(int n) { pool().resize(n <= 0 ? default_threads() : n); }
int get_num_threads() { return pool().size(); }
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
  if (n <= 0) return;
  pool().run(n, fn, grain);
}
void parallel_tasks(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  // Up to 8 tasks per thread each its own chunk; more are balanced by parallel_for's chunks (and
  // a thread's tasks stay neighbours: measured 1.02-1.04x on 23 tiles of 76x76 maps).
  pool().run(n, fn, 1, n <= 8 * (int64_t)pool().size());
}

}  // namespace sp
#endif  // __EMSCRIPTEN__
