// The piece hash of the decoded cache: its value (against Python's hashlib, computed apart), its
// independence from how the bytes are cut and from the thread count, and a file that ends early.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/errors.h"
#include "util/piece_hash.h"

using namespace trainer;

namespace {

std::vector<std::uint8_t> pattern(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = std::uint8_t((i * 7 + 3) % 251);
  return bytes;
}

// A temporary file holding `bytes`, open for reading; removed and closed at the end.
struct TempFile {
  std::filesystem::path path;
  int fd = -1;
  explicit TempFile(const std::vector<std::uint8_t>& bytes, const std::string& tag) {
    path = std::filesystem::temp_directory_path() /
           ("piece-hash-" + tag + "-" + std::to_string(::getpid()));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~TempFile() {
    ::close(fd);
    std::filesystem::remove(path);
  }
};

}  // namespace

TEST_CASE("the piece hash: its value, any cut, any thread count", "[verify]") {
  // python3: t = sha256(); for i in range(0, n, 1 << 20): t.update(sha256(d[i:i + (1 <<
  // 20)]).digest())
  const std::vector<std::pair<std::size_t, std::string>> known = {
      {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {1, "c942a06c127c2c18022677e888020afb174208d299354f3ecfedb124a1f3fa45"},
      {std::size_t(1) << 20, "e2369d7f9279da65a652b86e208291f28f70f890ad4b66403363a45f27ed3330"},
      {(std::size_t(5) << 19) + 17,
       "4675feca471bfedc5a9ddd72f5d9e2d59cbc1b1a5a9f63612043ae77c8c808b4"},
  };
  std::vector<TempFile*> files;
  std::vector<FileToHash> to_hash;
  std::vector<std::string> expected;
  for (const auto& [size, hex] : known) {
    const std::vector<std::uint8_t> bytes = pattern(size);
    // Streaming, in cuts that straddle piece boundaries at varying offsets.
    for (std::size_t cut : {std::size_t(1), std::size_t(4099), kHashPieceBytes - 1, kHashPieceBytes,
                            3 * kHashPieceBytes}) {
      PieceHasher hasher;
      for (std::size_t at = 0; at < size; at += cut)
        hasher.update(bytes.data() + at, std::min(cut, size - at));
      CHECK(hasher.hex_digest() == hex);
    }
    files.push_back(new TempFile(bytes, std::to_string(size)));
    to_hash.push_back({files.back()->fd, files.back()->path.string(), size});
    expected.push_back(hex);
  }
  for (int threads : {1, 2, 3, 8, 64}) CHECK(piece_hashes(to_hash, threads) == expected);
  for (TempFile* file : files) delete file;
}

TEST_CASE("the piece hash of a file that ends early names it", "[verify]") {
  TempFile file(pattern(3 * kHashPieceBytes + 5), "short");
  const std::string name = file.path.string();
  for (int threads : {1, 2}) {
    CHECK_THROWS_WITH(
        piece_hashes({{file.fd, name, 4 * kHashPieceBytes}}, threads),
        Catch::Contains(name + ": ended at byte 3145733") && Catch::Contains("expected 4194304"));
  }
  CHECK_THROWS_WITH(piece_hashes({{-1, "closed", 10}}, 2), Catch::Contains("closed: "));
}
