// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-
// request.html), the signature S3 and every S3-compatible store (MinIO, Ceph, R2, GCS's XML API
// with HMAC keys) checks on each request. HMAC-SHA256 from mbedTLS, the payload hash from
// util/sha256.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace trainer {

struct AwsCredentials {
  std::string access_key_id, secret_access_key;
  std::string session_token;  // empty unless temporary credentials (sent as x-amz-security-token)
};

struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // the request path as sent, already URI-encoded ("/bucket/a%20b")
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, host included
  std::string payload_sha256;                                // hex, or "UNSIGNED-PAYLOAD"
  std::string amz_date;                                      // "20130524T000000Z"
  std::string region = "us-east-1";
  std::string service = "s3";
};

// RFC 3986 unreserved characters stay, everything else becomes %XX (uppercase); '/' stays unless
// `encode_slash`. What AWS calls UriEncode.
std::string aws_uri_encode(const std::string& text, bool encode_slash);

// The steps, exposed for the tests that check them against AWS's published examples.
std::string sigv4_canonical_request(const SigV4Request& request);
std::string sigv4_string_to_sign(const SigV4Request& request);

// The Authorization header's value: "AWS4-HMAC-SHA256 Credential=<key
// id>/<date>/<region>/<service>/ aws4_request,SignedHeaders=<names>,Signature=<hex>".
std::string sigv4_authorization(const SigV4Request& request, const AwsCredentials& credentials);

}  // namespace trainer
