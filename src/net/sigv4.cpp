#include "net/sigv4.h"

#include <mbedtls/md.h>

#include <algorithm>
#include <cstdio>

#include "util/sha256.h"
#include "util/text.h"

namespace trainer {
namespace {

std::string hmac_sha256(const std::string& key, const std::string& message) {
  unsigned char out[32];
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                  reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                  reinterpret_cast<const unsigned char*>(message.data()), message.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Header values are trimmed and runs of spaces inside them become one (AWS's canonical form).
std::string canonical_value(const std::string& value) {
  std::string out;
  bool space = false;
  for (const char c : trim(value)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sorted_headers(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers)
    headers.emplace_back(lowercase(trim(name)), canonical_value(value));
  std::sort(headers.begin(), headers.end());
  // One name given twice signs as one header whose values are joined by commas, in order given.
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& header : headers) {
    if (!merged.empty() && merged.back().first == header.first)
      merged.back().second += "," + header.second;
    else
      merged.push_back(std::move(header));
  }
  return merged;
}

std::string signed_header_names(const SigV4Request& request) {
  std::string names;
  for (const auto& [name, value] : sorted_headers(request))
    names += (names.empty() ? "" : ";") + name;
  return names;
}

std::string scope(const SigV4Request& request) {
  return request.amz_date.substr(0, 8) + "/" + request.region + "/" + request.service +
         "/aws4_request";
}

}  // namespace

std::string aws_uri_encode(const std::string& text, bool encode_slash) {
  std::string out;
  for (const unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(char(c));
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string sigv4_canonical_request(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query)
    query.emplace_back(aws_uri_encode(name, true), aws_uri_encode(value, true));
  std::sort(query.begin(), query.end());
  std::string query_text;
  for (const auto& [name, value] : query)
    query_text += (query_text.empty() ? "" : "&") + name + "=" + value;
  std::string headers_text;
  for (const auto& [name, value] : sorted_headers(request))
    headers_text += name + ":" + value + "\n";
  return request.method + "\n" + (request.path.empty() ? "/" : request.path) + "\n" + query_text +
         "\n" + headers_text + "\n" + signed_header_names(request) + "\n" + request.payload_sha256;
}

std::string sigv4_string_to_sign(const SigV4Request& request) {
  const std::string canonical = sigv4_canonical_request(request);
  return "AWS4-HMAC-SHA256\n" + request.amz_date + "\n" + scope(request) + "\n" +
         sha256_hex(canonical.data(), canonical.size());
}

std::string sigv4_authorization(const SigV4Request& request, const AwsCredentials& credentials) {
  // The signing key is derived from the secret, day by day and per region and service.
  std::string key =
      hmac_sha256("AWS4" + credentials.secret_access_key, request.amz_date.substr(0, 8));
  key = hmac_sha256(key, request.region);
  key = hmac_sha256(key, request.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string signature = hex(hmac_sha256(key, sigv4_string_to_sign(request)));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope(request) +
         ",SignedHeaders=" + signed_header_names(request) + ",Signature=" + signature;
}

}  // namespace trainer
