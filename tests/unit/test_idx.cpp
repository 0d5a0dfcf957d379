// The IDX reader on Debian's real Fashion-MNIST files and on malformed ones.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "data/cache.h"
#include "data/dataset.h"
#include "data/gzip.h"
#include "data/idx.h"
#include "gzip_test_support.h"
#include "util/errors.h"
#include "util/file_read.h"

using namespace trainer;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("trainer-idx-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<std::uint8_t> image_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                                     std::size_t payload) {
  std::vector<std::uint8_t> b = {0, 0, 8, 3};
  for (std::uint32_t v : {count, rows, cols}) {
    for (int shift : {24, 16, 8, 0}) b.push_back(std::uint8_t(v >> shift));
  }
  for (std::size_t i = 0; i < payload; ++i) b.push_back(std::uint8_t(i));
  return b;
}

std::string failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("reads Debian's Fashion-MNIST from the cache", "[idx]") {
  const fs::path data_dir = TRAINER_TEST_DATA_DIR;
  REQUIRE(fs::exists(data_dir / "fashion-mnist" / "train-images-idx3-ubyte.gz"));
  Dataset data = load_cached_dataset(data_dir, *find_dataset("fashion-mnist"));
  REQUIRE(data.train_images.count == 60000);
  REQUIRE(data.train_images.rows == 28);
  REQUIRE(data.train_images.cols == 28);
  REQUIRE(data.train_images.pixels.size() == 60000u * 784u);
  REQUIRE(data.test_images.count == 10000);
  REQUIRE(data.train_labels.count == 60000);
  REQUIRE(data.test_labels.labels.size() == 10000u);
  // Fashion-MNIST's first training image is an ankle boot (label 9), its first test image too.
  REQUIRE(data.train_labels.labels[0] == 9);
  REQUIRE(data.test_labels.labels[0] == 9);
}

TEST_CASE("malformed IDX files are errors naming the file and the problem", "[idx]") {
  const fs::path dir = temp_dir();
  const fs::path file = dir / "images";
  const std::size_t limit = 1 << 20;
  auto parse = [&] {
    std::vector<std::uint8_t> bytes = read_whole_file(file, 1u << 30);
    if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
      bytes = gunzip(bytes, limit, file.string());
    parse_idx_images(bytes, file.string());
  };

  write_bytes(file, {0, 0, 8, 1, 0, 0, 0, 1, 5});
  std::string why = failure_of(parse);
  CHECK_THAT(why, Catch::Contains(file.string()) && Catch::Contains("magic 0x00000801") &&
                      Catch::Contains("expected 0x00000803"));

  write_bytes(file, {0, 0, 8, 3, 0, 0});
  CHECK_THAT(failure_of(parse), Catch::Contains("truncated IDX header"));

  write_bytes(file, image_file(3, 4, 4, 40));
  CHECK_THAT(failure_of(parse), Catch::Contains("truncated") &&
                                    Catch::Contains("3 images of 4x4") &&
                                    Catch::Contains("only 40 follow"));

  write_bytes(file, image_file(2, 4, 4, 48));  // dimensions claim less than the file holds
  CHECK_THAT(failure_of(parse), Catch::Contains("16 unexpected bytes"));

  write_bytes(file, image_file(0, 28, 28, 0));
  CHECK_THAT(failure_of(parse), Catch::Contains("implausible dimensions"));

  write_bytes(file,
              image_file(0xffffffffu, 0xffffffffu, 0xffffffffu, 8));  // product overflows 64 bits
  CHECK_THAT(failure_of(parse), Catch::Contains("implausible dimensions"));

  // gzip: truncated stream, corrupt stream, and more output than the file may hold.
  std::vector<std::uint8_t> good = gzip(image_file(3, 4, 4, 48));
  write_bytes(file, good);
  REQUIRE(failure_of(parse) == "(no error)");
  write_bytes(file, std::vector<std::uint8_t>(good.begin(),
                                              good.begin() + std::ptrdiff_t(good.size() / 2)));
  CHECK_THAT(failure_of(parse),
             Catch::Contains(file.string()) && Catch::Contains("truncated gzip"));
  std::vector<std::uint8_t> corrupt = good;
  for (std::size_t i = 12; i < corrupt.size() - 8; ++i) corrupt[i] ^= 0x5a;
  write_bytes(file, corrupt);
  CHECK_THAT(failure_of(parse), Catch::Contains("gzip"));
  write_bytes(file, gzip(std::vector<std::uint8_t>(limit + 100, 0)));
  CHECK_THAT(failure_of(parse), Catch::Contains("decompresses to more than"));

  // Missing file and a dataset whose files disagree with the catalog.
  fs::remove(file);
  CHECK_THAT(failure_of(parse), Catch::Contains(file.string()) && Catch::Contains("No such file"));
  const CatalogDataset& mnist = *find_dataset("mnist");
  CHECK_THAT(failure_of([&] {
               std::vector<VerifiedContent> contents(4);
               contents[0] = {HostBytes(image_file(3, 28, 28, 3 * 784)), 16 + 3 * 784};
               make_dataset(mnist, std::move(contents), {"a", "b", "c", "d"});
             }),
             Catch::Contains("a: holds 3 images of 28x28, mnist has 60000"));
  CHECK_THAT(failure_of([&] { load_cached_dataset(dir, mnist); }),
             Catch::Contains((dir / "mnist" / "train-images-idx3-ubyte.gz").string() +
                             ": not in the cache"));
  fs::remove_all(dir);
}
