// The dataset in backend memory and the test-set loss, shared by training, `trainer eval` and
// `trainer reconstruct`, so that all report the same number for the same weights.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "data/idx.h"
#include "model/autoencoder.h"

namespace trainer {

// The first `count` images of `images`, handed to the backend once as bytes (Backend::adopt_bytes:
// the host copy is taken over or freed).
DeviceImages upload_images(Backend& backend, IdxImages&& images, int count);

// A fixed set of images visited in file order.
struct EvalSet {
  DeviceImages images;
  const std::uint32_t* rows = nullptr;  // 0..count-1, in backend memory
};
EvalSet upload_eval_set(Backend& backend, IdxImages&& images, int count);

// Mean squared error over every pixel of every image, in batches of model.max_batch().
double mean_squared_error(Autoencoder& model, const EvalSet& set);

}  // namespace trainer
