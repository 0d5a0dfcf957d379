// TensorBoard's files as written here: CRC-32C, TFRecord framing, Event records, and the event
// log's rule that a resumed run never writes a (tag, step) an earlier file holds.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "io/event_file.h"
#include "io/event_log.h"
#include "io/model_dir.h"
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
  // A length with a valid CRC that no event has (1 TiB) is damage, never an allocation.
  std::string huge(8, '\0');
  huge[5] = 1;  // 2^40, little-endian
  const std::uint32_t crc = masked_crc32c(huge);
  for (int i = 0; i < 4; ++i) huge.push_back(char((crc >> (8 * i)) & 0xff));
  REQUIRE(scan_tfrecords(huge + "data").problem.find("beyond any event") != std::string::npos);
  const fs::path file = fs::temp_directory_path() / ("trainer-huge-" + std::to_string(::getpid()));
  { std::ofstream(file, std::ios::binary) << huge << "data"; }
  TfRecordFileReader reader(file);
  std::string record;
  REQUIRE(!reader.next(record));
  REQUIRE(reader.problem().find("beyond any event") != std::string::npos);
  fs::remove(file);
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
  auto files = [&] { return std::distance(fs::directory_iterator(dir), fs::directory_iterator()); };
  const std::string run = "0123abcd", other_run = "ffff0000";
  {
    EventLog nothing;
    nothing.scalar(1, "loss", 1.0);
    nothing.commit();
    nothing.checkpoint_saved();
    REQUIRE(nothing.file().empty());
  }
  {
    EventLog first(dir, run, false, true);
    for (int step = 0; step <= 30; step += 10)
      first.scalar(step, "progress/loss", 1.0 / (step + 1));
    first.text(0, "flags", "run 1");
    REQUIRE(first.file().empty());  // queued until the checkpoint they go with
    first.commit();
    first.checkpoint_saved();
    REQUIRE(fs::exists(first.file()));
    REQUIRE(event_file_run_id(first.file().filename().string()) == run);
    first.scalar(40, "progress/loss", 0.1);  // never committed: the run failed after it
  }
  // A run killed at step 30 resumes from its checkpoint at step 20: steps 20 and 30 come again.
  {
    EventLog resumed(dir, run, false, true);
    resumed.text(20, "flags", "run 2");
    for (int step = 20; step <= 50; step += 10) resumed.scalar(step, "progress/loss", 0.5);
    resumed.commit();
  }
  auto seen = logged(dir);
  REQUIRE(seen.size() == 8);  // progress/loss at 0..50, flags at 0 and 20
  for (const auto& [key, count] : seen) REQUIRE(count == 1);
  REQUIRE(files() == 2);

  // A file cut in mid-record (kill -9) still counts up to its last whole record.
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(dir)) newest = std::max(newest, entry.path());
  const std::string bytes = read(newest);
  {
    std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 3);
  }
  {
    EventLog again(dir, run, false, true);
    again.scalar(40, "progress/loss", 0.5);  // whole in the cut file: skipped
    again.scalar(50, "progress/loss", 0.5);  // cut off: written again
    again.commit();
  }
  seen = logged(dir);
  REQUIRE(seen[{"progress/loss", 40}] == 1);
  REQUIRE(seen[{"progress/loss", 50}] == 1);
  REQUIRE(files() == 3);

  // A commit whose checkpoint then fails is taken back: a new file goes, an old one is cut back.
  {
    EventLog failing(dir, run, false, true);
    failing.scalar(60, "progress/loss", 0.5);
    failing.commit();
    REQUIRE(files() == 4);
    failing.undo_commit();
    REQUIRE(files() == 3);
    failing.commit();  // nothing queued: nothing to write, nothing to undo
    failing.undo_commit();
    REQUIRE(files() == 3);
  }
  REQUIRE(logged(dir).count({"progress/loss", 60}) == 0);

  // Another run's files do not hide this run's points, and go once its checkpoint is saved; so do
  // all earlier files for a run that starts over, even one that logs nothing.
  {
    EventLog replacing(dir, other_run, false, true);
    replacing.scalar(0, "progress/loss", 2.0);  // step 0 is in run's files: not skipped here
    replacing.commit();
    REQUIRE(files() == 4);
    replacing.checkpoint_saved();
    REQUIRE(files() == 1);
    REQUIRE(logged(dir)[{"progress/loss", 0}] == 1);
  }
  { std::ofstream(dir / "notes.txt") << "mine"; }
  {
    EventLog fresh_silent(dir, other_run, true, false);
    fresh_silent.scalar(0, "progress/loss", 2.0);
    fresh_silent.commit();
    REQUIRE(fresh_silent.file().empty());
    fresh_silent.checkpoint_saved();
    REQUIRE(files() == 1);  // notes.txt: not ours, left alone
  }
  REQUIRE(event_file_run_id("events.out.tfevents.1796127878.545559.vm.x.32042.0123abcd.trainer") ==
          "0123abcd");
  REQUIRE(!event_file_run_id("events.out.tfevents.1796127878.vm.32042.0.v2"));
  REQUIRE(!event_file_run_id("events.out.tfevents.1796127878.545559.vm.32042.trainer"));
  fs::remove_all(dir);
}

TEST_CASE("EventLog refuses an event file it cannot read", "[tensorboard]") {
  const fs::path dir =
      fs::temp_directory_path() / ("trainer-events-odd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "events.out.tfevents.1796127878.000000.h.1.0123abcd.trainer");
  REQUIRE_THROWS_AS(EventLog(dir, "0123abcd", false, true), RuntimeFailure);
  REQUIRE_NOTHROW(EventLog(dir, "0123abcd", true, true));   // starting over reads nothing
  REQUIRE_NOTHROW(EventLog(dir, "99999999", false, true));  // another run's is not read
  fs::remove_all(dir);
  { std::ofstream(dir.string()) << "a file"; }
  REQUIRE_NOTHROW(
      EventLog(dir, "0123abcd", false, true));  // a file: ModelDir::check_layout names it
  fs::remove(dir);
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

namespace {

// Runs `body` where a directory of mode 0300 cannot be listed: as root (who may list anything)
// in a child that has become nobody. Returns what `body` returned, or false if it threw.
bool as_unprivileged(const std::function<bool()>& body) {
  if (::geteuid() != 0) return body();
  const pid_t child = ::fork();
  if (child == 0) {
    bool ok = false;
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      try {
        ok = body();
      } catch (...) {
      }
    }
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("an unreadable checkpoints/ or logs/ is an error, never an empty one", "[tensorboard]") {
  // With checkpoints/ unreadable a run once started over silently and removed the old run's logs.
  const fs::path root =
      fs::temp_directory_path() / ("trainer-unlistable-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "checkpoints");
  fs::create_directories(root / "logs");
  { std::ofstream(root / "checkpoints" / "ckpt-0000000008.ckpt") << "x"; }
  fs::permissions(root, fs::perms::all);
  fs::permissions(root / "checkpoints", fs::perms(0300));
  fs::permissions(root / "logs", fs::perms(0300));
  const ModelDir model_dir(root);
  REQUIRE(as_unprivileged([&] {
    try {
      model_dir.list_checkpoints();
      return false;
    } catch (const RuntimeFailure& e) {
      return std::string(e.what()).find("cannot list the checkpoints") != std::string::npos;
    }
  }));
  REQUIRE(as_unprivileged([&] {
    try {
      EventLog log(root / "logs", "0123abcd", false, true);
      return false;
    } catch (const RuntimeFailure& e) {
      return std::string(e.what()).find("cannot list") != std::string::npos;
    }
  }));
  // Absent, or below a file, is not an error here: the callers' checks name those.
  REQUIRE(ModelDir(root / "nothing").list_checkpoints().empty());
  fs::permissions(root / "checkpoints", fs::perms::all);
  fs::permissions(root / "logs", fs::perms::all);
  fs::remove_all(root);
}
