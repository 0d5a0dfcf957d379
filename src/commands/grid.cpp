// `trainer grid`: a sweep's runs, numbered as the schedulers number them.
#include "commands/commands.h"

#include <algorithm>

#include "util/errors.h"
#include "util/text.h"

namespace trainer {

std::variant<GridConfig, ShowHelp> parse_grid_args(const std::vector<std::string>& args) {
  if (std::any_of(args.begin(), args.end(),
                  [](const std::string& a) { return a == "--help" || a == "-h"; })) {
    return ShowHelp{
        "Print a sweep's size and its runs: index, model directory, flags. Each run's flags are\n"
        "checked as its training run would check them.\n"
        "Usage:\n"
        "  trainer grid --grid FLAG=V1,V2,... [--grid ...] [--model-dir DIR] [training flags]\n\n"
        "Then run index i with the same flags (README \"Sweeps\"):\n"
        "  trainer --grid ... --grid-index i [--model-dir DIR] [training flags]\n"
        "or under a scheduler that sets JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or\n"
        "AWS_BATCH_JOB_ARRAY_INDEX.\n",
        ""};
  }
  GridConfig config;
  config.args = take_grid_args(args);
  if (config.args.grid.axes.empty())
    throw UsageError("--grid: give at least one, e.g. --grid learning-rate=0.01,0.003");
  if (config.args.index)
    throw UsageError("--grid-index: `trainer grid` lists every run; give it to `trainer train`");
  // Every run's flags, checked now: a bad value is this command's error, not run 17's.
  for (std::size_t i = 0; i < config.args.grid.size(); ++i)
    parse_train_args(grid_member_args(config.args, i));
  return config;
}

void run_grid(const GridConfig& config, std::ostream& out) {
  const Grid& grid = config.args.grid;
  std::string axes;
  for (const GridAxis& axis : grid.axes)
    axes += (axes.empty() ? "" : " x ") + axis.flag + " (" + std::to_string(axis.values.size()) +
            (axis.values.size() == 1 ? " value)" : " values)");
  out << grid.size() << (grid.size() == 1 ? " run" : " runs") << " of --grid " << axes
      << "; run i trains into " << printable(config.args.model_dir) << "/run-<i>\n";
  for (std::size_t i = 0; i < grid.size(); ++i) {
    out << i << "\t" << printable(grid_run_dir(config.args.model_dir, i)) << "\t"
        << printable(grid.member_text(i)) << "\n";
  }
}

}  // namespace trainer
