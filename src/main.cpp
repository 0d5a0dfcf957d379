// trainer: train the MNIST autoencoder, evaluate it, or fetch its data. Exit codes: 0 done, 1
// runtime failure, 2 bad usage, 128 + signal after SIGTERM/SIGINT saved a checkpoint.
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "bench/bench_command.h"
#include "cli/parse_download.h"
#include "cli/parse_eval.h"
#include "cli/parse_model_commands.h"
#include "cli/parse_train.h"
#include "data/download_command.h"
#include "io/export_command.h"
#include "report/console.h"
#include "report/info_command.h"
#include "report/reconstruct_command.h"
#include "train/eval_command.h"
#include "train/interrupt.h"
#include "train/train_loop.h"
#include "util/errors.h"

namespace {

// A command whose parser returns its config or a help text.
template <class Config, class Parsed, class Runner>
int run_command(const Parsed& parsed, Runner runner) {
  if (auto* help = std::get_if<trainer::ShowHelp>(&parsed)) {
    std::cout << help->text;
    return 0;
  }
  runner(std::get<Config>(parsed), std::cout);
  return 0;
}

int run(std::vector<std::string> args) {
  std::string command = "train";
  if (!args.empty() && !args.front().empty() && args.front()[0] != '-') {
    command = args.front();
    args.erase(args.begin());
  }
  if (command == "download")
    return run_command<trainer::DownloadConfig>(trainer::parse_download_args(args),
                                                trainer::run_download);
  if (command == "bench")
    return run_command<trainer::BenchConfig>(trainer::parse_bench_args(args), trainer::run_bench);
  if (command == "info")
    return run_command<trainer::InfoConfig>(trainer::parse_info_args(args), trainer::run_info);
  if (command == "eval")
    return run_command<trainer::EvalConfig>(trainer::parse_eval_args(args), trainer::run_eval);
  if (command == "reconstruct")
    return run_command<trainer::ReconstructConfig>(trainer::parse_reconstruct_args(args),
                                                   trainer::run_reconstruct);
  if (command == "export")
    return run_command<trainer::ExportConfig>(trainer::parse_export_args(args),
                                              trainer::run_export);
  if (command != "train") {
    throw trainer::UsageError(
        "unknown command '" + command +
        "' (commands: train, eval, reconstruct, export, download, info, bench)");
  }
  auto parsed = trainer::parse_train_args(args);
  if (auto* help = std::get_if<trainer::ShowHelp>(&parsed)) {
    std::cout << help->text;
    return 0;
  }
  if (std::holds_alternative<trainer::ShowVersion>(parsed)) {
    std::cout << trainer::version_line() << "\n";
    return 0;
  }
  trainer::run_training(std::get<trainer::TrainConfig>(parsed), std::cout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  trainer::exit_on_signals_as_init();
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const trainer::Interrupted& e) {
    std::cerr << "trainer: " << e.what() << std::endl;
    return 128 + e.signal;
  } catch (const trainer::UsageError& e) {
    std::cerr << "trainer: " << e.what() << std::endl;
    return 2;
  } catch (const trainer::RuntimeFailure& e) {
    std::cerr << "trainer: " << e.what() << std::endl;
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "trainer: out of memory" << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "trainer: " << e.what() << std::endl;
    return 1;
  }
}
