// GET over HTTP/1.1 (TLS for https), directly or through a proxy, following redirects.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_message.h"
#include "net/proxy.h"
#include "net/url.h"

namespace trainer {

class TrustStore;

struct HttpOptions {
  double timeout_s = 30;  // connect, and each wait for data
  int max_redirects = 10;
  const ProxySettings* proxies = nullptr;    // nullptr: always direct
  std::function<const TrustStore&()> trust;  // asked only when a TLS connection is made
  std::string user_agent = "trainer";
};

struct HttpResult {
  Url final_url;
  std::uint64_t bytes = 0;
};

// One request and its answer, whatever the status (S3 answers errors as XML bodies): no redirects
// followed, the body read up to `max_body_bytes` (NetError too_large beyond). For HEAD no body is
// read.
struct HttpRequest {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // Host and User-Agent are added
  std::string_view body;
  std::uint64_t max_body_bytes = std::uint64_t(1) << 30;
};
struct HttpResponse {
  ResponseHead head;
  std::string body;
};
HttpResponse http_request(const Url& url, const HttpRequest& request, const HttpOptions& options);

// Streams the body of the final 200 response into `sink`. Throws NetError; after a redirect the
// message says which URL failed. Never follows https -> http, and refuses loops.
HttpResult http_get(const Url& url, const HttpOptions& options, const BodySink& sink);

}  // namespace trainer
