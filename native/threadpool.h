// A small fixed thread pool used by every heavy kernel.
// parallel_for splits [0, n) into contiguous chunks; each index is processed by exactly one
// thread, so a kernel whose per-index work is independent gives identical results for 1 and N
// threads. Reductions across indices must be done per index (or in a fixed order afterwards),
// never by racing accumulations.
#pragma once
#include <cstdint>
#include <functional>

namespace sp {
void set_num_threads(int n);  // n <= 0: the cores available
int get_num_threads();
// fn(begin, end) over chunks of [0, n); at least `grain` indices per chunk. Runs inline when
// called from inside a pool worker (no nested parallelism) or when n is small.
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain = 1);
// fn over [0, n) for coarse tasks: up to 8 per thread, one index at a time (parallel_for's 4
// contiguous chunks per thread would leave one thread the tail of 12 tasks); more, as parallel_for.
// Either way thread t first runs the chunks of its home range, the t-th of T equal runs of them,
// then any left in the others' (so a thread mostly gets the same part of every call's range).
void parallel_tasks(int64_t n, const std::function<void(int64_t, int64_t)>& fn);
}  // namespace sp
