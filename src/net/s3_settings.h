// Where an S3 request goes and who signs it, from the variables and files every AWS tool reads
// (README "Object storage"): AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
// AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_PROFILE, and the
// shared files ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE,
// AWS_CONFIG_FILE). The environment wins over the files, as in the AWS CLI.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "net/sigv4.h"

namespace trainer {

// s3://bucket/prefix: the prefix without leading or trailing '/', possibly empty.
struct S3Location {
  std::string bucket, prefix;
  std::string text() const { return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix); }
};
// Throws UsageError "<label>: ..." (the flag or variable) for a URL that is not s3:// or whose
// bucket name S3 would refuse (3 to 63 of a-z 0-9 . -, beginning and ending with a letter or
// digit).
S3Location parse_s3_url(const std::string& label, const std::string& text);

struct S3Settings {
  AwsCredentials credentials;
  std::string credentials_source;  // for messages: "AWS_ACCESS_KEY_ID", "<file> [profile]"
  std::string region;              // else us-east-1
  std::string endpoint;            // "https://s3.<region>.amazonaws.com" unless given
  bool custom_endpoint = false;
  bool path_style = false;  // bucket in the path (MinIO, Ceph, moto) or in the host name (AWS)
};

// `env` reads a variable (nullopt when unset or empty). Throws RuntimeFailure naming the file or
// variable when credentials are missing or half given, or a shared file cannot be read.
using EnvironmentReader = std::function<std::optional<std::string>(const std::string&)>;
S3Settings resolve_s3_settings(const EnvironmentReader& env);
EnvironmentReader process_environment();

}  // namespace trainer
