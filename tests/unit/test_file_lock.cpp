// Locks: a held lock makes a non-waiting locker fail at once, and stale temporaries go.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/atomic_file.h"
#include "util/file_lock.h"

using namespace trainer;
namespace fs = std::filesystem;

TEST_CASE("a busy lock fails at once when the caller will not wait", "[io]") {
  const fs::path dir = fs::temp_directory_path() / ("trainer-lock-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    FileLock held(dir / ".lock", nullptr);
    // flock locks belong to the open file description: a second open conflicts even in-process.
    CHECK_THROWS_AS(FileLock(dir / ".lock", nullptr), FileLockBusy);
  }
  CHECK_NOTHROW(FileLock(dir / ".lock", nullptr));
  fs::remove_all(dir);
}

TEST_CASE("remove_stale_temporaries removes only write_file_atomically's temporaries", "[io]") {
  const fs::path dir = fs::temp_directory_path() / ("trainer-stale-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* name :
       {".ckpt-0000000016.ckpt.tmp.1.0a1b2c3d", ".metrics.jsonl.tmp.4242.ffffffff",
        "ckpt-0000000016.ckpt", ".notes.tmp", "model.tmp.1.0a1b2c3d"})
    std::ofstream(dir / name) << "x";
  remove_stale_temporaries(dir);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  CHECK(left ==
        std::vector<std::string>{".notes.tmp", "ckpt-0000000016.ckpt", "model.tmp.1.0a1b2c3d"});
  fs::remove_all(dir);
}
