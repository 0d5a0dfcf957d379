#include "util/thread_pool.h"

#include <immintrin.h>

#include <exception>

#include "util/system_info.h"

namespace trainer {

struct ThreadPool::Job {
  Job(const std::function<void(int)>* job_task, int job_count) : task(job_task), count(job_count) {}
  const std::function<void(int)>* task;
  int count;
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  // A task that throws on a worker (std::bad_alloc for a packing buffer, say) must not end the
  // process in std::terminate: the first exception is kept, the tasks not yet begun are skipped,
  // and run() rethrows it on the calling thread once every thread has left the job.
  std::atomic<bool> failed{false};
  std::mutex failure_mutex;
  std::exception_ptr failure;

  void run_tasks() {
    for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          (*task)(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          failed = true;
        }
      }
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

namespace {

// Waits until `done()`: spinning up to `spin_limit` pauses, then yielding the core to the threads
// that have the work.
template <class Done>
void wait_until(const Done& done, int spin_limit) {
  for (int spin = 0; !done(); ++spin) {
    if (spin < spin_limit) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) : spin_limit_(threads <= usable_cpu_count() ? 20000 : 0) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    // Steps arrive every few hundred microseconds: spin briefly before sleeping so that a
    // training step does not pay a futex wake-up per kernel.
    for (int spin = 0; spin < spin_limit_ && published_generation_.load() == seen; ++spin)
      _mm_pause();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    // Dekker-style hand-shake with run(): either run() sees us active and waits, or we see the
    // job already withdrawn. Both sides use sequentially consistent operations for that.
    active_workers_.fetch_add(1);
    if (Job* job = job_.load()) job->run_tasks();
    active_workers_.fetch_sub(1);
  }
}

void ThreadPool::run(int count, const std::function<void(int)>& task) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (int i = 0; i < count; ++i) task(i);
    return;
  }
  Job job(&task, count);
  job_.store(&job);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    published_generation_.store(generation_);
  }
  wake_.notify_all();
  job.run_tasks();
  wait_until([&] { return job.done.load(std::memory_order_acquire) >= count; }, spin_limit_);
  job_.store(nullptr);
  wait_until([&] { return active_workers_.load() == 0; }, spin_limit_);
  if (job.failure) std::rethrow_exception(job.failure);
}

}  // namespace trainer
