// ProductsOnlyBackend (`trainer bench`'s products-only epochs): what it forwards, what it drops.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backend/products_only_backend.h"

namespace trainer {
namespace {

// Records what reaches it; runs nothing but the bodies it is handed.
class RecordingBackend final : public Backend {
 public:
  std::vector<GemmArgs> gemms;
  std::vector<std::string> recorded_keys;
  int gathers = 0, mses = 0, sums = 0, row_chunks = 0, independents = 0;

  std::string description() const override { return "recording"; }
  void* allocate(std::size_t) override { return nullptr; }
  void upload(void*, const void*, std::size_t) override {}
  void download(void*, const void*, std::size_t) override {}
  void synchronize() override {}
  void run_recorded(const std::string& key, const std::function<void()>& ops) override {
    recorded_keys.push_back(key);
    ops();
  }
  void for_row_chunks(int rows, const std::function<void(int, int)>& body) override {
    ++row_chunks;
    body(0, rows);
  }
  void independent(const std::function<void()>& body) override {
    ++independents;
    body();
  }
  void gather_normalize(const std::uint8_t*, int, const std::uint32_t*, int, float*) override {
    ++gathers;
  }
  void gemm(const GemmArgs& args) override { gemms.push_back(args); }
  void mse_backward(const MseArgs&) override { ++mses; }
  void sum(const float*, int, float*) override { ++sums; }
};

TEST_CASE("products-only backend: the products and their epilogues, no gather, loss or Adam",
          "[bench]") {
  RecordingBackend inner;
  ProductsOnlyBackend products(inner);
  float a[4] = {}, b[4] = {}, c[4] = {}, bias[2] = {}, mask[4] = {}, sums[2] = {};
  GemmArgs args;
  args.rows = 2;
  args.cols = 2;
  args.depth = 2;
  args.a = a;
  args.b = b;
  args.c = c;
  args.bias = bias;
  args.activation = Activation::relu;
  args.mask = mask;
  args.row_sums = sums;
  args.adam = true;

  products.run_recorded("steps 0..1", [&] {
    products.for_row_chunks(2, [&](int, int) {
      products.gather_normalize(nullptr, 4, nullptr, 2, c);
      products.gemm(args);
      products.mse_backward(MseArgs{});
    });
    products.independent([&] { products.gemm(args); });
    products.sum(c, 4, sums);
  });

  REQUIRE(inner.gemms.size() == 2);
  for (const GemmArgs& g : inner.gemms) {
    CHECK(!g.adam);
    CHECK(g.row_sums == nullptr);
    CHECK((g.a == a && g.b == b && g.c == c && g.bias == bias && g.mask == mask));
    CHECK((g.rows == 2 && g.cols == 2 && g.depth == 2 && g.activation == Activation::relu));
  }
  CHECK(inner.gathers == 0);
  CHECK(inner.mses == 0);
  CHECK(inner.sums == 1);
  CHECK(inner.row_chunks == 1);
  CHECK(inner.independents == 1);
  // A recording of the real step under "steps 0..1" must never be replayed for these ops.
  CHECK(inner.recorded_keys == std::vector<std::string>{"products only: steps 0..1"});
}

}  // namespace
}  // namespace trainer
