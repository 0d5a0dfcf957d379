#include "io/event_file.h"

#include "io/protobuf.h"

namespace trainer {
namespace {

// Event: wall_time (1, double), step (2, int64), file_version (3), summary (5).
// Summary: value (1). Summary.Value: tag (1), simple_value (2), image (4), tensor (8),
// metadata (9).
std::string event(double wall_time, std::int64_t step, const ProtoWriter& value) {
  ProtoWriter e;
  e.float64(1, wall_time).int64(2, step).message(5, ProtoWriter().message(1, value));
  return e.str();
}

}  // namespace

std::string file_version_event(double wall_time) {
  return ProtoWriter().float64(1, wall_time).bytes(3, "brain.Event:2").str();
}

std::string scalar_event(double wall_time, std::int64_t step, const std::string& tag, float value) {
  return event(wall_time, step, ProtoWriter().bytes(1, tag).float32(2, value));
}

std::string gray_image_event(double wall_time, std::int64_t step, const std::string& tag,
                             int height, int width, std::string_view png) {
  // Summary.Image: height (1), width (2), colorspace (3: 1 = grayscale), encoded_image_string (4).
  ProtoWriter image;
  image.varint(1, unsigned(height)).varint(2, unsigned(width)).varint(3, 1).bytes(4, png);
  return event(wall_time, step, ProtoWriter().bytes(1, tag).message(4, image));
}

std::string text_event(double wall_time, std::int64_t step, const std::string& tag,
                       const std::string& markdown) {
  // SummaryMetadata: plugin_data (1) { plugin_name (1) }; TensorProto: dtype (1: DT_STRING = 7),
  // tensor_shape (2: empty, a scalar), string_val (8).
  ProtoWriter metadata;
  metadata.message(1, ProtoWriter().bytes(1, "text"));
  ProtoWriter tensor;
  tensor.varint(1, 7).message(2, ProtoWriter()).bytes(8, markdown);
  return event(wall_time, step,
               ProtoWriter().bytes(1, tag).message(9, metadata).message(8, tensor));
}

std::optional<EventTags> decode_event_tags(std::string_view record) {
  EventTags found;
  ProtoReader event(record);
  ProtoReader::Field field;
  while (event.next(field)) {
    if (field.number == 2 && field.wire_type == 0) found.step = std::int64_t(field.value);
    if (field.number != 5 || field.wire_type != 2) continue;
    ProtoReader summary(field.bytes);
    ProtoReader::Field value;
    while (summary.next(value)) {
      if (value.number != 1 || value.wire_type != 2) continue;
      ProtoReader parts(value.bytes);
      ProtoReader::Field part;
      while (parts.next(part)) {
        if (part.number == 1 && part.wire_type == 2) found.tags.emplace_back(part.bytes);
      }
      if (!parts.ok()) return std::nullopt;
    }
    if (!summary.ok()) return std::nullopt;
  }
  if (!event.ok()) return std::nullopt;
  return found;
}

}  // namespace trainer
