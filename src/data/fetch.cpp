#include "data/fetch.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "data/idx.h"
#include "data/verify.h"
#include "net/http_client.h"
#include "net/net_error.h"
#include "net/s3_client.h"
#include "net/tls_stream.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "version.h"

namespace trainer {

std::uint64_t max_archive_bytes(const CatalogFile& file) {
  return file.size + (1u << 20);
}

namespace {

using Clock = std::chrono::steady_clock;

// The slowest average a download may keep once --timeout seconds have passed (64 kbit/s).
constexpr double kMinBodyBytesPerSecond = 8 * 1024;

std::vector<std::uint8_t> read_local(const Url& url, std::uint64_t max_bytes) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = read_whole_file(url.target, max_bytes);
  } catch (const RuntimeFailure& e) {
    throw NetError(NetFailure::local, false, e.what());
  }
  if (bytes.size() > max_bytes)
    throw NetError(NetFailure::too_large, false,
                   std::to_string(bytes.size()) + " bytes, far more than the catalog's file");
  return bytes;
}

HttpOptions http_options(const FetchOptions& options, const ProxySettings& proxies) {
  HttpOptions http;
  http.timeout_s = options.timeout_s;
  http.proxies = &proxies;
  http.trust = []() -> const TrustStore& { return TrustStore::system(); };
  http.user_agent = std::string("trainer/") + TRAINER_VERSION;
  return http;
}

// A private mirror in a bucket: a signed GET of s3://bucket/prefix/<dataset>/<file>. S3's answers
// become the NetErrors a mirror's failures are (retryable where S3 says so).
std::vector<std::uint8_t> download_s3(const std::string& url_text, const CatalogFile& file,
                                      const FetchOptions& options, const ProxySettings& proxies) {
  const std::size_t slash = url_text.rfind('/');
  const S3Location where = parse_s3_url("mirror", url_text.substr(0, slash));
  std::optional<std::string> bytes;
  try {
    S3Client client(resolve_s3_settings(process_environment()), http_options(options, proxies));
    bytes = client.get(where, url_text.substr(slash + 1), max_archive_bytes(file));
  } catch (const S3Error& e) {
    throw NetError(NetFailure::http_status, e.retryable(), e.code() + ": " + e.what());
  } catch (const RuntimeFailure& e) {  // credentials missing or unreadable
    throw NetError(NetFailure::local, false, e.what());
  }
  if (!bytes) throw NetError(NetFailure::http_status, false, "NoSuchKey: no such object");
  return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

std::vector<std::uint8_t> download(const std::string& url_text, const CatalogFile& file,
                                   const FetchOptions& options, const ProxySettings& proxies,
                                   FetchReporter& reporter) {
  const std::uint64_t max_bytes = max_archive_bytes(file);
  if (url_text.rfind("s3://", 0) == 0) return download_s3(url_text, file, options, proxies);
  const Url url = parse_url(url_text);
  if (url.is_file()) return read_local(url, max_bytes);
  std::vector<std::uint8_t> bytes;
  std::optional<std::uint64_t> total;
  BodySink sink;
  Clock::time_point body_started;
  sink.begin = [&](std::optional<std::uint64_t> length) {
    body_started = Clock::now();
    if (length && *length > max_bytes) {
      throw NetError(NetFailure::too_large, false,
                     "server announces " + std::to_string(*length) +
                         " bytes; the catalog's file has " + std::to_string(file.size));
    }
    total = length;
    bytes.reserve(std::size_t(length.value_or(file.size)));
  };
  sink.data = [&](const std::uint8_t* data, std::size_t size) {
    if (bytes.size() + size > max_bytes) {
      throw NetError(NetFailure::too_large, false,
                     "more than " + std::to_string(max_bytes) + " bytes; the catalog's file has " +
                         std::to_string(file.size));
    }
    // A deadline from the size: after --timeout seconds the body must keep an average of
    // kMinBodyBytesPerSecond, so the whole file has at most timeout + size / that rate, and a
    // server trickling a byte at a time is cut off within seconds, not hours.
    const double late =
        std::chrono::duration<double>(Clock::now() - body_started).count() - options.timeout_s;
    if (late > 0 && double(bytes.size() + size) < late * kMinBodyBytesPerSecond) {
      throw NetError(NetFailure::timeout, true,
                     "timeout: " + std::to_string(bytes.size() + size) + " bytes in " +
                         format_seconds(late + options.timeout_s) + ", slower than the " +
                         std::to_string(int(kMinBodyBytesPerSecond / 1024)) +
                         " KiB/s a download must keep after its first " +
                         format_seconds(options.timeout_s));
    }
    bytes.insert(bytes.end(), data, data + size);
    reporter.progress(bytes.size(), total);
  };
  http_get(url, http_options(options, proxies), sink);
  return bytes;
}

}  // namespace

std::vector<std::string> mirror_urls(const CatalogDataset& dataset, const CatalogFile& file,
                                     const FetchOptions& options) {
  std::vector<std::string> urls;
  for (const std::string& base : options.mirrors)
    urls.push_back(base + dataset.name + "/" + file.name);
  if (options.catalog_mirrors) {
    for (const std::string& base : dataset.mirrors) urls.push_back(base + file.name);
  }
  if (options.offline) {
    urls.erase(std::remove_if(urls.begin(), urls.end(),
                              [](const std::string& url) { return url.rfind("file://", 0) != 0; }),
               urls.end());
  }
  return urls;
}

VerifiedContent fetch_verified(const CatalogDataset& dataset, const CatalogFile& file,
                               const std::filesystem::path& destination,
                               const FetchOptions& options, FetchReporter& reporter,
                               std::uint64_t keep_bytes) {
  const std::string label = dataset.name + "/" + file.name;
  const std::vector<std::string> urls = mirror_urls(dataset, file, options);
  const ProxySettings proxies =
      options.offline ? ProxySettings() : ProxySettings::from_environment();
  std::string failures;
  for (const std::string& url_text : urls) {
    std::string cause;
    int attempt = 0;
    for (;; ++attempt) {
      bool retryable = false;
      try {
        const auto start = Clock::now();
        reporter.started(label, url_text);
        std::vector<std::uint8_t> archive = download(url_text, file, options, proxies, reporter);
        VerifiedContent content = verified_content(archive, file, keep_bytes);
        write_file_atomically(
            destination,
            std::string_view(reinterpret_cast<const char*>(archive.data()), archive.size()));
        reporter.finished(label, url_text, archive.size(),
                          std::chrono::duration<double>(Clock::now() - start).count());
        return content;
      } catch (const NetError& e) {
        cause = e.what();
        retryable = e.retryable();
      } catch (const VerificationFailure& e) {
        cause = e.what();  // the same mirror would most likely serve the same bytes again
      }
      if (!retryable || attempt >= options.retries) break;
      const double delay = std::min(0.5 * double(1 << attempt), 8.0);
      reporter.attempt_failed(url_text, cause, delay);
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    }
    reporter.attempt_failed(url_text, cause, -1);
    if (!failures.empty()) failures += "; ";
    failures += url_text + ": " + cause;
    if (attempt > 0) failures += " (" + std::to_string(attempt + 1) + " tries)";
  }
  throw RuntimeFailure(destination.string() + ": download failed: " + failures);
}

}  // namespace trainer
