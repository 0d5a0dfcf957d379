// URLs as trainer needs them: http, https and file, with RFC 3986 reference resolution for
// redirects. No credentials in data URLs (proxy URLs are parsed by net/proxy.cpp).
#pragma once

#include <string>

namespace trainer {

struct Url {
  std::string scheme;  // "http", "https" or "file", lowercase
  std::string host;    // lowercase; IPv6 without brackets; empty for file
  int port = 0;        // explicit or the scheme's default; 0 for file
  std::string target;  // path and query, always starting with '/'; the file path for file://

  bool is_file() const { return scheme == "file"; }
  bool is_https() const { return scheme == "https"; }
  bool has_default_port() const;
  std::string authority() const;  // host[:port], brackets around IPv6, port only if not default
  std::string host_port() const;  // host:port always (CONNECT's target)
  std::string text() const;
};

// Throws std::invalid_argument with the reason ("unsupported scheme 'ftp'", "missing host", ...).
Url parse_url(const std::string& text);

// The URL a Location header points to, relative to the URL that answered.
Url resolve_reference(const Url& base, const std::string& reference);

}  // namespace trainer
