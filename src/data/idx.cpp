#include "data/idx.h"

#include <algorithm>
#include <cstdio>

#include "util/errors.h"

namespace trainer {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;

std::uint32_t big_endian_u32(const HostBytes& bytes, std::size_t at) {
  return std::uint32_t(bytes[at]) << 24 | std::uint32_t(bytes[at + 1]) << 16 |
         std::uint32_t(bytes[at + 2]) << 8 | std::uint32_t(bytes[at + 3]);
}

std::string hex_magic(std::uint32_t magic) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", magic);
  return text;
}

// Checks magic and that the payload is exactly the size the header announces.
void check_header(const HostBytes& bytes, const std::string& name, std::uint32_t magic,
                  std::size_t header_bytes, const char* kind, std::uint64_t file_size) {
  if (bytes.size() >= 4 && big_endian_u32(bytes, 0) != magic) {
    throw RuntimeFailure(name + ": not an IDX " + kind + " file (magic " +
                         hex_magic(big_endian_u32(bytes, 0)) + ", expected " + hex_magic(magic) +
                         ")");
  }
  if (bytes.size() < header_bytes) {
    throw RuntimeFailure(name + ": truncated IDX header (" + std::to_string(file_size) +
                         " bytes, need " + std::to_string(header_bytes) + ")");
  }
}

void check_payload(std::uint64_t file_size, const std::string& name, std::size_t header_bytes,
                   std::uint64_t expected, const std::string& dims) {
  std::uint64_t payload = file_size - header_bytes;
  if (payload < expected) {
    throw RuntimeFailure(name + ": truncated: header says " + dims + " (" +
                         std::to_string(expected) + " bytes of data) but only " +
                         std::to_string(payload) + " follow");
  }
  if (payload > expected) {
    throw RuntimeFailure(name + ": " + std::to_string(payload - expected) +
                         " unexpected bytes after the data the header describes (" + dims + ")");
  }
}

}  // namespace

IdxImages parse_idx_images(HostBytes bytes, const std::string& name, std::uint64_t file_size) {
  check_header(bytes, name, kImagesMagic, 16, "images", file_size);
  std::uint32_t count = big_endian_u32(bytes, 4), rows = big_endian_u32(bytes, 8),
                cols = big_endian_u32(bytes, 12);
  const std::string dims =
      std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols);
  // Each dimension is at most 2^31 and the product is compared in 64 bits: no overflow.
  if (count == 0 || rows == 0 || cols == 0 || count > 0x7fffffffu || rows > 0xffffu ||
      cols > 0xffffu) {
    throw RuntimeFailure(name + ": implausible dimensions: " + dims);
  }
  check_payload(file_size, name, 16, std::uint64_t(count) * rows * cols, dims);
  IdxImages images;
  images.count = int(count);
  images.rows = int(rows);
  images.cols = int(cols);
  bytes.drop_front(16);
  const std::size_t image_bytes = std::size_t(rows) * cols;
  bytes.truncate(std::min<std::size_t>(bytes.size(), std::size_t(count) * image_bytes) /
                 image_bytes * image_bytes);
  images.pixels = std::move(bytes);
  return images;
}

IdxLabels parse_idx_labels(const HostBytes& bytes, const std::string& name,
                           std::uint64_t file_size) {
  check_header(bytes, name, kLabelsMagic, 8, "labels", file_size);
  std::uint32_t count = big_endian_u32(bytes, 4);
  const std::string dims = std::to_string(count) + " labels";
  if (count == 0 || count > 0x7fffffffu)
    throw RuntimeFailure(name + ": implausible dimensions: " + dims);
  check_payload(file_size, name, 8, count, dims);
  IdxLabels labels;
  labels.count = int(count);
  labels.labels.assign(bytes.begin() + 8,
                       bytes.begin() + 8 + std::min<std::size_t>(bytes.size() - 8, count));
  return labels;
}

std::uint64_t idx_prefix_bytes(bool images, std::uint64_t pixels_per_image, std::uint64_t items) {
  return images ? 16 + items * pixels_per_image : 8 + items;
}

}  // namespace trainer
