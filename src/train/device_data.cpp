#include "train/device_data.h"

#include <numeric>
#include <vector>

#include "util/errors.h"

namespace trainer {

DeviceImages upload_images(Backend& backend, IdxImages&& images, int count) {
  DeviceImages device;
  device.count = count;
  device.width = images.pixels_per_image();
  // The data layer read only the images a command uses (DataNeeds): no copy to trim here.
  const std::size_t used = std::size_t(count) * device.width;
  if (images.pixels.size() < used) {
    throw RuntimeFailure("internal: " + std::to_string(images.kept()) + " images read, " +
                         std::to_string(count) + " needed");
  }
  images.pixels.truncate(used);
  device.pixels = backend.adopt_bytes(std::move(images.pixels));
  return device;
}

EvalSet upload_eval_set(Backend& backend, IdxImages&& images, int count) {
  EvalSet set;
  set.images = upload_images(backend, std::move(images), count);
  std::uint32_t* rows = backend.allocate_array<std::uint32_t>(std::size_t(count));
  std::vector<std::uint32_t> identity(static_cast<std::size_t>(count));
  std::iota(identity.begin(), identity.end(), 0u);
  backend.upload(rows, identity.data(), identity.size() * sizeof(std::uint32_t));
  set.rows = rows;
  return set;
}

double mean_squared_error(Autoencoder& model, const EvalSet& set) {
  return model.sum_squared_error(set.images, set.rows, set.images.count) /
         (double(set.images.count) * set.images.width);
}

}  // namespace trainer
