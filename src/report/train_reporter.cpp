#include "report/train_reporter.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "report/console.h"
#include "report/fetch_progress.h"
#include "util/path_alias.h"
#include "util/text.h"

namespace trainer {
namespace {

// Live lines at most 10 times a second; JSON progress events at most once a second.
constexpr double kLiveInterval = 0.1, kJsonInterval = 1.0;

std::string format_eta(double seconds) {
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof text, "%dh%02dm", int(seconds / 3600), int(seconds / 60) % 60);
  } else if (seconds >= 60) {
    std::snprintf(text, sizeof text, "%dm%02ds", int(seconds / 60), int(seconds) % 60);
  } else {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  }
  return text;
}

class TextReporter : public TrainReporter {
 public:
  TextReporter(std::ostream& out, std::ostream& err, bool interactive, double interval)
      : out_(out), fetch_(out, err, interactive), interactive_(interactive), interval_(interval) {}
  void message(const std::string& text) override {
    clear_line();
    out_ << printable(text) << std::endl;
  }
  void started(const RunStart& s) override {
    clear_line();
    if (s.resumed_from) {
      out_ << "resuming at epoch " << s.start_epoch << ", step " << s.start_step;
      if (s.start_image > 0) out_ << " (image " << s.start_image << " of " << s.train_images << ")";
      out_ << " from " << printable(*s.resumed_from) << std::endl;
    }
    print_start(out_, s.dataset, s.train_images, s.test_images, s.device, s.epochs, s.model_dir,
                s.ready_seconds);
  }
  bool wants_progress(double seconds) const override {
    return interactive_ && seconds >= interval_;
  }
  void progress(const StepProgress& p) override {
    char line[200];
    const int width = 20, filled = p.steps > 0 ? p.step * width / p.steps : width;
    std::snprintf(line, sizeof line, "epoch %d/%d [%s%s] %d/%d  loss %.6f  %.0f img/s  ETA %s",
                  p.epoch, p.epochs, std::string(std::size_t(filled), '#').c_str(),
                  std::string(std::size_t(width - filled), ' ').c_str(), p.step, p.steps, p.loss,
                  p.images_per_second, format_eta(p.eta_seconds).c_str());
    out_ << "\r\033[K" << line << std::flush;
    line_drawn_ = true;
  }
  void epoch_done(const EpochMetrics& metrics, int epochs) override {
    clear_line();
    print_epoch(out_, metrics, epochs);
  }
  void checkpoint_saved(const std::filesystem::path&, std::int64_t) override {}
  void already_trained(const std::filesystem::path& model_dir, int epochs) override {
    out_ << printable(shown_path(model_dir.string())) << " is already trained for " << epochs
         << (epochs == 1 ? " epoch" : " epochs") << ": nothing to do" << std::endl;
  }
  void finished(const std::filesystem::path& model_file) override {
    clear_line();
    print_saved(out_, model_file);
  }
  FetchReporter& fetch_reporter() override { return fetch_; }

 private:
  void clear_line() {
    if (!line_drawn_) return;
    out_ << "\r\033[K" << std::flush;
    line_drawn_ = false;
  }
  std::ostream& out_;
  ConsoleFetchReporter fetch_;
  bool interactive_;
  double interval_;
  bool line_drawn_ = false;
};

// Errors and warnings only (stderr).
class QuietReporter : public TrainReporter, FetchReporter {
 public:
  explicit QuietReporter(std::ostream& err) : err_(err) {}
  void message(const std::string&) override {}
  void started(const RunStart&) override {}
  bool wants_progress(double) const override { return false; }
  void progress(const StepProgress&) override {}
  void epoch_done(const EpochMetrics&, int) override {}
  void checkpoint_saved(const std::filesystem::path&, std::int64_t) override {}
  void already_trained(const std::filesystem::path&, int) override {}
  void finished(const std::filesystem::path&) override {}
  FetchReporter& fetch_reporter() override { return *this; }
  void started(const std::string&, const std::string&) override {}
  void progress(std::uint64_t, std::optional<std::uint64_t>) override {}
  void finished(const std::string&, const std::string&, std::uint64_t, double) override {}
  void attempt_failed(const std::string&, const std::string&, double) override {}
  void warning(const std::string& text) override {
    err_ << "trainer: warning: " << printable(shown_path(text)) << std::endl;
  }
  void waiting_for_lock(const std::string&) override {}

 private:
  std::ostream& err_;
};

// One JSON object per line on stdout (README "Output: --log-format json"); warnings stay on stderr
// as text so that stdout is only JSON.
class JsonReporter : public TrainReporter, FetchReporter {
 public:
  JsonReporter(std::ostream& out, std::ostream& err, double interval)
      : out_(out), err_(err), interval_(interval) {}
  void message(const std::string& text) override { emit({{"event", "message"}, {"text", text}}); }
  void started(const RunStart& s) override {
    nlohmann::ordered_json j = {{"event", "start"},
                                {"dataset", s.dataset},
                                {"train_images", s.train_images},
                                {"test_images", s.test_images},
                                {"device", s.device},
                                {"epochs", s.epochs},
                                {"model_dir", s.model_dir},
                                {"ready_seconds", s.ready_seconds},
                                {"start_epoch", s.start_epoch},
                                {"start_step", s.start_step},
                                {"resumed_from", nullptr}};
    if (s.resumed_from) j["resumed_from"] = *s.resumed_from;
    emit(j);
  }
  bool wants_progress(double seconds) const override { return seconds >= interval_; }
  void progress(const StepProgress& p) override {
    emit({{"event", "progress"},
          {"epoch", p.epoch},
          {"epochs", p.epochs},
          {"step", p.step},
          {"steps", p.steps},
          {"global_step", p.global_step},
          {"loss", p.loss},
          {"images_per_second", p.images_per_second},
          {"eta_seconds", p.eta_seconds}});
  }
  void epoch_done(const EpochMetrics& m, int epochs) override {
    emit({{"event", "epoch"},
          {"epoch", m.epoch},
          {"epochs", epochs},
          {"global_step", m.step},
          {"train_loss", m.train_loss},
          {"test_loss", m.test_loss},
          {"seconds", m.seconds},
          {"images_per_second", m.images_per_second}});
  }
  void checkpoint_saved(const std::filesystem::path& file, std::int64_t step) override {
    emit({{"event", "checkpoint"}, {"global_step", step}, {"path", shown_path(file.string())}});
  }
  void already_trained(const std::filesystem::path& model_dir, int epochs) override {
    emit({{"event", "already_trained"},
          {"model_dir", shown_path(model_dir.string())},
          {"epochs", epochs}});
  }
  void finished(const std::filesystem::path& model_file) override {
    emit({{"event", "saved"}, {"path", shown_path(model_file.string())}});
  }
  FetchReporter& fetch_reporter() override { return *this; }
  void started(const std::string&, const std::string&) override {}
  void progress(std::uint64_t, std::optional<std::uint64_t>) override {}
  void finished(const std::string& label, const std::string& url, std::uint64_t bytes,
                double seconds) override {
    emit({{"event", "download"},
          {"file", label},
          {"url", url},
          {"bytes", bytes},
          {"seconds", seconds}});
  }
  void attempt_failed(const std::string& url, const std::string& cause,
                      double retry_in_s) override {
    emit({{"event", "download_failed"},
          {"url", url},
          {"cause", cause},
          {"retry_in_seconds", retry_in_s >= 0 ? nlohmann::ordered_json(retry_in_s) : nullptr}});
  }
  void warning(const std::string& text) override {
    err_ << "trainer: warning: " << printable(shown_path(text)) << std::endl;
  }
  void waiting_for_lock(const std::string& path) override {
    emit({{"event", "waiting_for_lock"}, {"path", path}});
  }

 private:
  // Bytes that are not UTF-8 (a server's reason phrase, a file name) become U+FFFD: a log line
  // is never lost to them, and stays valid JSON.
  void emit(const nlohmann::ordered_json& j) {
    out_ << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
  }
  std::ostream& out_;
  std::ostream& err_;
  double interval_;
};

}  // namespace

std::unique_ptr<TrainReporter> make_train_reporter(const ReportOptions& options, bool interactive,
                                                   std::ostream& out, std::ostream& err) {
  if (options.quiet) return std::make_unique<QuietReporter>(err);
  const std::optional<double> interval = options.progress_interval;
  if (options.format == LogFormat::json)
    return std::make_unique<JsonReporter>(out, err, interval.value_or(kJsonInterval));
  return std::make_unique<TextReporter>(out, err, interactive, interval.value_or(kLiveInterval));
}

}  // namespace trainer
