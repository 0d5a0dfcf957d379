// Download progress for people: on a terminal a live line with bytes, rate and ETA; otherwise
// (logs, CI) one line per file. Warnings go to the error stream.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "data/fetch.h"

namespace trainer {

class ConsoleFetchReporter : public FetchReporter {
 public:
  // interactive: redraw one progress line in place (use stdout_is_terminal()).
  ConsoleFetchReporter(std::ostream& out, std::ostream& err, bool interactive);
  void started(const std::string& label, const std::string& url) override;
  void progress(std::uint64_t bytes, std::optional<std::uint64_t> total) override;
  void finished(const std::string& label, const std::string& url, std::uint64_t bytes,
                double seconds) override;
  void attempt_failed(const std::string& url, const std::string& cause, double retry_in_s) override;
  void warning(const std::string& message) override;
  void waiting_for_lock(const std::string& path) override;

 private:
  void clear_line();
  std::ostream& out_;
  std::ostream& err_;
  bool interactive_;
  bool line_drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

bool stdout_is_terminal();

// "26.4 MB", "812 kB", "96 B"
std::string format_bytes(double bytes);

}  // namespace trainer
