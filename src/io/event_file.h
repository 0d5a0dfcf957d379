// TensorBoard's Event protobufs (tensorflow/core/util/event.proto, summary.proto), each one
// TFRecord's data: what TensorBoard, tf.summary's readers and EventAccumulator read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

// The first record of every event file.
std::string file_version_event(double wall_time);
// A scalar as simple_value: TensorBoard's scalars dashboard and EventAccumulator's "scalars".
std::string scalar_event(double wall_time, std::int64_t step, const std::string& tag, float value);
// An encoded image (PNG), one channel.
std::string gray_image_event(double wall_time, std::int64_t step, const std::string& tag,
                             int height, int width, std::string_view png);
// Markdown for TensorBoard's text dashboard: a string tensor tagged for the "text" plugin.
std::string text_event(double wall_time, std::int64_t step, const std::string& tag,
                       const std::string& markdown);

// The step and the summary tags of one event record; nullopt when it is not an Event.
struct EventTags {
  std::int64_t step = 0;
  std::vector<std::string> tags;
};
std::optional<EventTags> decode_event_tags(std::string_view record);

}  // namespace trainer
