// Proxies from the environment, as curl and most tools read them: https_proxy/HTTPS_PROXY for
// https URLs, http_proxy/HTTP_PROXY for http URLs (lowercase wins), no_proxy/NO_PROXY for hosts
// that go direct. Only http:// proxies; https URLs are tunnelled with CONNECT.
#pragma once

#include <optional>
#include <string>

#include "net/url.h"

namespace trainer {

struct ProxyServer {
  std::string variable;  // which environment variable named it, for messages
  std::string host;
  int port = 0;
  std::string authorization;  // "Basic ..." when the proxy URL has user:password@, else empty
  std::string text() const { return "http://" + host + ":" + std::to_string(port); }
};

// Parses a proxy URL ("http://[user:pass@]host[:port][/]", or "host:port"; port defaults to
// 1080 like curl). Throws UsageError naming `variable`.
ProxyServer parse_proxy(const std::string& variable, const std::string& value);

// no_proxy: comma-separated host names, domain suffixes (".example.com" or "example.com" both
// match the domain and its subdomains), optional ":port", or "*" for every host.
bool bypasses_proxy(const std::string& no_proxy, const std::string& host, int port);

class ProxySettings {
 public:
  static ProxySettings from_environment();  // throws UsageError for a malformed variable
  // The proxy to use for `url`, or nullptr to connect directly.
  const ProxyServer* for_url(const Url& url) const;

 private:
  std::optional<ProxyServer> https_, http_;
  std::string no_proxy_;
};

}  // namespace trainer
