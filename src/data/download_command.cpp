#include "data/download_command.h"

#include <iostream>

#include "data/cache.h"
#include "data/data_dir.h"
#include "report/fetch_progress.h"

namespace trainer {

void run_download(const DownloadConfig& config, std::ostream& out) {
  const DataDirChoice data_dir = resolve_data_dir(config.data_dir);
  ConsoleFetchReporter reporter(out, std::cerr, stdout_is_terminal());
  for (const std::string& name : config.datasets) {
    const CatalogDataset* dataset = find_dataset(name);
    const Dataset data = obtain_dataset({data_dir.path, dataset, config.fetch, false}, reporter);
    out << name << ": " << dataset->files.size() << " files verified in "
        << (data_dir.path / name).string() << " (" << data.train_images.count << " training, "
        << data.test_images.count << " test images; data dir from " << data_dir.source << ")"
        << std::endl;
  }
}

}  // namespace trainer
