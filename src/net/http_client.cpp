#include "net/http_client.h"

#include <set>

#include "net/net_error.h"
#include "net/tcp_stream.h"
#include "net/tls_stream.h"

namespace trainer {
namespace {

struct Connection {
  std::unique_ptr<ByteStream> stream;
  TcpStream* tcp = nullptr;  // under `stream`, for deadlines
  std::string request_target;
  std::string extra_headers;
};

[[noreturn]] void rethrow_with(const NetError& error, const std::string& prefix) {
  throw NetError(error.kind(), error.retryable(), prefix + error.what());
}

// The proxy's answer to CONNECT, read byte by byte: whatever follows belongs to TLS.
ResponseHead read_connect_answer(ByteStream& stream) {
  std::string head;
  char byte;
  while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
    if (head.size() > 64 * 1024)
      throw NetError(NetFailure::protocol, false, "endless CONNECT answer");
    if (stream.read_some(&byte, 1) == 0)
      throw NetError(NetFailure::closed, true,
                     "connection closed while reading the CONNECT answer");
    head += byte;
  }
  MemoryStream memory(head);
  BufferedReader reader(memory);
  return read_response_head(reader);
}

Connection open_connection(const Url& url, const HttpOptions& options) {
  const ProxyServer* proxy = options.proxies ? options.proxies->for_url(url) : nullptr;
  Connection connection;
  connection.request_target = url.target;
  std::unique_ptr<TcpStream> transport;
  if (proxy) {
    const std::string via = "proxy " + proxy->text() + " (" + proxy->variable + "): ";
    try {
      transport = TcpStream::connect(proxy->host, proxy->port, options.timeout_s);
      if (url.is_https()) {
        const std::string target = url.host_port();
        std::string request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
        if (!proxy->authorization.empty())
          request += "Proxy-Authorization: " + proxy->authorization + "\r\n";
        request += "User-Agent: " + options.user_agent + "\r\n\r\n";
        transport->write_all(request.data(), request.size());
        const ResponseHead answer = read_connect_answer(*transport);
        if (answer.status < 200 || answer.status > 299) {
          throw NetError(NetFailure::http_status, answer.status >= 500,
                         "CONNECT " + target + " answered " + std::to_string(answer.status) + " " +
                             answer.reason);
        }
      } else {
        // Plain http goes to the proxy as an absolute-form request.
        connection.request_target = url.text();
        if (!proxy->authorization.empty())
          connection.extra_headers = "Proxy-Authorization: " + proxy->authorization + "\r\n";
      }
    } catch (const NetError& error) {
      rethrow_with(error, via);
    }
  } else {
    transport = TcpStream::connect(url.host, url.port, options.timeout_s);
  }
  connection.tcp = transport.get();
  if (url.is_https()) {
    connection.stream =
        std::make_unique<TlsStream>(std::move(transport), url.host, options.trust());
  } else {
    connection.stream = std::move(transport);
  }
  return connection;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

HttpResponse http_request(const Url& url, const HttpRequest& request, const HttpOptions& options) {
  Connection connection = open_connection(url, options);
  std::string head_text = request.method + " " + connection.request_target +
                          " HTTP/1.1\r\nHost: " + url.authority() +
                          "\r\nUser-Agent: " + options.user_agent + "\r\n";
  for (const auto& [name, value] : request.headers) head_text += name + ": " + value + "\r\n";
  if (!request.body.empty() || request.method == "PUT" || request.method == "POST")
    head_text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  head_text += connection.extra_headers + "Connection: close\r\n\r\n";
  connection.stream->write_all(head_text.data(), head_text.size());
  if (!request.body.empty()) connection.stream->write_all(request.body.data(), request.body.size());
  BufferedReader reader(*connection.stream);
  connection.tcp->set_deadline(options.timeout_s, "the response's status line and headers");
  HttpResponse response;
  response.head = read_response_head(reader);
  connection.tcp->set_deadline(0, "");
  if (request.method == "HEAD" || response.head.status == 204 || response.head.status == 304)
    return response;
  BodySink sink;
  sink.begin = [&](std::optional<std::uint64_t> length) {
    if (length && *length > request.max_body_bytes)
      throw NetError(NetFailure::too_large, false,
                     "a body of " + std::to_string(*length) + " bytes, more than the " +
                         std::to_string(request.max_body_bytes) + " expected");
  };
  sink.data = [&](const std::uint8_t* data, std::size_t size) {
    if (response.body.size() + size > request.max_body_bytes)
      throw NetError(NetFailure::too_large, false,
                     "a body of more than " + std::to_string(request.max_body_bytes) + " bytes");
    response.body.append(reinterpret_cast<const char*>(data), size);
  };
  read_body(reader, response.head, sink);
  return response;
}

HttpResult http_get(const Url& start, const HttpOptions& options, const BodySink& sink) {
  Url url = start;
  std::set<std::string> visited = {url.text()};
  for (int redirects = 0;; ++redirects) {
    try {
      Connection connection = open_connection(url, options);
      const std::string request = "GET " + connection.request_target +
                                  " HTTP/1.1\r\nHost: " + url.authority() +
                                  "\r\nUser-Agent: " + options.user_agent +
                                  "\r\nAccept: */*\r\nAccept-Encoding: identity\r\n" +
                                  connection.extra_headers + "Connection: close\r\n\r\n";
      connection.stream->write_all(request.data(), request.size());
      BufferedReader reader(*connection.stream);
      // The status line and headers, interim 1xx answers included, must all arrive within one
      // --timeout: a server that trickles them, or sends 100 Continue for ever, is cut off.
      connection.tcp->set_deadline(options.timeout_s, "the response's status line and headers");
      const ResponseHead head = read_response_head(reader);
      connection.tcp->set_deadline(0, "");
      if (head.status == 200) {
        HttpResult result;
        result.final_url = url;
        result.bytes = read_body(reader, head, sink);
        return result;
      }
      if (!is_redirect(head.status)) {
        // Worth another try: a timeout on the server's side, rate limiting, server errors.
        const bool retryable = head.status == 408 || head.status == 429 || head.status >= 500;
        throw NetError(
            NetFailure::http_status, retryable,
            "HTTP " + std::to_string(head.status) + (head.reason.empty() ? "" : " " + head.reason));
      }
      const std::optional<std::string> location = head.header("location");
      if (!location || location->empty()) {
        throw NetError(NetFailure::redirect, false,
                       "HTTP " + std::to_string(head.status) + " redirect without a Location");
      }
      Url next;
      try {
        next = resolve_reference(url, *location);
      } catch (const std::invalid_argument& why) {
        throw NetError(
            NetFailure::redirect, false,
            "redirect to an unusable Location '" + location->substr(0, 200) + "': " + why.what());
      }
      if (next.is_file() || (url.is_https() && !next.is_https())) {
        throw NetError(NetFailure::redirect, false,
                       "refusing redirect from " + url.scheme + " to " + next.text());
      }
      if (!visited.insert(next.text()).second)
        throw NetError(NetFailure::redirect, false, "redirect loop back to " + next.text());
      if (redirects + 1 > options.max_redirects) {
        throw NetError(NetFailure::redirect, false,
                       "more than " + std::to_string(options.max_redirects) + " redirects");
      }
      url = next;
    } catch (const NetError& error) {
      if (redirects == 0) throw;
      rethrow_with(error,
                   "after " + std::to_string(redirects) + " redirect(s), at " + url.text() + ": ");
    }
  }
}

}  // namespace trainer
