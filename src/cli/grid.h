// A sweep's grid (README "Sweeps"): `--grid FLAG=V1,V2,...`, repeated, names training flags and
// the values each takes; the runs are every combination (the last --grid varying fastest), and
// the scheduler that runs them says which one this process is: --grid-index N, else the first set
// of JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs), SLURM_ARRAY_TASK_ID (Slurm job arrays) and
// AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array jobs), 0-based. Run i trains into
// <model-dir>/run-<i> (5 digits) with the other flags as given. No scheduler of ours:
// each index is a plain training run, resumable as any.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trainer {

struct GridAxis {
  std::string flag;  // without the dashes: "learning-rate"
  std::vector<std::string> values;
};

struct Grid {
  std::vector<GridAxis> axes;
  std::size_t size() const;
  // ("--learning-rate", "0.003"), ... for run `index` < size().
  std::vector<std::pair<std::string, std::string>> member(std::size_t index) const;
  // Run `index`'s flags as a shell would take them: --flag=value, quoted where needed.
  std::string member_text(std::size_t index) const;
};

// The arguments of a `trainer [train]` or `trainer grid` command line, with the grid taken out.
struct GridArgs {
  Grid grid;
  std::optional<std::size_t> index;  // --grid-index
  std::string model_dir = "model";   // --model-dir as given
  std::vector<std::string> rest;     // every other argument, in order
};
// Throws UsageError naming --grid or --grid-index.
GridArgs take_grid_args(const std::vector<std::string>& args);

// Which run this process is. `env` reads a variable (nullopt when unset or empty). Throws
// UsageError naming the flag or variable when none is set or the index is not below the size.
using GridEnvironment = std::function<std::optional<std::string>(const std::string&)>;
struct GridIndex {
  std::size_t index = 0;
  std::string source;  // "--grid-index", "JOB_COMPLETION_INDEX", ...
};
GridIndex grid_index(const GridArgs& args, const GridEnvironment& env);

// For --help's environment list.
extern const char kGridEnvironmentHelp[];

// <model-dir>/run-00007.
std::string grid_run_dir(const std::string& model_dir, std::size_t index);

// The training arguments of run `index`: the rest, its --model-dir, and each axis as --flag=value.
std::vector<std::string> grid_member_args(const GridArgs& args, std::size_t index);

}  // namespace trainer
