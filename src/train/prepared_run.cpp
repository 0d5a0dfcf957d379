#include "train/prepared_run.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "data/cache.h"
#include "model/rng.h"
#include "report/fetch_progress.h"
#include "report/pictures.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/path_alias.h"
#include "util/volumes.h"

namespace trainer {

PreparedRun prepare_run(const TrainConfig& config, std::ostream& out) {
  const CatalogDataset* spec = find_dataset(config.dataset);
  if (!spec) throw UsageError("--dataset: unknown dataset '" + config.dataset + "'");
  const int train_count =
      config.limit ? std::min(*config.limit, spec->train_count) : spec->train_count;
  const int test_count =
      config.limit ? std::min(*config.limit, spec->test_count) : spec->test_count;

  PreparedRun run;
  run.report = make_train_reporter(config.report, stdout_is_terminal(), out, std::cerr);
  BackendChoice choice = make_backend(config.backend);
  run.backend = std::move(choice.backend);
  if (!choice.note.empty()) run.report->message(choice.note + "; using the CPU");
  if (!choice.warning.empty()) run.report->fetch_reporter().warning(choice.warning);
  // A bucket's model directory is downloaded here, under its lease: before the checkpoints are
  // read, and before any data is fetched, so that a wrong credential costs nothing.
  ModelLocationOptions where;
  where.staging_root =
      default_staging_root(resolve_data_dir(config.data.data_dir).path, &where.staging_source);
  where.timeout_s = config.data.fetch.timeout_s;
  where.lease_seconds = config.lease_seconds;
  where.warn = [&run](const std::string& text) { run.report->fetch_reporter().warning(text); };
  run.location = open_model_location(config.model_dir, ModelDirUse::train, where);
  run.model_dir = run.location->dir();
  // Before the checkpoints are read: one that is not a regular file is an error, not a warning.
  run.model_dir.check_layout();
  const Fingerprint fingerprint = run_fingerprint(config);
  std::vector<std::filesystem::path> checkpoints_seen;
  if (!config.fresh) {
    checkpoints_seen = run.model_dir.list_checkpoints();
    run.resume = find_resume_point(run.model_dir, fingerprint, std::cerr);
  }
  require_writable_directory(run.model_dir.root(), "--model-dir " + config.model_dir,
                             [](int error) { return permission_hint("--model-dir", error); });
  FetchReporter& reporter = run.report->fetch_reporter();
  if (const std::string where = run.location->vanishing_storage(); !where.empty()) {
    reporter.warning("--model-dir " + config.model_dir + " is " + where +
                     ": the model and checkpoints vanish with the container; mount a directory "
                     "there (docker run -v \"$PWD/out:" +
                     std::filesystem::absolute(config.model_dir).lexically_normal().string() +
                     "\" ...)");
  }

  Dataset data =
      obtain_dataset({resolve_data_dir(config.data.data_dir).path, spec, config.data.fetch, true,
                      DataNeeds{train_count, test_count}, host_threads(config.backend)},
                     reporter);
  run.lock = run.model_dir.lock_for_training();
  // Another trainer may have written checkpoints while the data loaded: look again only then (the
  // first look printed the warnings already).
  if (!config.fresh && run.model_dir.list_checkpoints() != checkpoints_seen) {
    std::ostringstream reported_already;
    run.resume = find_resume_point(run.model_dir, fingerprint, reported_already);
  }
  // A run that starts over (--fresh, or no checkpoint to continue) owes nothing to the event
  // files of an earlier run; they go with its checkpoints.
  run.events = std::make_unique<EventLog>(run.model_dir.logs_dir(), run_id(fingerprint),
                                          !run.resume, config.tensorboard);

  ModelShape shape = config.shape;
  shape.input = data.train_images.pixels_per_image();
  run.layout = make_layout(shape);
  const int max_batch = std::min(config.batch_size, train_count);
  run.model = std::make_unique<Autoencoder>(*run.backend, run.layout, config.adam, max_batch);
  if (run.resume && run.resume->checkpoint.state.size() != run.layout.state_count()) {
    throw RuntimeFailure(run.resume->file.string() + ": holds " +
                         std::to_string(run.resume->checkpoint.state.size()) +
                         " floats, the model needs " + std::to_string(run.layout.state_count()));
  }
  if (run.resume) {
    // Another rounding (kernels/README.md) continues fine, but into a model neither straight run
    // would give: said, not refused (a machine without FMA may be all there is).
    const std::string then = checkpoint_rounding(run.resume->checkpoint);
    const std::string now = run.backend->rounding();
    if (!then.empty() && then != now)
      reporter.warning(shown_path(run.resume->file.string()) + " was written on the " + then +
                       " rounding path and this run uses the " + now +
                       " one (multiply-adds rounded " + (now == "sse2" ? "twice" : "once") +
                       "): it resumes, but the result matches neither straight run");
    const int steps_per_epoch = (train_count + max_batch - 1) / max_batch;
    run.start = start_point(*run.resume, steps_per_epoch, max_batch, train_count);
    run.history = run.resume->checkpoint.history;
  }
  run.model->upload_state(run.resume ? run.resume->checkpoint.state
                                     : initial_state(run.layout, config.seed));
  run.record = {data.name,    config.seed, config.batch_size, config.shuffle,
                config.limit, config.adam, config.grid};

  run.grid_count = std::min(kGridImages, test_count);
  run.image_rows = data.test_images.rows;
  run.image_cols = data.test_images.cols;
  run.grid_originals.assign(
      data.test_images.pixels.begin(),
      data.test_images.pixels.begin() + std::ptrdiff_t(run.grid_count) * shape.input);
  run.train = upload_images(*run.backend, std::move(data.train_images), train_count);
  run.test = upload_eval_set(*run.backend, std::move(data.test_images), test_count);
  return run;
}

}  // namespace trainer
