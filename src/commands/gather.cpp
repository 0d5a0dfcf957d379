// `trainer gather`: a sweep's results in one table and one picture.
#include "commands/commands.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/flag_values.h"
#include "io/model_dir.h"
#include "io/model_location.h"
#include "report/pictures.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/path_alias.h"
#include "util/text.h"

namespace trainer {
namespace {

struct GatheredRun {
  std::string name;  // the directory's name: run-0003
  TrainedModelSpec spec;
  std::vector<EpochMetrics> history;
};

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10f", value);
  return text;
}

}  // namespace

std::variant<GatherConfig, ShowHelp> parse_gather_args(const std::vector<std::string>& args) {
  cxxopts::Options options = command_options(
      "trainer gather",
      "Gather the trained runs under a sweep's model directory (each subdirectory holding a "
      "trained model, e.g. run-0003 of --grid): a table best test loss first, and one picture of "
      "every run's test loss per epoch.");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The sweep's --model-dir", text()->default_value("model"));
  add("out", "Where to write the picture, FILE.svg (default: <model-dir>/sweep.svg)", text());
  add("h,help", "Show this help");
  const cxxopts::ParseResult result = parse_flags(options, "trainer gather", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), ""};
  GatherConfig config;
  config.model_dir = parse_model_dir_flag(result["model-dir"].as<std::string>());
  if (result.count("out")) {
    config.out = parse_path_flag("out", result["out"].as<std::string>());
    reject_url_flag("out", *config.out);
    if (std::filesystem::path(*config.out).extension() != ".svg")
      throw UsageError("--out: '" + printable(*config.out) +
                       "' must end in .svg (the picture is SVG)");
  }
  return config;
}

namespace {

// A sweep in a bucket: of each run, what the table and the picture need (its config.json and
// metrics.jsonl) and the names of its checkpoints (an unfinished run has only those).
KeyCopy sweep_key(const std::string& key) {
  const std::size_t slash = key.find('/');
  if (key == "sweep.svg") return KeyCopy::whole;
  if (slash == std::string::npos) return KeyCopy::skip;
  const std::string rest = key.substr(slash + 1);
  if (ModelDir::is_layout_path(key) && (rest == "config.json" || rest == "model.safetensors"))
    return KeyCopy::placeholder;  // the sweep's directory is itself a trained one: said below
  if (rest == "weights/config.json" || rest == "saved_model/config.json" || rest == "metrics.jsonl")
    return KeyCopy::whole;
  if (rest.rfind("checkpoints/", 0) == 0) return KeyCopy::placeholder;
  return KeyCopy::skip;
}

}  // namespace

void run_gather(const GatherConfig& config, std::ostream& out) {
  ModelLocationOptions options = model_location_options({});
  options.keys = sweep_key;
  const std::unique_ptr<ModelLocation> location =
      open_model_location(config.model_dir, ModelDirUse::write, options);
  const std::filesystem::path root = location->dir().root();
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    throw RuntimeFailure(
        config.model_dir + ": " +
        (std::filesystem::exists(root, ec) ? "not a directory" : "does not exist"));
  const std::filesystem::path picture =
      config.out ? std::filesystem::path(*config.out) : root / "sweep.svg";
  require_replaceable(picture);
  std::vector<std::filesystem::path> children;
  std::filesystem::directory_iterator entries(root, ec), end;
  for (; !ec && entries != end; entries.increment(ec)) {
    if (entries->is_directory(ec)) children.push_back(entries->path());
  }
  if (ec) throw RuntimeFailure(config.model_dir + ": cannot list: " + ec.message());
  std::sort(children.begin(), children.end());

  std::vector<GatheredRun> runs;
  std::vector<std::string> unfinished;
  for (const std::filesystem::path& child : children) {
    const ModelDir dir(child);
    std::error_code exists_ec;
    GatheredRun run;
    run.name = child.filename().string();
    if (!dir.is_trained()) {
      // A run still in its first epoch, or a folder of something else.
      if (std::filesystem::exists(dir.checkpoints_dir(), exists_ec))
        unfinished.push_back(printable(shown_path(child.string())) + ": no saved model yet");
      continue;
    }
    try {
      run.spec = dir.load_spec("");
    } catch (const RuntimeFailure& e) {
      // Damaged state is reported, never ranked: the other runs are still gathered.
      std::cerr << "trainer: warning: " << printable(shown_path(e.what()))
                << " (left out of the table)" << std::endl;
      continue;
    }
    try {
      run.history = dir.load_metrics();
    } catch (const RuntimeFailure& e) {
      std::cerr << "trainer: warning: " << printable(shown_path(e.what()))
                << " (its curve is left out)" << std::endl;
    }
    runs.push_back(std::move(run));
  }
  std::string unfinished_rows;
  for (const std::string& line : unfinished) unfinished_rows += "unfinished\t" + line + "\n";
  if (runs.empty()) {
    out << unfinished_rows << std::flush;
    if (ModelDir(root).is_trained())
      throw RuntimeFailure(config.model_dir +
                           ": is itself a trained model directory; gather takes a sweep's "
                           "--model-dir, the directory that holds its run-<i> directories");
    throw RuntimeFailure(config.model_dir + ": no trained runs in it" +
                         (unfinished.empty()
                              ? std::string(" (each run's directory holds weights/config.json "
                                            "once its first epoch is done)")
                              : " yet (" + std::to_string(unfinished.size()) + " unfinished)"));
  }
  std::stable_sort(runs.begin(), runs.end(), [](const GatheredRun& a, const GatheredRun& b) {
    return a.spec.test_loss < b.spec.test_loss;
  });

  std::string table = "rank\ttest_loss\ttrain_loss\tepochs\trun\tflags\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const GatheredRun& run = runs[i];
    std::string flags;
    if (run.spec.grid) {
      for (const auto& [flag, value] : run.spec.grid->flags)
        flags += (flags.empty() ? "" : " ") + flag + "=" + shell_word(value);
    }
    table += std::to_string(i + 1) + "\t" + fixed(run.spec.test_loss) + "\t" +
             fixed(run.spec.train_loss) + "\t" + std::to_string(run.spec.epochs) + "\t" +
             printable(run.name) + "\t" + (flags.empty() ? "-" : printable(flags)) + "\n";
  }
  // The table first: when it cannot be written (a closed or full stdout) the command fails
  // (main.cpp says so) and writes no picture.
  out << table << unfinished_rows << std::flush;
  if (!out.good()) return;

  // The curves, best run first in the legend; a ten-colour cycle.
  static const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::vector<CurveSeries> series;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CurveSeries s;
    s.name = runs[i].name;
    s.legend = runs[i].name + " " + fixed(runs[i].spec.test_loss).substr(0, 8);
    s.color = kColors[i % 10];
    for (const EpochMetrics& m : runs[i].history) s.points.emplace_back(m.epoch, m.test_loss);
    series.push_back(std::move(s));
  }
  write_file_atomically(picture, curves_svg(series,
                                            "test loss of " + std::to_string(runs.size()) +
                                                " runs, " + config.model_dir,
                                            "test loss (mean squared error)"));
  location->finish();
  out << "wrote " << printable(shown_path(picture.string())) << " (test loss per epoch of "
      << runs.size() << (runs.size() == 1 ? " run)" : " runs)") << std::endl;
}

}  // namespace trainer
