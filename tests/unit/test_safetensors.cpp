// The safetensors writer and the validating reader.
#include <catch2/catch.hpp>

#include <cstring>

#include "io/safetensors.h"
#include "util/errors.h"

using namespace trainer;

namespace {
std::string with_header(const std::string& json, std::size_t data_bytes) {
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + std::string(data_bytes, '\0');
}
std::string failure_of(const std::string& bytes) {
  try {
    decode_safetensors(bytes, "f.safetensors");
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("safetensors round trip of the model's parameters", "[safetensors]") {
  ModelShape shape;
  shape.hidden = 10;
  shape.code = 3;
  const ModelLayout layout = make_layout(shape);
  std::vector<float> params(layout.param_count);
  for (std::size_t i = 0; i < params.size(); ++i) params[i] = float(i) * 0.25f - 3.0f;
  const std::string bytes = encode_safetensors(layout, params.data(), {{"format", "pt"}});
  std::uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  REQUIRE(header % 8 == 0);
  REQUIRE(bytes.size() == 8 + header + params.size() * 4);
  const SafetensorsFile file = decode_safetensors(bytes, "x");
  REQUIRE(file.metadata.at("format") == "pt");
  REQUIRE(file.tensors.at("encoder.0.weight").shape == std::vector<int>{10, 784});
  REQUIRE(file.tensors.at("decoder.2.bias").shape == std::vector<int>{784});
  REQUIRE(params_from_safetensors(file, layout, "x") == params);
  // Deterministic bytes: same parameters, same file.
  REQUIRE(encode_safetensors(layout, params.data(), {{"format", "pt"}}) == bytes);
}

TEST_CASE("safetensors reader rejects what it cannot trust", "[safetensors]") {
  CHECK_THAT(failure_of("abc"),
             Catch::Contains("f.safetensors") && Catch::Contains("shorter than"));
  std::string huge(8, '\xff');
  CHECK_THAT(failure_of(huge + "{}"), Catch::Contains("header claims"));
  CHECK_THAT(failure_of(with_header("[1,2]", 0)), Catch::Contains("not a JSON object"));
  CHECK_THAT(failure_of(with_header("{\"a\":", 0)), Catch::Contains("not a JSON object"));
  CHECK_THAT(
      failure_of(with_header(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", 2)),
      Catch::Contains("dtype \"F16\""));
  CHECK_THAT(
      failure_of(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4)),
      Catch::Contains("do not fit"));
  CHECK_THAT(
      failure_of(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4000000]}})", 4)),
      Catch::Contains("do not fit"));
  CHECK_THAT(
      failure_of(with_header(
          R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4)),
      Catch::Contains("malformed shape"));
  CHECK_THAT(
      failure_of(with_header(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          12)),
      Catch::Contains("overlap"));
  CHECK_THAT(
      failure_of(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8)),
      Catch::Contains("no tensor claims"));
  CHECK_THAT(failure_of(with_header(R"({"a":{"dtype":"F32","shape":[1]}})", 4)),
             Catch::Contains("lacks dtype, shape or data_offsets"));
  // A well-formed file of another model: named as such.
  ModelShape shape;
  const ModelLayout layout = make_layout(shape);
  const std::string ok =
      with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  REQUIRE(failure_of(ok) == "(no error)");
  try {
    params_from_safetensors(decode_safetensors(ok, "m"), layout, "m");
    FAIL("accepted a file without the model's tensors");
  } catch (const RuntimeFailure& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("'encoder.0.weight' is missing"));
  }
}
