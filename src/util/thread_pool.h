// A fixed set of worker threads, created once and kept for the whole run, that share the calling
// thread's parallel loops. Tasks are independent pieces of output; which thread runs which task has
// no effect on the results (kernels never split a reduction), so scheduling is free to be dynamic.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainer {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }
  // Runs task(0) ... task(count-1) on the pool and the calling thread; returns when all are done.
  // If tasks throw, the first exception is rethrown here once all threads have left the job (the
  // tasks not yet begun by then are skipped); the pool stays usable.
  void run(int count, const std::function<void(int)>& task);

 private:
  struct Job;
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t generation_ = 0;  // guarded by mutex_; bumped once per job
  std::atomic<std::uint64_t> published_generation_{0};
  std::atomic<Job*> job_{nullptr};
  std::atomic<int> active_workers_{0};
  bool stop_ = false;
  // Busy-waiting pays only while every thread has a core: with more threads than usable cores a
  // spinning thread takes the core another needs to finish its task, so they do not spin.
  int spin_limit_ = 0;
};

}  // namespace trainer
