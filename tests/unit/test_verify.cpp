// SHA-256, the embedded catalog, and the rule "archive hash or content hash".
#include <catch2/catch.hpp>
#include <filesystem>

#include <algorithm>

#include "data/catalog.h"
#include "data/gzip.h"
#include "data/idx.h"
#include "data/verify.h"
#include "gzip_test_support.h"
#include "util/file_read.h"
#include "util/sha256.h"

using namespace trainer;

namespace {

std::string failure_of(const std::vector<std::uint8_t>& archive, const CatalogFile& file) {
  try {
    verified_content(archive, file);
  } catch (const VerificationFailure& e) {
    return e.what();
  }
  return "(verified)";
}

}  // namespace

TEST_CASE("SHA-256 of the standard test vectors", "[verify]") {
  CHECK(sha256_hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string long_text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 pieces;
  for (char c : long_text) pieces.update(&c, 1);
  CHECK(pieces.hex_digest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-NI and portable SHA-256 agree on every length and split", "[verify]") {
  std::vector<std::uint8_t> data(3000);
  std::uint32_t x = 12345;
  for (auto& byte : data) byte = std::uint8_t((x = x * 1103515245u + 12345u) >> 24);
  if (!Sha256().uses_sha_ni()) WARN("no SHA-NI on this CPU: only the portable path is checked");
  for (std::size_t length = 0; length <= 300; ++length) {
    Sha256 portable(Sha256::Implementation::portable), best;
    portable.update(data.data(), length);
    // Uneven pieces cross the 64-byte block boundary at every offset.
    for (std::size_t at = 0; at < length;) {
      const std::size_t piece = std::min<std::size_t>(length - at, 1 + (at * 7 + length) % 97);
      best.update(data.data() + at, piece);
      at += piece;
    }
    REQUIRE(best.hex_digest() == portable.hex_digest());
  }
  Sha256 portable(Sha256::Implementation::portable);
  portable.update(data.data(), data.size());
  CHECK(sha256_hex(data.data(), data.size()) == portable.hex_digest());
}

TEST_CASE("the embedded catalog is complete", "[verify]") {
  REQUIRE(dataset_names() == std::vector<std::string>{"mnist", "fashion-mnist"});
  const CatalogDataset& mnist = *find_dataset("mnist");
  CHECK(mnist.mirrors.front() == "https://storage.googleapis.com/cvdf-datasets/mnist/");
  CHECK(mnist.mirrors.at(1) == "https://ossci-datasets.s3.amazonaws.com/mnist/");
  CHECK(mnist.file("train_images").sha256 ==
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609");
  CHECK(mnist.file("train_images").size == 9912422u);
  const CatalogDataset& fashion = *find_dataset("fashion-mnist");
  CHECK(fashion.mirrors.front() == "file:///usr/share/datasets/fashion-mnist/");
  CHECK(fashion.mirrors.at(1).rfind("https://", 0) == 0);
  for (const CatalogDataset& dataset : catalog()) {
    CHECK(dataset.files.size() == 4);
    CHECK(dataset.file("train_images").content_size ==
          16u + std::uint64_t(dataset.train_count) * dataset.rows * dataset.cols);
    CHECK(dataset.file("test_labels").content_size == 8u + std::uint64_t(dataset.test_count));
    // Both content hashes or neither: the piece hash anchors the decoded cache to the catalog.
    for (const CatalogFile& file : dataset.files)
      CHECK(file.content_sha256.has_value() == file.content_piece_sha256.has_value());
  }
  CHECK(fashion.file("train_images").content_piece_sha256 ==
        "1d4e2745be69d67cd3ab9f71a0f02a57660c31693fbebd791752bc686197426d");
  CHECK(find_dataset("cifar10") == nullptr);
}

TEST_CASE("a malformed catalog is refused", "[verify]") {
  const std::string good_file =
      R"({"role": "%s", "name": "f%d.gz", "size": 1, "sha256": "%s", "content_size": 1, "content_sha256": null})";
  auto catalog_with = [&](const std::string& hash, const std::string& mirror) {
    std::string files;
    const char* roles[] = {"train_images", "train_labels", "test_images", "test_labels"};
    for (int i = 0; i < 4; ++i) {
      char entry[512];
      std::snprintf(entry, sizeof entry, good_file.c_str(), roles[i], i, hash.c_str());
      files += (i ? "," : "") + std::string(entry);
    }
    return R"({"format_version": 1, "datasets": [{"name": "x", "description": "", "train_count": 1,
      "test_count": 1, "rows": 1, "cols": 1, "mirrors": [")" +
           mirror + R"("], "files": [)" + files + "]}]}";
  };
  const std::string hash(64, 'a');
  CHECK(parse_catalog(catalog_with(hash, "https://m/")).size() == 1);
  CHECK_THROWS_WITH(parse_catalog(catalog_with(std::string(64, 'A'), "https://m/")),
                    Catch::Contains("64 lowercase hex"));
  CHECK_THROWS_WITH(parse_catalog(catalog_with(hash, "https://m")), Catch::Contains("end in '/'"));
  // The content piece hash is optional, and checked like the others where given.
  std::string with_piece = catalog_with(hash, "https://m/");
  const std::string null_content = R"("content_sha256": null)";
  for (std::size_t at = with_piece.find(null_content); at != std::string::npos;
       at = with_piece.find(null_content, at + 1))
    with_piece.insert(at + null_content.size(), R"(, "content_piece_sha256": "PIECE")");
  auto with_piece_hash = [&](const std::string& piece) {
    std::string text = with_piece;
    for (std::size_t at = text.find("PIECE"); at != std::string::npos; at = text.find("PIECE"))
      text.replace(at, 5, piece);
    return text;
  };
  CHECK(parse_catalog(with_piece_hash(hash)).at(0).files.at(2).content_piece_sha256 == hash);
  CHECK_THROWS_WITH(parse_catalog(with_piece_hash("abc")), Catch::Contains("64 lowercase hex"));
}

TEST_CASE("an archive verifies by its own hash or by its content's", "[verify]") {
  const std::string content = "IDX bytes stand-in";
  const std::vector<std::uint8_t> archive = gzip(content);
  CatalogFile file;
  file.name = "x.gz";
  file.size = archive.size();
  file.sha256 = sha256_hex(archive.data(), archive.size());
  file.content_size = content.size();
  const VerifiedContent got = verified_content(archive, file);
  CHECK(std::string(got.head.begin(), got.head.end()) == content);
  CHECK(got.size == content.size());

  // Re-compressed differently (other archive bytes), same content: accepted only when the
  // catalog knows the content hash.
  std::vector<std::uint8_t> recompressed = archive;
  recompressed[4] ^= 1;  // gzip header mtime: other bytes, same content
  CHECK_THAT(failure_of(recompressed, file),
             Catch::Contains("expected " + file.sha256 + " (archive), got"));
  file.content_sha256 = sha256_hex(content.data(), content.size());
  CHECK(verified_content(recompressed, file).head.size() == content.size());

  // Other content: both expected and both actual hashes are named.
  const std::vector<std::uint8_t> other = gzip("IDX bytes stand-IN");
  const std::string why = failure_of(other, file);
  CHECK_THAT(why,
             Catch::Contains(file.sha256 + " (archive) or " + *file.content_sha256 + " (content)"));
  CHECK_THAT(why, Catch::Contains(sha256_hex(other.data(), other.size()) + " (archive"));
  CHECK_THAT(why, Catch::Contains(sha256_hex("IDX bytes stand-IN", 18) + " (content)"));
  // Not gzip at all.
  CHECK_THAT(failure_of({1, 2, 3}, file), Catch::Contains("(archive, 3 bytes), content:"));
}

TEST_CASE("Debian's re-gzipped Fashion-MNIST verifies by content", "[verify]") {
  const std::filesystem::path dir = std::filesystem::path(TRAINER_TEST_DATA_DIR) / "fashion-mnist";
  for (const CatalogFile& file : find_dataset("fashion-mnist")->files) {
    const std::vector<std::uint8_t> archive = read_whole_file(dir / file.name, 1u << 30);
    CHECK(sha256_hex(archive.data(), archive.size()) != file.sha256);
    CHECK(verified_content(archive, file).head.size() == file.content_size);
  }
}

TEST_CASE("a verified prefix is checked against the whole content", "[verify]") {
  // What --limit keeps: the first bytes. The hash still covers every byte, so a damaged last
  // byte, far beyond what is kept, fails the archive all the same.
  const std::filesystem::path dir = std::filesystem::path(TRAINER_TEST_DATA_DIR) / "fashion-mnist";
  const CatalogFile& file = find_dataset("fashion-mnist")->files.at(2);  // test images, 4.4 MB
  const std::vector<std::uint8_t> archive = read_whole_file(dir / file.name, 1u << 30);
  const std::vector<std::uint8_t> whole = gunzip(archive, file.content_size, "t10k");
  const VerifiedContent head = verified_content(archive, file, 16 + 784);
  CHECK(head.size == file.content_size);
  REQUIRE(head.head.size() == 16 + 784);
  CHECK(std::equal(head.head.begin(), head.head.end(), whole.begin()));

  // From disk, in pieces of 1 MiB: the same prefix, and the rest handed to `also` in order.
  std::vector<std::uint8_t> seen;
  const VerifiedContent from_file = verified_file_content(
      dir / file.name, file, 1u << 30, 100000, [&](const std::uint8_t* data, std::size_t size) {
        seen.insert(seen.end(), data, data + size);
      });
  CHECK(std::vector<std::uint8_t>(from_file.head.begin(), from_file.head.end()) ==
        std::vector<std::uint8_t>(whole.begin(), whole.begin() + 100000));
  CHECK(seen == whole);

  std::vector<std::uint8_t> damaged_content = whole;
  REQUIRE(damaged_content.size() == file.content_size);
  damaged_content[file.content_size - 1] ^= 0x40;
  const std::vector<std::uint8_t> damaged =
      gzip(std::string(damaged_content.begin(), damaged_content.end()));
  CHECK_THROWS_AS(verified_content(damaged, file, 16 + 784), VerificationFailure);
}

TEST_CASE("gunzip in pieces gives the same bytes and the same errors", "[verify]") {
  const std::string content(300000, 'x');
  const std::vector<std::uint8_t> archive = gzip(content + "tail");
  std::string out;
  GunzipStream stream(content.size() + 4, "piecewise", [&](const std::uint8_t* d, std::size_t n) {
    out.append(reinterpret_cast<const char*>(d), n);
  });
  for (std::uint8_t byte : archive) stream.feed(&byte, 1);  // a byte at a time
  stream.finish();
  CHECK(out == content + "tail");

  auto fed = [&](const std::vector<std::uint8_t>& bytes, std::size_t max_bytes) {
    GunzipStream s(max_bytes, "piecewise", [](const std::uint8_t*, std::size_t) {});
    const std::size_t half = bytes.size() / 2;
    s.feed(bytes.data(), half);
    s.feed(bytes.data() + half, bytes.size() - half);
    s.finish();
  };
  std::vector<std::uint8_t> trailing = archive;
  trailing.insert(trailing.end(), 20, 0);
  CHECK_THROWS_WITH(fed(trailing, content.size() + 4), Catch::Contains("unexpected bytes after"));
  const std::vector<std::uint8_t> cut(archive.begin(), archive.end() - 9);
  CHECK_THROWS_WITH(fed(cut, content.size() + 4), Catch::Contains("truncated gzip stream"));
  CHECK_THROWS_WITH(fed(archive, content.size()), Catch::Contains("decompresses to more than"));
}
