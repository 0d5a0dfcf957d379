#include "report/fetch_progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "net/net_error.h"
#include "util/path_alias.h"
#include "util/text.h"

namespace trainer {
namespace {

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

bool stdout_is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

std::string format_bytes(double bytes) {
  char text[32];
  if (bytes >= 1e6) {
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  } else if (bytes >= 1e3) {
    std::snprintf(text, sizeof text, "%.0f kB", bytes / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f B", bytes);
  }
  return text;
}

ConsoleFetchReporter::ConsoleFetchReporter(std::ostream& out, std::ostream& err, bool interactive)
    : out_(out), err_(err), interactive_(interactive) {}

void ConsoleFetchReporter::clear_line() {
  if (!line_drawn_) return;
  out_ << "\r\033[K" << std::flush;
  line_drawn_ = false;
}

void ConsoleFetchReporter::started(const std::string& label, const std::string&) {
  label_ = label;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void ConsoleFetchReporter::progress(std::uint64_t bytes, std::optional<std::uint64_t> total) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (seconds_between(last_draw_, now) < 0.1) return;
  last_draw_ = now;
  const double elapsed = seconds_between(start_, now);
  const double rate = elapsed > 0 ? double(bytes) / elapsed : 0;
  std::string line = "  " + label_ + "  " + format_bytes(double(bytes));
  if (total) line += " / " + format_bytes(double(*total));
  line += "  " + format_bytes(rate) + "/s";
  if (total && rate > 0 && *total > bytes) {
    line += "  ETA " + std::to_string(int(std::ceil(double(*total - bytes) / rate))) + " s";
  }
  out_ << "\r\033[K" << line << std::flush;
  line_drawn_ = true;
}

void ConsoleFetchReporter::finished(const std::string& label, const std::string& url,
                                    std::uint64_t bytes, double seconds) {
  clear_line();
  char rate[48] = "";
  if (seconds > 0)
    std::snprintf(rate, sizeof rate, ", %s/s", format_bytes(bytes / seconds).c_str());
  char time[32];
  std::snprintf(time, sizeof time, "%.1f s", seconds);
  out_ << "fetched " << label << " (" << format_bytes(double(bytes)) << ") from " << printable(url)
       << " in " << time << rate << std::endl;
}

void ConsoleFetchReporter::attempt_failed(const std::string& url, const std::string& cause,
                                          double retry_in_s) {
  clear_line();
  out_ << "  " << printable(url) << ": " << printable(cause) << "; ";
  if (retry_in_s >= 0) {
    out_ << "trying again in " << format_seconds(retry_in_s) << std::endl;
  } else {
    out_ << "giving up on this mirror" << std::endl;
  }
}

void ConsoleFetchReporter::warning(const std::string& message) {
  clear_line();
  err_ << "trainer: warning: " << printable(shown_path(message)) << std::endl;
}

void ConsoleFetchReporter::waiting_for_lock(const std::string& path) {
  clear_line();
  out_ << "waiting for another trainer that holds " << printable(path) << std::endl;
}

}  // namespace trainer
