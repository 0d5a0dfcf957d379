// CRC-32C (Castagnoli), the checksum of TFRecord framing (TensorBoard event files), and the
// "masked" form TFRecord stores so that a CRC of data that itself holds CRCs stays well spread.
#pragma once

#include <cstdint>
#include <string_view>

namespace trainer {

std::uint32_t crc32c(std::string_view bytes);
// TensorFlow's mask: rotate right by 15 bits, add 0xa282ead8.
std::uint32_t masked_crc32c(std::string_view bytes);

}  // namespace trainer
