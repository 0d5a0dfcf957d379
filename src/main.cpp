// trainer: train the MNIST autoencoder, evaluate it, or fetch its data. Exit codes: 0 done, 1
// runtime failure, 2 bad usage, 128 + signal after SIGTERM/SIGINT saved a checkpoint.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <iostream>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "commands/commands.h"
#include "report/console.h"
#include "train/interrupt.h"
#include "util/errors.h"
#include "util/path_alias.h"
#include "util/text.h"

namespace {

using Args = std::vector<std::string>;

// Parses a command's flags, then runs it, or prints what the parser returned instead (help,
// version). `more_help` follows the command's own flags in its help (the command list, for the
// default command).
template <auto parse, auto run>
void parse_then_run(const Args& args, const std::string& more_help) {
  const auto parsed = parse(args);
  if (const auto* help = std::get_if<trainer::ShowHelp>(&parsed)) {
    std::cout << help->text << more_help;
    if (!help->environment.empty()) std::cout << "\nEnvironment:\n" << help->environment;
    return;
  }
  if constexpr (std::variant_size_v<std::decay_t<decltype(parsed)>> == 3) {
    if (std::holds_alternative<trainer::ShowVersion>(parsed)) {
      std::cout << trainer::version_line() << "\n";
      return;
    }
  }
  run(std::get<0>(parsed), std::cout);
}

struct Command {
  const char* name;
  const char* summary;  // for the command list in `trainer --help`
  void (*parse_then_run)(const Args& args, const std::string& more_help);
};

// The command list, once. The first is the default.
const Command kCommands[] = {
    {"train",
     "(default) train, then write <model-dir>/weights, saved_model (TensorFlow), logs "
     "(TensorBoard) and metrics.jsonl",
     parse_then_run<trainer::parse_train_args, trainer::run_train>},
    {"eval", "print the test-set loss of a saved model or checkpoint (trainer eval --help)",
     parse_then_run<trainer::parse_eval_args, trainer::run_eval>},
    {"reconstruct",
     "write the first test images over their reconstructions (PNG) or the outputs (.npy)",
     parse_then_run<trainer::parse_reconstruct_args, trainer::run_reconstruct>},
    {"export", "write the saved model as ONNX (trainer export --help)",
     parse_then_run<trainer::parse_export_args, trainer::run_export>},
    {"grid", "print a sweep's runs: --grid FLAG=V1,V2,... (trainer grid --help)",
     parse_then_run<trainer::parse_grid_args, trainer::run_grid>},
    {"gather", "a sweep's trained runs, best first, and their curves (trainer gather --help)",
     parse_then_run<trainer::parse_gather_args, trainer::run_gather>},
    {"download", "fetch and verify a dataset into the cache (trainer download --help)",
     parse_then_run<trainer::parse_download_args, trainer::run_download>},
    {"info", "version, build, CPU, SIMD, CUDA devices, data dir",
     parse_then_run<trainer::parse_info_args, trainer::run_info>},
    {"bench", "benchmark the kernels and an epoch on synthetic data (trainer bench --help)",
     parse_then_run<trainer::parse_bench_args, trainer::run_bench>},
};

std::string command_list() {
  std::size_t width = 0;
  for (const Command& c : kCommands) width = std::max(width, std::string(c.name).size());
  std::string text = "\nCommands:\n";
  for (const Command& c : kCommands)
    text += "  " + std::string(c.name) + std::string(width + 2 - std::string(c.name).size(), ' ') +
            c.summary + "\n";
  return text;
}

int run(Args args) {
  const Command* command = &kCommands[0];
  if (!args.empty() && !args.front().empty() && args.front()[0] != '-') {
    command = nullptr;
    std::string names;
    for (const Command& c : kCommands) {
      if (args.front() == c.name) command = &c;
      names += (names.empty() ? "" : ", ") + std::string(c.name);
    }
    if (!command)
      throw trainer::UsageError("unknown command '" + args.front() + "' (commands: " + names + ")");
    args.erase(args.begin());
  }
  command->parse_then_run(args, command == &kCommands[0] ? command_list() : "");
  // What a command printed is its result: if it could not be written (a full disk, a closed
  // pipe), the command failed.
  if (!std::cout.flush())
    throw trainer::RuntimeFailure(
        "cannot write to standard output (closed, full or a broken pipe)");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Descriptors 0-2 are made valid before anything is opened: a closed one would be taken by the
  // next open(), and a lock file would receive the log. A closed stdout stays a failed one: its
  // writes go to /dev/null, and std::cout reports them failed, as for a pipe that closed.
  bool stdout_closed = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF && ::open("/dev/null", O_RDWR) == fd)
      stdout_closed = stdout_closed || fd == 1;
  }
  if (stdout_closed) std::cout.setstate(std::ios::badbit);
  // A write to a closed pipe fails (EPIPE) instead of killing the process: training saves its
  // progress and says so (train/train_loop.cpp), other commands exit 1.
  std::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) must fail a write with EFBIG, which names the file, rather than
  // kill the process with no word and its temporary left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  trainer::exit_on_signals_as_init();
  try {
    return run(Args(argv + 1, argv + argc));
  } catch (const trainer::Interrupted& e) {
    std::cerr << "trainer: " << trainer::printable(trainer::shown_path(e.what())) << std::endl;
    return 128 + e.signal;
  } catch (const trainer::UsageError& e) {
    std::cerr << "trainer: " << trainer::printable(trainer::shown_path(e.what())) << std::endl;
    return 2;
  } catch (const trainer::RuntimeFailure& e) {
    std::cerr << "trainer: " << trainer::printable(trainer::shown_path(e.what())) << std::endl;
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "trainer: out of memory" << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "trainer: " << trainer::printable(trainer::shown_path(e.what())) << std::endl;
    return 1;
  }
}
