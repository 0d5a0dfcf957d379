#include "net/s3_client.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>

#include "net/net_error.h"
#include "util/sha256.h"

namespace trainer {
namespace {

constexpr std::uint64_t kMaxListingBytes = std::uint64_t(16) << 20;
constexpr std::uint64_t kMaxErrorBytes = std::uint64_t(1) << 20;
// A sweep of 100000 runs of a few dozen objects each; more is not a model directory.
constexpr std::size_t kMaxListedKeys = 2000000;

std::string amz_date_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[20];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const std::size_t end = text.find(';', i);
    const std::string_view entity =
        end == std::string_view::npos ? "" : text.substr(i, end - i + 1);
    const char* plain = entity == "&amp;"    ? "&"
                        : entity == "&lt;"   ? "<"
                        : entity == "&gt;"   ? ">"
                        : entity == "&quot;" ? "\""
                        : entity == "&apos;" ? "'"
                                             : nullptr;
    if (plain) {
      out += plain;
      i = end;
    } else {
      out.push_back('&');
    }
  }
  return out;
}

// The text of each <tag>...</tag> in `xml`, in order (S3's answers are flat enough for this).
std::vector<std::string> xml_values(std::string_view xml, const std::string& tag) {
  std::vector<std::string> values;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  std::size_t at = 0;
  while ((at = xml.find(open, at)) != std::string_view::npos) {
    const std::size_t begin = at + open.size();
    const std::size_t end = xml.find(close, begin);
    if (end == std::string_view::npos) break;
    values.push_back(xml_unescape(xml.substr(begin, end - begin)));
    at = end + close.size();
  }
  return values;
}

std::string first_value(std::string_view xml, const std::string& tag) {
  const std::vector<std::string> values = xml_values(xml, tag);
  return values.empty() ? "" : values.front();
}

std::string join_key(const S3Location& where, const std::string& key) {
  if (where.prefix.empty()) return key;
  return key.empty() ? where.prefix : where.prefix + "/" + key;
}

// A byte count from a header or a listing; a malformed one is S3's error, not a crash.
std::uint64_t parse_size(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-')
    throw S3Error(0, "MalformedAnswer", what + ": size '" + text.substr(0, 40) + "'", false);
  return value;
}

}  // namespace

std::string s3_object_text(const S3Location& where, const std::string& key) {
  return "s3://" + where.bucket + "/" + join_key(where, key);
}

S3Client::S3Client(S3Settings settings, HttpOptions options)
    : settings_(std::move(settings)), options_(std::move(options)) {}

HttpResponse S3Client::send(const S3Location& where, const std::string& method,
                            const std::string& key,
                            std::vector<std::pair<std::string, std::string>> query,
                            std::vector<std::pair<std::string, std::string>> headers,
                            std::string_view body, std::uint64_t max_body_bytes) {
  Url endpoint;
  try {
    endpoint = parse_url(settings_.endpoint + "/");
  } catch (const std::invalid_argument& why) {
    throw S3Error(0, "BadEndpoint", settings_.endpoint + ": " + why.what(), false);
  }
  const std::string object = join_key(where, key);
  std::string path;
  if (settings_.path_style) {
    path = "/" + where.bucket + (object.empty() ? "" : "/" + aws_uri_encode(object, false));
  } else {
    endpoint.host = where.bucket + "." + endpoint.host;
    path = "/" + aws_uri_encode(object, false);
  }
  std::string query_text;
  for (const auto& [name, value] : query)
    query_text += (query_text.empty() ? "?" : "&") + aws_uri_encode(name, true) + "=" +
                  aws_uri_encode(value, true);
  endpoint.target = path + query_text;

  SigV4Request signing;
  signing.method = method;
  signing.path = path;
  signing.query = query;
  signing.amz_date = amz_date_now();
  signing.region = settings_.region;
  signing.payload_sha256 = sha256_hex(body.data(), body.size());
  headers.emplace_back("x-amz-date", signing.amz_date);
  headers.emplace_back("x-amz-content-sha256", signing.payload_sha256);
  if (!settings_.credentials.session_token.empty())
    headers.emplace_back("x-amz-security-token", settings_.credentials.session_token);
  signing.headers = headers;
  signing.headers.emplace_back("host", endpoint.authority());
  headers.emplace_back("Authorization", sigv4_authorization(signing, settings_.credentials));

  HttpRequest request;
  request.method = method;
  request.headers = std::move(headers);
  request.body = body;
  request.max_body_bytes = std::max(max_body_bytes, kMaxErrorBytes);
  HttpResponse response = http_request(endpoint, request, options_);
  const int status = response.head.status;
  if (status >= 200 && status <= 299) return response;
  if (status == 404 && (method == "GET" || method == "HEAD")) {
    // A missing key is an answer; a missing bucket is an error.
    const std::string code = first_value(response.body, "Code");
    if (method == "HEAD" || code == "NoSuchKey") return response;
  }
  // Bounded: a hostile or broken server's "code" is not worth a screenful.
  std::string code = first_value(response.body, "Code").substr(0, 64);
  if (code.empty()) code = "HTTP " + std::to_string(status);
  std::string message = first_value(response.body, "Message");
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  const bool retryable = status == 500 || status == 503 || code == "SlowDown" ||
                         code == "InternalError" || code == "RequestTimeout";
  throw S3Error(status, code,
                s3_object_text(where, key) + ": " + method + " answered " + std::to_string(status) +
                    " " + code + (message.empty() ? "" : " (" + message + ")"),
                retryable);
}

std::string S3Client::put(const S3Location& where, const std::string& key, std::string_view bytes,
                          PutCondition condition, const std::string& etag) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (condition == PutCondition::only_if_absent) headers.emplace_back("If-None-Match", "*");
  if (condition == PutCondition::only_if_etag) headers.emplace_back("If-Match", etag);
  const HttpResponse response = send(where, "PUT", key, {}, headers, bytes, kMaxErrorBytes);
  // Every S3 API answers a stored PUT with the object's ETag; a 200 without one came from
  // something else (a captive portal, a web server at the endpoint) that stored nothing.
  const std::optional<std::string> etag_answer = response.head.header("etag");
  if (!etag_answer || etag_answer->empty())
    throw S3Error(
        response.head.status, "NotS3",
        s3_object_text(where, key) + ": PUT answered " + std::to_string(response.head.status) +
            " without an ETag: the endpoint is not an S3 API (" + settings_.endpoint + ")",
        false);
  return *etag_answer;
}

std::optional<std::string> S3Client::get(const S3Location& where, const std::string& key,
                                         std::uint64_t max_bytes) {
  HttpResponse response = send(where, "GET", key, {}, {}, {}, max_bytes);
  if (response.head.status == 404) return std::nullopt;
  return std::move(response.body);
}

std::optional<S3Object> S3Client::head(const S3Location& where, const std::string& key) {
  const HttpResponse response = send(where, "HEAD", key, {}, {}, {}, 0);
  if (response.head.status == 404) return std::nullopt;
  S3Object object;
  object.key = key;
  object.etag = response.head.header("etag").value_or("");
  object.size =
      parse_size(response.head.header("content-length").value_or("0"), s3_object_text(where, key));
  return object;
}

void S3Client::remove(const S3Location& where, const std::string& key) {
  send(where, "DELETE", key, {}, {}, {}, kMaxErrorBytes);
}

std::vector<S3Object> S3Client::list(const S3Location& where, const std::string& prefix) {
  // Under the prefix as a directory: s3://b/exp/a lists exp/a/..., never exp/ab/...
  const std::string full_prefix =
      prefix.empty() && !where.prefix.empty() ? where.prefix + "/" : join_key(where, prefix);
  const std::string strip = where.prefix.empty() ? "" : where.prefix + "/";
  std::vector<S3Object> objects;
  std::string token;
  std::set<std::string> tokens_seen;
  int empty_pages = 0;
  for (int page = 0;; ++page) {
    std::vector<std::pair<std::string, std::string>> query = {{"list-type", "2"},
                                                              {"prefix", full_prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    // The bucket itself is the listed resource: no key in the path.
    const S3Location bucket_only{where.bucket, ""};
    const HttpResponse response = send(bucket_only, "GET", "", query, {}, {}, kMaxListingBytes);
    const std::string& xml = response.body;
    const std::size_t keys_before = objects.size();
    // An answer that is not a listing is not an empty prefix: a run would start over on it.
    if (xml.find("<ListBucketResult") == std::string::npos ||
        xml.find("</ListBucketResult>") == std::string::npos)
      throw S3Error(response.head.status, "NotS3",
                    where.text() + ": the listing is not S3's ListBucketResult (the endpoint " +
                        settings_.endpoint + " is not an S3 API, or the answer was cut short)",
                    false);
    std::size_t at = 0;
    while ((at = xml.find("<Contents>", at)) != std::string::npos) {
      const std::size_t end = xml.find("</Contents>", at);
      if (end == std::string::npos) break;
      const std::string_view entry(xml.data() + at, end - at);
      S3Object object;
      object.key = first_value(entry, "Key");
      if (object.key.rfind(strip, 0) == 0) object.key = object.key.substr(strip.size());
      object.etag = first_value(entry, "ETag");
      object.size = parse_size(first_value(entry, "Size"), s3_object_text(where, object.key));
      objects.push_back(std::move(object));
      at = end;
    }
    if (first_value(xml, "IsTruncated") != "true") return objects;
    token = first_value(xml, "NextContinuationToken");
    // Truncated with no way on, or page after page of nothing: what follows would be missed, and
    // a run would start over on a prefix that is not empty.
    if (token.empty())
      throw S3Error(response.head.status, "MalformedAnswer",
                    where.text() +
                        ": the listing says it is cut short but gives no token to go "
                        "on (the endpoint " +
                        settings_.endpoint + " is not S3's API)",
                    false);
    empty_pages = objects.size() == keys_before ? empty_pages + 1 : 0;
    if (!tokens_seen.insert(token).second || objects.size() > kMaxListedKeys || empty_pages > 10)
      throw S3Error(response.head.status, "MalformedAnswer",
                    where.text() + ": the listing does not end (" + std::to_string(objects.size()) +
                        " keys after " + std::to_string(page + 1) +
                        " pages: a continuation token repeated, empty pages, or more keys than a "
                        "model directory holds)",
                    false);
  }
}

}  // namespace trainer
