// What a person reads on the terminal: one line when training starts, one per epoch, one at the
// end.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "io/trained_model.h"

namespace trainer {

std::string version_line();
// `ready_seconds`: from process start to the first step (data fetched or read, checked, uploaded).
void print_start(std::ostream& out, const std::string& dataset, int train_count, int test_count,
                 const std::string& device, int epochs, const std::filesystem::path& model_dir,
                 double ready_seconds);
void print_epoch(std::ostream& out, const EpochMetrics& metrics, int total_epochs);
void print_saved(std::ostream& out, const std::filesystem::path& model_file);
// "trainer: warning: <text>", when there is one.
void print_warning(std::ostream& err, const std::string& text);

}  // namespace trainer
