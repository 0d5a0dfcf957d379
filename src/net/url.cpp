#include "net/url.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "util/text.h"

namespace trainer {
namespace {

int default_port(const std::string& scheme) {
  return scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
}

bool has_control_or_space(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

// Removes "." and ".." segments (RFC 3986 5.2.4) so that redirects cannot climb above '/'.
std::string remove_dot_segments(const std::string& path) {
  std::string query;
  std::string only_path = path;
  if (std::size_t q = path.find('?'); q != std::string::npos) {
    query = path.substr(q);
    only_path = path.substr(0, q);
  }
  std::vector<std::string> out;
  bool trailing_slash = false;
  std::size_t start = 1;  // paths start with '/'
  while (true) {
    const std::size_t end = only_path.find('/', start);
    const std::string segment =
        only_path.substr(start, end == std::string::npos ? end : end - start);
    const bool last = end == std::string::npos;
    if (segment == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else if (segment == ".") {
      trailing_slash = last;
    } else {
      out.push_back(segment);
    }
    if (last) break;
    start = end + 1;
  }
  std::string result = "/";
  for (std::size_t i = 0; i < out.size(); ++i) result += (i ? "/" : "") + out[i];
  if (trailing_slash && result.back() != '/') result += "/";
  return result + query;
}

}  // namespace

bool Url::has_default_port() const {
  return port == default_port(scheme);
}

std::string Url::host_port() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return name + ":" + std::to_string(port);
}

std::string Url::authority() const {
  if (!has_default_port()) return host_port();
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string Url::text() const {
  if (is_file()) return "file://" + target;
  return scheme + "://" + authority() + target;
}

Url parse_url(const std::string& text) {
  if (has_control_or_space(text))
    throw std::invalid_argument("contains spaces or control characters");
  const std::size_t colon = text.find("://");
  if (colon == std::string::npos) throw std::invalid_argument("not an absolute URL (no '://')");
  Url url;
  url.scheme = lowercase(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https" && url.scheme != "file")
    throw std::invalid_argument("unsupported scheme '" + url.scheme + "' (http, https, file)");
  std::string rest = text.substr(colon + 3);
  if (std::size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  std::size_t path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  url.target = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (url.target[0] == '?') url.target = "/" + url.target;

  if (url.is_file()) {
    if (!authority.empty() && lowercase(authority) != "localhost")
      throw std::invalid_argument("file URLs name a local path (file:///path), not host '" +
                                  authority + "'");
    return url;
  }
  if (authority.find('@') != std::string::npos)
    throw std::invalid_argument("credentials in URLs are not supported");
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unclosed '[' in host");
    url.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw std::invalid_argument("junk after ']' in host");
      port_text = after.substr(1);
    }
  } else {
    std::size_t port_colon = authority.rfind(':');
    url.host = authority.substr(0, port_colon);
    if (port_colon != std::string::npos) port_text = authority.substr(port_colon + 1);
  }
  url.host = lowercase(url.host);
  if (url.host.empty()) throw std::invalid_argument("missing host");
  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return std::isdigit(c); }))
      throw std::invalid_argument("bad port '" + port_text + "'");
    url.port = std::stoi(port_text);
    if (url.port < 1 || url.port > 65535)
      throw std::invalid_argument("bad port '" + port_text + "'");
  }
  return url;
}

Url resolve_reference(const Url& base, const std::string& reference) {
  if (reference.find("://") != std::string::npos &&
      reference.find("://") < reference.find_first_of("/?#"))
    return parse_url(reference);
  if (reference.rfind("//", 0) == 0) return parse_url(base.scheme + ":" + reference);
  if (has_control_or_space(reference))
    throw std::invalid_argument("contains spaces or control characters");
  Url url = base;
  std::string ref = reference.substr(0, reference.find('#'));
  if (ref.empty()) return url;
  if (ref[0] == '/') {
    url.target = remove_dot_segments(ref);
  } else if (ref[0] == '?') {
    url.target = base.target.substr(0, base.target.find('?')) + ref;
  } else {
    std::string base_path = base.target.substr(0, base.target.find('?'));
    url.target = remove_dot_segments(base_path.substr(0, base_path.rfind('/') + 1) + ref);
  }
  return url;
}

}  // namespace trainer
