#include <catch2/catch.hpp>

#include "net/proxy.h"
#include "util/errors.h"

using namespace trainer;

TEST_CASE("proxy URLs: host, port, credentials", "[net]") {
  ProxyServer proxy = parse_proxy("HTTPS_PROXY", "http://proxy.corp:3128/");
  CHECK(proxy.host == "proxy.corp");
  CHECK(proxy.port == 3128);
  CHECK(proxy.authorization.empty());
  proxy = parse_proxy("https_proxy", "user:secret@10.0.0.1");
  CHECK(proxy.host == "10.0.0.1");
  CHECK(proxy.port == 1080);
  CHECK(proxy.authorization == "Basic dXNlcjpzZWNyZXQ=");
  proxy = parse_proxy("HTTP_PROXY", "http://[fd00::1]:8080");
  CHECK(proxy.host == "fd00::1");
  CHECK(proxy.port == 8080);
  CHECK_THROWS_AS(parse_proxy("HTTPS_PROXY", "socks5://h:1"), UsageError);
  CHECK_THROWS_AS(parse_proxy("HTTPS_PROXY", "https://h:1"), UsageError);
  CHECK_THROWS_AS(parse_proxy("HTTPS_PROXY", "http://h:99999"), UsageError);
  CHECK_THROWS_AS(parse_proxy("HTTPS_PROXY", "http://:80"), UsageError);
}

TEST_CASE("NO_PROXY matches hosts, domains, ports and *", "[net]") {
  CHECK(bypasses_proxy("localhost", "localhost", 443));
  CHECK(bypasses_proxy(" example.com , other", "data.example.com", 443));
  CHECK(bypasses_proxy(".example.com", "example.com", 443));
  CHECK(bypasses_proxy(".example.com", "a.b.example.com", 443));
  CHECK_FALSE(bypasses_proxy("example.com", "badexample.com", 443));
  CHECK(bypasses_proxy("example.com:8443", "example.com", 8443));
  CHECK_FALSE(bypasses_proxy("example.com:8443", "example.com", 443));
  CHECK(bypasses_proxy("*", "anything.org", 80));
  CHECK(bypasses_proxy("127.0.0.1", "127.0.0.1", 80));
  CHECK(bypasses_proxy("[::1]", "::1", 80));
  CHECK(bypasses_proxy("EXAMPLE.com", "Example.COM", 80));
  CHECK_FALSE(bypasses_proxy("", "localhost", 80));
}
