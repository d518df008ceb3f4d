// Fixed-size thread pool: workers wait on a condition variable for a job (a chunked range),
// claim chunks with an atomic counter, and the caller works too. One job at a time; a call
// made from inside a job runs inline. An exception thrown by a chunk (a scratch allocation that
// failed) is caught where it happens, the remaining chunks still run, and the first one is
// rethrown to the caller of parallel_for once the job is over. Under emscripten (the wasm-em backend, a standalone module
// without threads) every range runs inline on the calling thread.
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

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return size_; }

  // When the system refuses a thread, the pool keeps the workers it got and the error goes to
  // the caller (setThreads reports it).
  void resize(int n) {
    std::lock_guard<std::mutex> run_guard(run_mu_);
    stop_workers();
    stop_ = false;
    size_ = 1;
    for (int i = 1; i < std::max(1, n); ++i) {
      workers_.emplace_back([this] { worker_loop(); });
      size_ = (int)workers_.size() + 1;
    }
  }

  void run(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
    grain = std::max<int64_t>(1, grain);
    int64_t max_chunks = (n + grain - 1) / grain;
    if (tl_in_pool || size_ == 1 || max_chunks <= 1) {
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> run_guard(run_mu_);
    // Contiguous, deterministic chunks: the same index always lands in a chunk with the same
    // bounds for a given thread count, and chunk boundaries never change per-index arithmetic.
    int64_t chunks = std::min<int64_t>(max_chunks, (int64_t)size_ * 4);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      job_n_ = n;
      job_chunks_ = chunks;
      next_.store(0);
      done_ = 0;
      error_ = nullptr;
      ++generation_;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return done_ == chunks; });
    job_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  void work() {
    bool was = tl_in_pool;
    tl_in_pool = true;
    int64_t finished = 0;
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= job_chunks_) break;
      int64_t b = job_n_ * c / job_chunks_, e = job_n_ * (c + 1) / job_chunks_;
      if (b < e) {
        try {
          (*job_)(b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lk(mu_);
          if (!error_) error_ = std::current_exception();
        }
      }
      ++finished;
    }
    tl_in_pool = was;
    if (finished) {
      std::lock_guard<std::mutex> lk(mu_);
      done_ += finished;
      if (done_ == job_chunks_) done_cv_.notify_all();
    }
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || (generation_ != seen && job_ != nullptr); });
        if (stop_) return;
        seen = generation_;
      }
      work();
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
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  std::exception_ptr error_;
  int64_t job_n_ = 0, job_chunks_ = 0, done_ = 0;
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;
  bool stop_ = false;
  int size_ = 1;
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
