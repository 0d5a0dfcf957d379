// Locks: a held lock makes a non-waiting locker fail at once, and stale temporaries go.
#include <sys/time.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>
#include <ctime>

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
  // A pid that is surely gone: a child's, reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child), alive = std::to_string(::getppid());
  const std::string dead_writer = ".ckpt-0000000016.ckpt.tmp." + dead + ".0a1b2c3d";
  const std::string live_writer = ".model.onnx.tmp." + alive + ".0a1b2c3d";
  const std::string old_live_writer = ".loss.svg.tmp." + alive + ".ffffffff";
  const std::string ours = ".metrics.jsonl.tmp." + std::to_string(::getpid()) + ".ffffffff";
  for (const std::string& name :
       {dead_writer, live_writer, old_live_writer, ours, std::string("ckpt-0000000016.ckpt"),
        std::string(".notes.tmp"), std::string("model.tmp.1.0a1b2c3d")})
    std::ofstream(dir / name) << "x";
  // Two hours old: its writer, alive or not, is not writing it any more.
  const struct timeval long_ago[2] = {{std::time(nullptr) - 7200, 0},
                                      {std::time(nullptr) - 7200, 0}};
  ::utimes((dir / old_live_writer).c_str(), long_ago);
  remove_stale_temporaries(dir);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  // A live writer's recent temporary stays (export beside a starting trainer); the rest go.
  CHECK(left == std::vector<std::string>{live_writer, ".notes.tmp", "ckpt-0000000016.ckpt",
                                         "model.tmp.1.0a1b2c3d"});
  fs::remove_all(dir);
}
