#include "cli/grid.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "util/errors.h"
#include "util/text.h"

namespace trainer {
namespace {

constexpr std::size_t kMaxGridRuns = 100000;
const char* const kIndexVariables[] = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                                       "AWS_BATCH_JOB_ARRAY_INDEX"};

GridAxis parse_axis(const std::string& spec) {
  const std::size_t equals = spec.find('=');
  GridAxis axis;
  axis.flag = spec.substr(0, equals);
  if (axis.flag.rfind("--", 0) == 0) axis.flag = axis.flag.substr(2);
  const bool name_ok =
      !axis.flag.empty() && std::all_of(axis.flag.begin(), axis.flag.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
  if (equals == std::string::npos || !name_ok)
    throw UsageError(
        "--grid: expected FLAG=VALUE,VALUE,... (e.g. learning-rate=0.01,0.003), got '" +
        printable(spec) + "'");
  for (const char* reserved : {"grid", "grid-index", "model-dir", "help", "version", "h"}) {
    if (axis.flag == reserved)
      throw UsageError("--grid: --" + axis.flag + " cannot vary across a grid's runs");
  }
  std::string values = spec.substr(equals + 1);
  std::size_t begin = 0;
  std::set<std::string> seen;
  while (true) {
    const std::size_t comma = values.find(',', begin);
    const std::string value = values.substr(begin, comma - begin);
    if (value.empty())
      throw UsageError("--grid " + axis.flag + ": an empty value in '" + printable(values) + "'");
    if (!seen.insert(value).second)
      throw UsageError("--grid " + axis.flag + ": '" + printable(value) + "' is given twice");
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return axis;
}

// "--name value" or "--name=value" at args[i]: the value, and how many arguments it took.
std::optional<std::pair<std::string, int>> flag_value(const std::vector<std::string>& args,
                                                      std::size_t i, const std::string& name) {
  const std::string& arg = args[i];
  if (arg == "--" + name) {
    if (i + 1 >= args.size()) throw UsageError("--" + name + ": missing a value");
    return std::make_pair(args[i + 1], 2);
  }
  if (arg.rfind("--" + name + "=", 0) == 0) return std::make_pair(arg.substr(name.size() + 3), 1);
  return std::nullopt;
}

std::string flag_of(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return "";
  return arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
}

std::size_t parse_index(const std::string& source, const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw UsageError(source + ": expected a run index (0, 1, 2, ...), got '" + printable(text) +
                     "'");
  return std::size_t(std::stoul(text));
}

}  // namespace

const char kGridEnvironmentHelp[] =
    "  JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX   the run of a "
    "--grid\n";

std::size_t Grid::size() const {
  if (axes.empty()) return 0;
  std::size_t size = 1;
  for (const GridAxis& axis : axes) size *= axis.values.size();
  return size;
}

std::vector<std::pair<std::string, std::string>> Grid::member(std::size_t index) const {
  std::vector<std::pair<std::string, std::string>> flags(axes.size());
  for (std::size_t a = axes.size(); a-- > 0;) {  // the last axis varies fastest
    const std::vector<std::string>& values = axes[a].values;
    flags[a] = {"--" + axes[a].flag, values[index % values.size()]};
    index /= values.size();
  }
  return flags;
}

std::string Grid::member_text(std::size_t index) const {
  std::string text;
  for (const auto& [flag, value] : member(index))
    text += (text.empty() ? "" : " ") + flag + "=" + shell_word(value);
  return text;
}

GridArgs take_grid_args(const std::vector<std::string>& args) {
  GridArgs parsed;
  for (std::size_t i = 0; i < args.size();) {
    if (const auto grid = flag_value(args, i, "grid")) {
      parsed.grid.axes.push_back(parse_axis(grid->first));
      i += std::size_t(grid->second);
    } else if (const auto index = flag_value(args, i, "grid-index")) {
      parsed.index = parse_index("--grid-index", index->first);
      i += std::size_t(index->second);
    } else if (const auto dir = flag_value(args, i, "model-dir")) {
      parsed.model_dir = dir->first;
      i += std::size_t(dir->second);
    } else {
      parsed.rest.push_back(args[i++]);
    }
  }
  std::set<std::string> varied;
  for (const GridAxis& axis : parsed.grid.axes) {
    if (!varied.insert(axis.flag).second)
      throw UsageError("--grid " + axis.flag + ": given twice (list its values in one --grid)");
  }
  for (const std::string& arg : parsed.rest) {
    if (varied.count(flag_of(arg)))
      throw UsageError("--" + flag_of(arg) + ": given both as a flag and in --grid " +
                       flag_of(arg));
  }
  std::size_t size = parsed.grid.axes.empty() ? 0 : 1;
  for (const GridAxis& axis : parsed.grid.axes) {
    size *= axis.values.size();
    if (size > kMaxGridRuns)
      throw UsageError("--grid: more than " + std::to_string(kMaxGridRuns) + " runs");
  }
  if (parsed.index && parsed.grid.axes.empty()) throw UsageError("--grid-index: only with --grid");
  return parsed;
}

GridIndex grid_index(const GridArgs& args, const GridEnvironment& env) {
  GridIndex found;
  if (args.index) {
    found = {*args.index, "--grid-index"};
  } else {
    for (const char* variable : kIndexVariables) {
      if (const std::optional<std::string> value = env(variable)) {
        found = {parse_index(variable, *value), variable};
        break;
      }
    }
    if (found.source.empty())
      throw UsageError("--grid: which of its " + std::to_string(args.grid.size()) +
                       " runs is this? Pass --grid-index N, or run under a scheduler that sets "
                       "JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX");
  }
  if (found.index >= args.grid.size())
    throw UsageError(found.source + ": run " + std::to_string(found.index) + ", but the grid has " +
                     std::to_string(args.grid.size()) + " runs (0 to " +
                     std::to_string(args.grid.size() - 1) + ")");
  return found;
}

std::string grid_run_dir(const std::string& model_dir, std::size_t index) {
  // Five digits whatever the grid's size (at most 100000 runs): a grid that grows keeps the names
  // of the runs it had, and their progress.
  char name[32];
  std::snprintf(name, sizeof name, "run-%05zu", index);
  return model_dir + (model_dir.empty() || model_dir.back() == '/' ? "" : "/") + name;
}

std::vector<std::string> grid_member_args(const GridArgs& args, std::size_t index) {
  std::vector<std::string> member = args.rest;
  member.push_back("--model-dir");
  member.push_back(grid_run_dir(args.model_dir, index));
  for (const auto& [flag, value] : args.grid.member(index)) member.push_back(flag + "=" + value);
  return member;
}

}  // namespace trainer
