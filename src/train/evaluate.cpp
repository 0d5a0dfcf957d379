#include "train/evaluate.h"

#include <numeric>
#include <vector>

namespace trainer {

DeviceImages upload_images(Backend& backend, const IdxImages& images, int count) {
  DeviceImages device;
  device.count = count;
  device.width = images.pixels_per_image();
  const std::size_t bytes = std::size_t(count) * device.width;
  std::uint8_t* pixels = backend.allocate_array<std::uint8_t>(bytes);
  backend.upload(pixels, images.pixels.data(), bytes);
  device.pixels = pixels;
  return device;
}

EvalSet upload_eval_set(Backend& backend, const IdxImages& images, int count) {
  EvalSet set;
  set.images = upload_images(backend, images, count);
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
