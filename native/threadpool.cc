// Fixed-size thread pool: workers wait on a condition variable for a job (a chunked range),
// claim chunks with an atomic counter, and the caller works too, then waits until every worker
// that joined the job has left it. One job at a time; a call made from inside a job runs inline.
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
}  // namespace sp
#else

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sp {
namespace {

thread_local bool tl_in_pool = false;

// One parallel_for call: read by a worker only from the copy it takes when it joins the job.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunks = 0;
};

// Invariants (all under mu_):
//  - a worker joins a job (copies job_, ++active_) only while job_.fn is set, and leaves it
//    (--active_) after its last claim, so the chunk counter next_ is touched only by the caller
//    and by workers between joining and leaving;
//  - the caller clears job_.fn in the same critical section in which it sees active_ == 0, so
//    once a job is over no thread can still claim from next_ when it is reset for the next one.
// The caller's own claim loop ends only after every chunk index has been handed out, and each
// worker finishes the chunks it claimed before it leaves, so active_ == 0 after the caller's loop
// means the whole range is done. (Counting finished chunks instead is not enough: a worker that
// claimed an index just as one job ended could match it against the next job's chunk count and
// run a chunk twice, overshooting the count that the caller waits for.)
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
    for (int i = 1; i < std::max(1, n); ++i) {
      workers_.emplace_back([this] { worker_loop(); });
      size_.store((int)workers_.size() + 1, std::memory_order_relaxed);
    }
  }

  void run(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
    grain = std::max<int64_t>(1, grain);
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
    job.chunks = std::min<int64_t>(max_chunks, (int64_t)size() * 4);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = job;
      error_ = nullptr;
      // Relaxed is enough: every thread that claims from this job acquired mu_ after this store.
      next_.store(0, std::memory_order_relaxed);
      ++generation_;
    }
    cv_.notify_all();
    work(job);
    std::exception_ptr err;
    {
      std::unique_lock<std::mutex> lk(mu_);
      idle_cv_.wait(lk, [&] { return active_ == 0; });
      job_ = Job();
      err = error_;
      error_ = nullptr;
    }
    if (err) std::rethrow_exception(err);
  }

 private:
  // Claims chunks of `job` until none is left. An exception from a chunk is kept (the first one)
  // and the loop goes on, so the range is always fully handed out.
  void work(const Job& job) {
    const bool was = tl_in_pool;
    tl_in_pool = true;
    for (;;) {
      const int64_t c = next_.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.chunks) break;
      const int64_t b = job.n * c / job.chunks, e = job.n * (c + 1) / job.chunks;
      if (b < e) {
        try {
          (*job.fn)(b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lk(mu_);
          if (!error_) error_ = std::current_exception();
        }
      }
    }
    tl_in_pool = was;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || (generation_ != seen && job_.fn != nullptr); });
        if (stop_) return;
        seen = generation_;
        job = job_;
        ++active_;
      }
      work(job);
      // Leaving under mu_ publishes this worker's writes to the caller, which reads active_
      // under mu_ too; only the caller waits on idle_cv_.
      std::lock_guard<std::mutex> lk(mu_);
      if (--active_ == 0) idle_cv_.notify_one();
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
  std::condition_variable cv_, idle_cv_;
  std::vector<std::thread> workers_;
  Job job_;
  std::exception_ptr error_;
  int active_ = 0;
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;
  bool stop_ = false;
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

}  // namespace sp
#endif  // __EMSCRIPTEN__
