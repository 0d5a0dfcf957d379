// TensorBoard's files as written here: CRC-32C, TFRecord framing, Event records, and the event
// log's rule that a resumed run never writes a (tag, step) an earlier file holds.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/event_file.h"
#include "io/event_log.h"
#include "io/protobuf.h"
#include "io/tf_saved_model.h"
#include "io/tfrecord.h"
#include "model/layout.h"
#include "util/crc32c.h"
#include "util/errors.h"

using namespace trainer;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// (tag, step) -> how many times, over every file of ours in `dir`, in name order.
std::map<std::pair<std::string, std::int64_t>, int> logged(const fs::path& dir) {
  std::map<std::pair<std::string, std::int64_t>, int> seen;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string bytes = read(entry.path());
    for (std::string_view record : scan_tfrecords(bytes).records) {
      const auto event = decode_event_tags(record);
      REQUIRE(event);
      for (const std::string& tag : event->tags) ++seen[{tag, event->step}];
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("crc32c matches the published check values", "[tensorboard]") {
  REQUIRE(crc32c("") == 0u);
  REQUIRE(crc32c("123456789") == 0xe3069283u);  // the CRC-32C check value (RFC 3720 family)
  REQUIRE(crc32c(std::string(32, '\0')) == 0x8a9136aau);  // RFC 3720 B.4: 32 bytes of zeros
  REQUIRE(crc32c(std::string(32, '\xff')) == 0x62a8ab43u);
  REQUIRE(masked_crc32c("123456789") == ((0xe3069283u >> 15 | 0xe3069283u << 17) + 0xa282ead8u));
}

TEST_CASE("TFRecord frames scan back, and a cut or damaged tail stops the scan", "[tensorboard]") {
  const std::string a = tfrecord_frame("first"), b = tfrecord_frame(std::string(1000, 'x'));
  REQUIRE(a.size() == 5 + 16);
  const std::string both = a + b;  // the scan's views point into it
  TfRecordScan scan = scan_tfrecords(both);
  REQUIRE(scan.problem.empty());
  REQUIRE(scan.records.size() == 2);
  REQUIRE(scan.records[0] == "first");
  REQUIRE(scan.records[1].size() == 1000);
  // Every cut inside the second record keeps the first and names the place.
  for (std::size_t cut = 1; cut < b.size(); cut += 37) {
    const std::string cut_short = a + b.substr(0, cut);
    scan = scan_tfrecords(cut_short);
    REQUIRE(scan.records.size() == 1);
    REQUIRE(scan.valid_bytes == a.size());
    REQUIRE(scan.problem.find("at byte 21") != std::string::npos);
  }
  std::string flipped = a + b;
  flipped[a.size() + 100] ^= 1;  // in the data
  REQUIRE(scan_tfrecords(flipped).records.size() == 1);
  flipped = a + b;
  flipped[a.size() + 2] ^= 1;  // in the length: a lying size is caught by its CRC
  REQUIRE(scan_tfrecords(flipped).problem.find("length") != std::string::npos);
}

TEST_CASE("ProtoReader walks what ProtoWriter wrote and refuses what runs past the end",
          "[tensorboard]") {
  ProtoWriter inner;
  inner.bytes(1, "tag").float32(2, 0.5f);
  ProtoWriter outer;
  outer.int64(2, -1).float64(1, 1.5).message(5, inner).varint(300, 7);
  ProtoReader reader(outer.str());
  ProtoReader::Field f;
  REQUIRE(reader.next(f));
  REQUIRE((f.number == 2 && f.wire_type == 0 && std::int64_t(f.value) == -1));
  REQUIRE(reader.next(f));
  double wall = 0;
  std::memcpy(&wall, &f.value, 8);
  REQUIRE((f.number == 1 && wall == 1.5));
  REQUIRE(reader.next(f));
  REQUIRE((f.number == 5 && f.bytes == inner.str()));
  REQUIRE(reader.next(f));
  REQUIRE((f.number == 300 && f.value == 7));
  REQUIRE(!reader.next(f));
  REQUIRE(reader.ok());
  // Truncated at every length: never a field that reaches past the bytes, and never ok at a cut
  // inside a field.
  for (std::size_t cut = 0; cut < outer.str().size(); ++cut) {
    ProtoReader cut_reader(std::string_view(outer.str()).substr(0, cut));
    while (cut_reader.next(f)) REQUIRE(f.bytes.size() <= cut);
  }
}

TEST_CASE("event records decode to their step and tags", "[tensorboard]") {
  auto scalar = decode_event_tags(scalar_event(1.0, 42, "epoch/test_loss", 0.25f));
  REQUIRE(scalar);
  REQUIRE(scalar->step == 42);
  REQUIRE(scalar->tags == std::vector<std::string>{"epoch/test_loss"});
  auto text = decode_event_tags(text_event(1.0, 0, "flags", "| a | b |"));
  REQUIRE((text && text->tags == std::vector<std::string>{"flags"}));
  auto image = decode_event_tags(gray_image_event(1.0, 7, "reconstructions", 2, 3, "png"));
  REQUIRE((image && image->step == 7));
  auto version = decode_event_tags(file_version_event(1.0));
  REQUIRE((version && version->tags.empty()));
  REQUIRE(!decode_event_tags("\x2a\xff"));  // field 5, a length past the end
}

TEST_CASE("EventLog: a resumed run appends a file and repeats no (tag, step)", "[tensorboard]") {
  const fs::path dir = fs::temp_directory_path() / ("trainer-events-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    EventLog disabled;
    disabled.scalar(1, "loss", 1.0);
    disabled.commit();
    REQUIRE(disabled.file().empty());
  }
  {
    EventLog first(dir, false);
    REQUIRE(first.file().empty());  // nothing is created before the first event
    for (int step = 0; step <= 30; step += 10)
      first.scalar(step, "progress/loss", 1.0 / (step + 1));
    first.text(0, "flags", "run 1");
    REQUIRE(first.file().empty());  // queued until the state they describe is saved
    first.commit();
    REQUIRE(fs::exists(first.file()));
    first.scalar(40, "progress/loss", 0.1);  // never committed: a run that failed after it
  }
  // A run killed at step 30 resumes from its checkpoint at step 20: steps 20 and 30 come again.
  {
    EventLog resumed(dir, false);
    resumed.text(20, "flags", "run 2");
    for (int step = 20; step <= 50; step += 10) resumed.scalar(step, "progress/loss", 0.5);
    resumed.commit();
  }
  auto seen = logged(dir);
  REQUIRE(seen.size() == 8);  // progress/loss at 0..50, flags at 0 and 20
  for (const auto& [key, count] : seen) REQUIRE(count == 1);
  REQUIRE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);

  // A file cut in mid-record (kill -9) still counts up to its last whole record.
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(dir)) newest = std::max(newest, entry.path());
  const std::string bytes = read(newest);
  {
    std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 3);
  }
  {
    EventLog again(dir, false);
    again.scalar(40, "progress/loss", 0.5);  // whole in the cut file: skipped
    again.scalar(50, "progress/loss", 0.5);  // cut off: written again
    again.commit();
  }
  seen = logged(dir);
  REQUIRE(seen[{"progress/loss", 40}] == 1);
  REQUIRE(seen[{"progress/loss", 50}] == 1);

  // A run that starts over logs from step 0 and, once told, removes the earlier runs' files.
  {
    EventLog fresh(dir, true);
    fresh.scalar(0, "progress/loss", 2.0);
    REQUIRE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 3);
    fresh.commit();
    REQUIRE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    REQUIRE(fs::exists(fresh.file()));
  }
  // Names sort in time order and are recognised as ours; others' files are left alone.
  REQUIRE(is_our_event_file("events.out.tfevents.1796127878.545559.vm.32042.trainer"));
  REQUIRE(!is_our_event_file("events.out.tfevents.1796127878.vm.32042.0.v2"));
  fs::remove_all(dir);
}

TEST_CASE("EventLog refuses an event file it cannot read", "[tensorboard]") {
  const fs::path dir =
      fs::temp_directory_path() / ("trainer-events-odd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "events.out.tfevents.1796127878.000000.h.1.trainer");
  REQUIRE_THROWS_AS(EventLog(dir, false), RuntimeFailure);
  REQUIRE_NOTHROW(EventLog(dir, true));  // starting over reads nothing
  fs::remove_all(dir);
}

TEST_CASE("the SavedModel names its signature, tag and input width", "[tensorboard]") {
  const ModelLayout layout = make_layout(ModelShape{});
  const std::vector<float> params(layout.param_count, 0.25f);
  const std::string pb = encode_tf_saved_model(layout, params.data());
  REQUIRE(pb.size() > params.size() * 4);  // the weights are in it, as constants
  for (const char* name : {"serve", "serving_default", "images:0", "reconstruction:0",
                           "encoder.0/MatMul", "decoder.2/Relu", "tensorflow/serving/predict"})
    REQUIRE(pb.find(name) != std::string::npos);
  ModelShape sigmoid;
  sigmoid.output_activation = Activation::sigmoid;
  const ModelLayout sigmoid_layout = make_layout(sigmoid);
  const std::string sigmoid_pb = encode_tf_saved_model(sigmoid_layout, params.data());
  REQUIRE(sigmoid_pb.find("decoder.2/Sigmoid") != std::string::npos);
  REQUIRE(sigmoid_pb.find("decoder.2/Relu") == std::string::npos);
}
