// libFuzzer target: the event-file reader a resumed run applies to logs/ (io/tfrecord.h framing,
// io/event_file.h records): lengths and CRCs are untrusted, a file may be cut anywhere, and each
// record's protobuf may lie about its field lengths. Every record found must lie inside the input,
// and re-framing the records must give back exactly the bytes the scan accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/event_file.h"
#include "io/tfrecord.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const trainer::TfRecordScan scan = trainer::scan_tfrecords(bytes);
  std::string reframed;
  for (const std::string_view record : scan.records) {
    if (record.data() < bytes.data() || record.data() + record.size() > bytes.data() + size)
      std::abort();
    reframed += trainer::tfrecord_frame(record);
    (void)trainer::decode_event_tags(record);
  }
  if (reframed != bytes.substr(0, scan.valid_bytes)) std::abort();
  if (scan.valid_bytes < size && scan.problem.empty()) std::abort();
  return 0;
}
