#include "report/console.h"

#include <cstdio>

#include "kernels/cpu/simd_arch.h"
#include "util/path_alias.h"
#include "util/text.h"
#include "version.h"

namespace trainer {

std::string version_line() {
  return std::string("trainer ") + TRAINER_VERSION + " (git " + TRAINER_GIT_REVISION + ", " +
         TRAINER_BUILD_TYPE + ", simd " + cpu::simd_arch_name(cpu::best_supported_arch()) + " of " +
         cpu::supported_arch_list() + ")\nbuild: " + TRAINER_BUILD_FLAGS;
}

void print_start(std::ostream& out, const std::string& dataset, int train_count, int test_count,
                 const std::string& device, int epochs, const std::filesystem::path& model_dir,
                 double ready_seconds) {
  char ready[48];
  std::snprintf(ready, sizeof ready, " (ready %.2f s after start)", ready_seconds);
  out << "training on " << dataset << " (" << train_count << " train, " << test_count
      << " test images) with " << device << ", " << epochs << (epochs == 1 ? " epoch" : " epochs")
      << " -> " << printable(shown_path(model_dir.string())) << ready << std::endl;
}

void print_epoch(std::ostream& out, const EpochMetrics& m, int total_epochs) {
  char line[200];
  std::snprintf(line, sizeof line,
                "epoch %d/%d  train_loss %.6f  test_loss %.6f  %.2f s  %.0f img/s", m.epoch,
                total_epochs, m.train_loss, m.test_loss, m.seconds, m.images_per_second);
  out << line << std::endl;
}

void print_warning(std::ostream& err, const std::string& text) {
  if (!text.empty()) err << "trainer: warning: " << printable(shown_path(text)) << std::endl;
}

void print_saved(std::ostream& out, const std::filesystem::path& model_file) {
  out << "saved " << printable(shown_path(model_file.string())) << std::endl;
}

}  // namespace trainer
