// The S3 REST API calls a model directory in a bucket needs (README "Object storage"), signed
// with SigV4 over the HTTP client (TLS verified as for downloads, proxies honoured): whole-object
// PUT (optionally conditional: If-None-Match: * to create only, If-Match: <etag> to replace only
// that version), GET, HEAD, DELETE and ListObjectsV2. Every answer other than success is an
// S3Error carrying S3's own error code (NoSuchBucket, AccessDenied, SignatureDoesNotMatch,
// PreconditionFailed, SlowDown, ...), which messages name.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_client.h"
#include "net/s3_settings.h"

namespace trainer {

class S3Error : public std::runtime_error {
 public:
  S3Error(int status, std::string code, const std::string& message, bool retryable)
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        retryable_(retryable) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }  // S3's <Code>, or "HTTP <status>"
  // 500, 503 and SlowDown: worth another try after a pause.
  bool retryable() const { return retryable_; }

 private:
  int status_;
  std::string code_;
  bool retryable_;
};

struct S3Object {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // with its quotes, as S3 gives it
};

enum class PutCondition { none, only_if_absent, only_if_etag };

class S3Client {
 public:
  S3Client(S3Settings settings, HttpOptions options);

  // Returns the new object's ETag. Throws S3Error (PreconditionFailed when the condition does
  // not hold) or NetError.
  std::string put(const S3Location& where, const std::string& key, std::string_view bytes,
                  PutCondition condition = PutCondition::none, const std::string& etag = "");
  // nullopt when there is no such key.
  std::optional<std::string> get(const S3Location& where, const std::string& key,
                                 std::uint64_t max_bytes);
  std::optional<S3Object> head(const S3Location& where, const std::string& key);
  void remove(const S3Location& where, const std::string& key);
  // Every key under where.prefix + "/" + prefix (keys relative to where.prefix), in key order.
  std::vector<S3Object> list(const S3Location& where, const std::string& prefix);

  const S3Settings& settings() const { return settings_; }

 private:
  HttpResponse send(const S3Location& where, const std::string& method, const std::string& key,
                    std::vector<std::pair<std::string, std::string>> query,
                    std::vector<std::pair<std::string, std::string>> headers, std::string_view body,
                    std::uint64_t max_body_bytes);
  S3Settings settings_;
  HttpOptions options_;
};

// "s3://bucket/key" for messages.
std::string s3_object_text(const S3Location& where, const std::string& key);

}  // namespace trainer
