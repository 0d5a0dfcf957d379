#include "net/proxy.h"

#include <mbedtls/base64.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "util/errors.h"
#include "util/text.h"

namespace trainer {
namespace {

std::string base64(const std::string& text) {
  std::string out(4 * (text.size() / 3 + 1) + 1, '\0');
  std::size_t written = 0;
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written,
                        reinterpret_cast<const unsigned char*>(text.data()), text.size());
  out.resize(written);
  return out;
}

// First non-empty of the lowercase and uppercase spellings.
std::optional<std::pair<std::string, std::string>> env_pair(const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    const char* value = std::getenv(name);
    if (value && *value) return std::make_pair(std::string(name), std::string(value));
  }
  return std::nullopt;
}

}  // namespace

ProxyServer parse_proxy(const std::string& variable, const std::string& value) {
  std::string rest = value;
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = lowercase(rest.substr(0, scheme_end));
    if (scheme != "http")
      throw UsageError(variable + ": '" + value + "': only http:// proxies are supported");
    rest = rest.substr(scheme_end + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  ProxyServer proxy;
  proxy.variable = variable;
  if (std::size_t at = rest.rfind('@'); at != std::string::npos) {
    proxy.authorization = "Basic " + base64(rest.substr(0, at));
    rest = rest.substr(at + 1);
  }
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string::npos) throw UsageError(variable + ": '" + value + "': unclosed '['");
    proxy.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    std::size_t colon = rest.rfind(':');
    proxy.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (proxy.host.empty()) throw UsageError(variable + ": '" + value + "': no host");
  proxy.port = 1080;
  if (!port_text.empty()) {
    const bool digits =
        port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                             [](unsigned char c) { return std::isdigit(c); });
    proxy.port = digits ? std::stoi(port_text) : 0;
    if (proxy.port < 1 || proxy.port > 65535)
      throw UsageError(variable + ": '" + value + "': bad port '" + port_text + "'");
  }
  return proxy;
}

bool bypasses_proxy(const std::string& no_proxy, const std::string& host, int port) {
  const std::string name = lowercase(host);
  std::stringstream entries(no_proxy);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    entry = lowercase(trim(entry));
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // An optional ":port" (not inside an IPv6 literal).
    if (std::size_t colon = entry.rfind(':');
        colon != std::string::npos && entry.find(':') == colon) {
      if (entry.substr(colon + 1) != std::to_string(port)) continue;
      entry = entry.substr(0, colon);
    }
    if (entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
    if (!entry.empty() && entry[0] == '.') entry = entry.substr(1);
    if (name == entry) return true;
    if (name.size() > entry.size() &&
        name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
        name[name.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

ProxySettings ProxySettings::from_environment() {
  ProxySettings settings;
  if (auto https = env_pair("https_proxy", "HTTPS_PROXY"))
    settings.https_ = parse_proxy(https->first, https->second);
  if (auto http = env_pair("http_proxy", "HTTP_PROXY"))
    settings.http_ = parse_proxy(http->first, http->second);
  if (auto no_proxy = env_pair("no_proxy", "NO_PROXY")) settings.no_proxy_ = no_proxy->second;
  return settings;
}

const ProxyServer* ProxySettings::for_url(const Url& url) const {
  const std::optional<ProxyServer>& proxy = url.is_https() ? https_ : http_;
  if (!proxy || bypasses_proxy(no_proxy_, url.host, url.port)) return nullptr;
  return &*proxy;
}

}  // namespace trainer
