#include "data/verify.h"

#include "util/file_read.h"

namespace trainer {

ContentSink keep_prefix(std::vector<std::uint8_t>& into, std::uint64_t keep_bytes) {
  return [&into, keep_bytes](const std::uint8_t* data, std::size_t size) {
    if (into.size() >= keep_bytes) return;
    const std::size_t take = std::size_t(std::min<std::uint64_t>(size, keep_bytes - into.size()));
    into.insert(into.end(), data, data + take);
  };
}

ArchiveCheck::ArchiveCheck(const CatalogFile& file, std::uint64_t archive_size, ContentSink sink)
    : file_(file),
      archive_size_(archive_size),
      gunzip_(file.content_size, "content",
              [this, sink = std::move(sink)](const std::uint8_t* data, std::size_t size) {
                if (file_.content_sha256) content_hash_.update(data, size);
                sink(data, size);
              }) {}

void ArchiveCheck::feed(const std::uint8_t* data, std::size_t size) {
  // Hashed whatever the size, for the message of a mismatch (SHA-NI: ~15 ms for the largest).
  archive_hash_.update(data, size);
  if (!gunzip_problem_.empty()) return;
  try {
    gunzip_.feed(data, size);
  } catch (const RuntimeFailure& e) {
    gunzip_problem_ = e.what();
  }
}

void ArchiveCheck::finish() {
  if (gunzip_problem_.empty()) {
    try {
      gunzip_.finish();
    } catch (const RuntimeFailure& e) {
      gunzip_problem_ = e.what();
    }
  }
  const std::string archive_hash = archive_hash_.hex_digest();
  if (archive_size_ == file_.size && archive_hash == file_.sha256) {
    if (!gunzip_problem_.empty())
      throw VerificationFailure("archive matches its SHA-256 but " + gunzip_problem_);
    return;
  }
  std::string expected = file_.sha256 + " (archive)";
  std::string actual;
  if (file_.content_sha256) {
    expected += " or " + *file_.content_sha256 + " (content)";
    if (gunzip_problem_.empty()) {
      const std::string content_hash = content_hash_.hex_digest();
      if (content_hash == *file_.content_sha256) return;
      actual = ", " + content_hash + " (content)";
    } else {
      actual = ", " + gunzip_problem_;
    }
  }
  actual = archive_hash + " (archive, " + std::to_string(archive_size_) + " bytes)" + actual;
  throw VerificationFailure("SHA-256 mismatch: expected " + expected + ", got " + actual);
}

VerifiedContent verified_content(const std::vector<std::uint8_t>& archive, const CatalogFile& file,
                                 std::uint64_t keep_bytes) {
  std::vector<std::uint8_t> head;
  ArchiveCheck check(file, archive.size(), keep_prefix(head, keep_bytes));
  check.feed(archive.data(), archive.size());
  check.finish();
  return {HostBytes(std::move(head)), check.content_size()};
}

VerifiedContent verified_file_content(const std::filesystem::path& archive, const CatalogFile& file,
                                      std::uint64_t max_bytes, std::uint64_t keep_bytes,
                                      const ContentSink& also) {
  std::vector<std::uint8_t> head;
  ContentSink keep = keep_prefix(head, keep_bytes);
  ContentSink sink = keep;
  if (also) {
    sink = [&keep, &also](const std::uint8_t* data, std::size_t size) {
      keep(data, size);
      also(data, size);
    };
  }
  std::unique_ptr<ArchiveCheck> check;
  read_file_in_pieces(
      archive, max_bytes,
      [&](std::uint64_t size) { check = std::make_unique<ArchiveCheck>(file, size, sink); },
      [&](const std::uint8_t* data, std::size_t size) { check->feed(data, size); });
  check->finish();
  return {HostBytes(std::move(head)), check->content_size()};
}

}  // namespace trainer
