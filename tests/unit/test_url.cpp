#include <catch2/catch.hpp>

#include "net/url.h"
#include "util/text.h"

using namespace trainer;

TEST_CASE("URLs are parsed into scheme, host, port and target", "[net]") {
  Url url = parse_url("HTTPS://Example.COM/a/b.gz?x=1#frag");
  CHECK(url.scheme == "https");
  CHECK(url.host == "example.com");
  CHECK(url.port == 443);
  CHECK(url.target == "/a/b.gz?x=1");
  CHECK(url.text() == "https://example.com/a/b.gz?x=1");

  url = parse_url("http://localhost:8080");
  CHECK(url.port == 8080);
  CHECK(url.target == "/");
  CHECK(url.authority() == "localhost:8080");

  url = parse_url("https://[::1]:4443/x");
  CHECK(url.host == "::1");
  CHECK(url.authority() == "[::1]:4443");

  url = parse_url("file:///usr/share/datasets/");
  CHECK(url.is_file());
  CHECK(url.target == "/usr/share/datasets/");
  CHECK(url.text() == "file:///usr/share/datasets/");
}

TEST_CASE("bad URLs say why", "[net]") {
  auto why = [](const std::string& text) {
    try {
      parse_url(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK_THAT(why("ftp://example.com/"), Catch::Contains("unsupported scheme 'ftp'"));
  CHECK_THAT(why("example.com/data"), Catch::Contains("not an absolute URL"));
  CHECK_THAT(why("https:///path"), Catch::Contains("missing host"));
  CHECK_THAT(why("https://host:0/"), Catch::Contains("bad port"));
  CHECK_THAT(why("https://host:99999/"), Catch::Contains("bad port"));
  CHECK_THAT(why("https://host:8x/"), Catch::Contains("bad port"));
  CHECK_THAT(why("https://u:p@host/"), Catch::Contains("credentials"));
  CHECK_THAT(why("https://host/a b"), Catch::Contains("spaces"));
  CHECK_THAT(why("file://otherhost/x"), Catch::Contains("local path"));
  CHECK_THAT(why("https://[::1/"), Catch::Contains("unclosed"));
}

TEST_CASE("redirect locations resolve against the URL that answered", "[net]") {
  const Url base = parse_url("https://example.com/data/mnist/train.gz?sig=1");
  CHECK(resolve_reference(base, "https://other.org/x").text() == "https://other.org/x");
  CHECK(resolve_reference(base, "//cdn.example.com/y").text() == "https://cdn.example.com/y");
  CHECK(resolve_reference(base, "/root.gz").text() == "https://example.com/root.gz");
  CHECK(resolve_reference(base, "other.gz").text() == "https://example.com/data/mnist/other.gz");
  CHECK(resolve_reference(base, "../fashion/a.gz").text() ==
        "https://example.com/data/fashion/a.gz");
  CHECK(resolve_reference(base, "../../../../up.gz").text() == "https://example.com/up.gz");
  CHECK(resolve_reference(base, "./").text() == "https://example.com/data/mnist/");
  CHECK(resolve_reference(base, "..").text() == "https://example.com/data/");
  CHECK(resolve_reference(base, "?sig=2").text() ==
        "https://example.com/data/mnist/train.gz?sig=2");
  CHECK(resolve_reference(base, "/a/./b/../c?q").text() == "https://example.com/a/c?q");
  CHECK(resolve_reference(base, "http://plain.example/z").scheme == "http");
}

TEST_CASE("printable escapes control bytes and malformed UTF-8, keeps the rest", "[text]") {
  CHECK(trainer::printable("plain text, 100%") == "plain text, 100%");
  CHECK(trainer::printable("\x1b[31mred\x07\r\n") == "\\x1b[31mred\\x07\\x0d\\x0a");
  CHECK(trainer::printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(trainer::printable("\xff\xfe ok") == "\\xff\\xfe ok");
  CHECK(trainer::printable("\xc3") == "\\xc3");                    // truncated sequence
  CHECK(trainer::printable("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(trainer::printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(trainer::printable(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(trainer::printable("\x7f") == "\\x7f");
}
