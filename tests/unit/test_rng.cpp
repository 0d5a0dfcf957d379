// The seeded generator: reproducible, unbiased enough to shuffle, streams independent.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "model/rng.h"

using namespace trainer;

TEST_CASE("epoch orders are permutations fixed by (seed, epoch)", "[rng]") {
  const std::vector<std::uint32_t> a = epoch_order(42, 0, 60000, true);
  std::vector<std::uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::uint32_t> identity(60000);
  std::iota(identity.begin(), identity.end(), 0u);
  REQUIRE(sorted == identity);
  REQUIRE(a != identity);
  REQUIRE(epoch_order(42, 0, 60000, true) == a);
  REQUIRE(epoch_order(42, 1, 60000, true) != a);
  REQUIRE(epoch_order(43, 0, 60000, true) != a);
  REQUIRE(epoch_order(42, 5, 60000, false) == identity);
  REQUIRE(epoch_order(7, 0, 1, true) == std::vector<std::uint32_t>{0});
}

TEST_CASE("below() stays in range and covers it evenly", "[rng]") {
  Rng rng(1, 2);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    std::uint32_t x = rng.below(7);
    REQUIRE(x < 7);
    ++counts[x];
  }
  for (int c : counts) REQUIRE(std::abs(c - 10000) < 500);  // > 5 sigma
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = rng.uniform24();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  REQUIRE(std::abs(sum / 100000 - 0.5) < 0.005);
}

TEST_CASE("the generator's output is pinned: checkpoints and other devices rely on it", "[rng]") {
  // If this changes, every saved seed means something else: bump the checkpoint format instead.
  Rng rng(42, 0);
  const std::uint64_t first = rng.next(), second = rng.next();
  Rng again(42, 0);
  REQUIRE(again.next() == first);
  REQUIRE(again.next() == second);
  REQUIRE(epoch_order(42, 0, 10, true) == epoch_order(42, 0, 10, true));
  const std::vector<std::uint32_t> pinned = epoch_order(42, 0, 10, true);
  CAPTURE(pinned);
  REQUIRE(pinned == std::vector<std::uint32_t>{1, 6, 3, 9, 8, 5, 0, 4, 7, 2});
}
