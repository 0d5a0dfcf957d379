// The thread pool under load: every task exactly once, results published to the caller, jobs back
// to back, pools made and destroyed around jobs, and the CPU backend's GEMM giving the same bits on
// 1 to 8 threads. The `tsan` preset runs these under ThreadSanitizer (README "Failure behaviour").
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu_backend.h"
#include "kernel_test_support.h"
#include "util/thread_pool.h"

using namespace trainer;

TEST_CASE("thread pool: every task runs exactly once", "[thread_pool]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 3000; ++round) {
      const int count = round % 41;
      std::unique_ptr<std::atomic<int>[]> hits(new std::atomic<int>[std::size_t(count) + 1]);
      for (int i = 0; i < count; ++i) hits[std::size_t(i)] = 0;
      pool.run(count, [&](int i) { hits[std::size_t(i)].fetch_add(1); });
      for (int i = 0; i < count; ++i) REQUIRE(hits[std::size_t(i)].load() == 1);
    }
  }
}

TEST_CASE("thread pool: plain writes made by tasks are visible when run returns", "[thread_pool]") {
  ThreadPool pool(4);
  std::vector<std::uint64_t> cells(4096);
  for (std::uint64_t round = 1; round <= 500; ++round) {
    // Not atomics: the hand-over at the end of run() must order them (ThreadSanitizer checks).
    pool.run(int(cells.size() / 64), [&](int block) {
      for (std::size_t i = std::size_t(block) * 64; i < std::size_t(block + 1) * 64; ++i)
        cells[i] = round * i;
    });
    for (std::size_t i = 0; i < cells.size(); ++i) REQUIRE(cells[i] == round * i);
  }
}

TEST_CASE("thread pool: a task that throws, on any thread, reaches the caller", "[thread_pool]") {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 300; ++round) {
      const int count = 1 + round % 17;
      const int throwing = round % count;  // the last one, the first one, or any between
      std::atomic<int> ran{0};
      CHECK_THROWS_WITH(pool.run(count,
                                 [&](int i) {
                                   ran.fetch_add(1);
                                   if (i == throwing || round % 5 == 0)
                                     throw std::runtime_error("task " + std::to_string(i));
                                 }),
                        Catch::StartsWith("task "));
      CHECK(ran.load() >= 1);
      CHECK(ran.load() <= count);
      // The pool is whole afterwards: the next job runs every task once.
      std::atomic<int> total{0};
      pool.run(count, [&](int i) { total.fetch_add(i + 1); });
      REQUIRE(total.load() == count * (count + 1) / 2);
    }
  }
}

TEST_CASE("thread pool: pools made and destroyed around jobs", "[thread_pool]") {
  for (int round = 0; round < 200; ++round) {
    ThreadPool pool(1 + round % 5);
    std::atomic<int> total{0};
    if (round % 3 != 0) pool.run(7, [&](int i) { total.fetch_add(i); });
    REQUIRE(total.load() == (round % 3 != 0 ? 21 : 0));
  }
}

TEST_CASE("thread pool: the CPU backend's GEMM has the same bits on 1 to 8 threads",
          "[thread_pool][determinism]") {
  std::mt19937 rng(3);
  const int rows = 100, cols = 200, depth = 150;
  std::vector<float> a = random_floats(rng, std::size_t(rows) * depth),
                     b = random_floats(rng, std::size_t(depth) * cols);
  std::vector<float> first;
  for (int threads : {1, 2, 3, 8}) {
    CpuBackend backend(cpu::best_supported_arch(), threads);
    std::vector<float> c(std::size_t(rows) * cols, -1.0f);
    GemmArgs g;
    g.rows = rows;
    g.cols = cols;
    g.depth = depth;
    g.a = a.data();
    g.a_row_stride = depth;
    g.a_depth_stride = 1;
    g.b = b.data();
    g.ldb = cols;
    g.c = c.data();
    g.ldc = cols;
    g.activation = Activation::relu;
    backend.gemm(g);
    if (first.empty()) first = c;
    INFO(threads << " threads");
    REQUIRE(count_bit_differences(c, first) == 0);
  }
}
