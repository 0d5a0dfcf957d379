// The pictures a training run leaves in its model directory, refreshed each epoch: the loss curve
// (SVG: any browser shows it) and the reconstruction grid (the notebook's 2 x N figure, as PNG).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/png.h"
#include "io/trained_model.h"

namespace trainer {

// Curves over epochs on labelled axes, 640 x 400 px, self-contained SVG 1.1: one polyline per
// series (its class is the series' name), a marker with a tooltip per point, a legend.
struct CurveSeries {
  std::string name, legend, color;
  std::vector<std::pair<int, double>> points;  // (epoch, value)
};
std::string curves_svg(const std::vector<CurveSeries>& series, const std::string& title,
                       const std::string& y_label);

// Train and test loss per epoch.
std::string loss_curve_svg(const std::vector<EpochMetrics>& history, const std::string& title);

// Originals on the top row, their reconstructions below, each image (rows x cols pixels) scaled
// up `scale` times (nearest neighbour) with a `gap`-pixel grey border. `originals` holds count
// images of bytes, `reconstructions` count images of floats (clamped to [0, 1], x 255, rounded).
// Training draws the first kGridImages test images, as the notebook's figure did.
constexpr int kGridImages = 10, kGridScale = 4, kGridGap = 4;
GrayImage reconstruction_grid(const std::vector<std::uint8_t>& originals,
                              const std::vector<float>& reconstructions, int count, int rows,
                              int cols, int scale = kGridScale, int gap = kGridGap);

}  // namespace trainer
