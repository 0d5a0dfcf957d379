// `trainer download`: fill the cache with verified datasets, and say where they are.
#pragma once

#include <ostream>

#include "cli/parse_download.h"

namespace trainer {

void run_download(const DownloadConfig& config, std::ostream& out);

}  // namespace trainer
