// Atomic replacement: the target is the old or the new content, and no temporary file survives.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/file_read.h"

using namespace trainer;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
int entries(const fs::path& dir) {
  return int(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
}  // namespace

TEST_CASE("write_file_atomically replaces whole files and cleans up after failures", "[io]") {
  const fs::path dir = fs::temp_directory_path() / ("trainer-atomic-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  make_directories(dir / "a" / "b");
  REQUIRE(fs::is_directory(dir / "a" / "b"));
  const fs::path target = dir / "a" / "b" / "file.json";
  write_file_atomically(target, "first");
  REQUIRE(read(target) == "first");
  write_file_atomically(target, std::string(1 << 20, 'x'));
  REQUIRE(read(target).size() == (1u << 20));
  REQUIRE(entries(dir / "a" / "b") == 1);

  // A directory where the file should go: refused before a temporary file is made.
  fs::create_directories(dir / "a" / "b" / "taken" / "inside");
  try {
    write_file_atomically(dir / "a" / "b" / "taken", "new");
    FAIL("replaced a non-empty directory");
  } catch (const RuntimeFailure& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("taken: exists and is a directory"));
  }
  REQUIRE(entries(dir / "a" / "b") == 2);

  // A file where a directory should be.
  try {
    make_directories(target / "sub");
    FAIL("made a directory below a file");
  } catch (const RuntimeFailure& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("file.json: exists and is not a directory"));
  }
  // A missing parent directory: named, nothing created.
  try {
    write_file_atomically(dir / "missing" / "f", "x");
    FAIL("wrote into a missing directory");
  } catch (const RuntimeFailure& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("missing/f: cannot write: No such file or directory"));
  }
  fs::remove_all(dir);
}

TEST_CASE("a legal 254-character file name is written atomically", "[io]") {
  const auto dir = std::filesystem::temp_directory_path() / "trainer-long-name";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string name = std::string(250, 'n') + ".png";  // 254 characters, NAME_MAX is 255
  REQUIRE_NOTHROW(write_file_atomically(dir / name, "bytes"));
  CHECK(std::filesystem::file_size(dir / name) == 5);
  // Its temporaries still look like temporaries to the clean-up after a killed run.
  const std::string temporary = temporary_prefix(name) + "4242.0a1b2c3d";
  CHECK(temporary.size() <= 255);
  std::ofstream(dir / temporary) << "left by a killed run";
  remove_stale_temporaries(dir);
  CHECK(!std::filesystem::exists(dir / temporary));
  CHECK(std::filesystem::exists(dir / name));
  std::filesystem::remove_all(dir);
}

TEST_CASE("read_whole_file reads regular files within their bound, and nothing else", "[io]") {
  const auto dir = std::filesystem::temp_directory_path() / "trainer-bounded-read";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_file_atomically(dir / "ten", "0123456789");
  CHECK(read_whole_file(dir / "ten", 10).size() == 10);
  CHECK_THROWS_WITH(read_whole_file(dir / "ten", 9),
                    Catch::Contains("ten: 10 bytes") && Catch::Contains("larger than the 9 bytes"));
  CHECK_THROWS_WITH(read_whole_file(dir, 1 << 20),
                    Catch::Contains("a directory, not a regular file"));
  CHECK_THROWS_WITH(read_whole_file("/dev/zero", 1 << 20),
                    Catch::Contains("/dev/zero: a character device"));
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_whole_file(dir / "fifo", 1 << 20), Catch::Contains("a FIFO"));  // no wait
  std::filesystem::create_symlink("/dev/urandom", dir / "link");
  CHECK_THROWS_WITH(read_whole_file(dir / "link", 1 << 20), Catch::Contains("character device"));
  CHECK_THROWS_WITH(read_text_file(dir / "absent", 10, " (hint)"),
                    Catch::EndsWith("absent: does not exist (hint)"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("write_directory_atomically swaps whole directories and refuses links", "[io]") {
  const fs::path dir =
      fs::temp_directory_path() / ("trainer-atomic-dir-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  make_directories(dir);
  const fs::path target = dir / "3";
  write_directory_atomically(target, {{"saved_model.pb", "first"}}, {"variables"});
  REQUIRE(read(target / "saved_model.pb") == "first");
  REQUIRE(fs::is_directory(target / "variables"));
  REQUIRE(entries(target / "variables") == 0);
  // Replaced whole: a file of the old directory that the new one lacks is gone with it.
  { std::ofstream(target / "stray") << "old"; }
  write_directory_atomically(target, {{"saved_model.pb", "second"}}, {"variables"});
  REQUIRE(read(target / "saved_model.pb") == "second");
  REQUIRE(!fs::exists(target / "stray"));
  REQUIRE(entries(dir) == 1);  // no temporary and no old copy left beside it

  // A symlink or a file where the directory goes is refused, and nothing is left behind.
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "4");
  REQUIRE_THROWS_WITH(write_directory_atomically(dir / "4", {{"saved_model.pb", "x"}}, {}),
                      Catch::Contains("symbolic link"));
  { std::ofstream(dir / "5") << "a file"; }
  REQUIRE_THROWS_WITH(write_directory_atomically(dir / "5", {{"saved_model.pb", "x"}}, {}),
                      Catch::Contains("not a directory"));
  REQUIRE(entries(dir / "elsewhere") == 0);
  REQUIRE(entries(dir) == 4);

  // A killed writer's temporary directory is removed with its contents under the lock.
  const fs::path stale = dir / ".3.tmp.12345.0badf00d";
  make_directories(stale / "variables");
  { std::ofstream(stale / "saved_model.pb") << "partial"; }
  remove_stale_temporaries(dir);
  REQUIRE(!fs::exists(stale));
  REQUIRE(fs::exists(dir / "elsewhere"));
  fs::remove_all(dir);
}
