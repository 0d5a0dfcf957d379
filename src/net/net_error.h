// A failed network exchange, with what kind of failure it was and whether trying the same URL
// again could help. Messages say the cause only; callers add the URL.
#pragma once

#include <stdexcept>
#include <string>

namespace trainer {

enum class NetFailure {
  dns,          // host name did not resolve
  connect,      // no connection (refused, unreachable)
  timeout,      // connect or read took longer than --timeout
  tls,          // handshake or certificate verification
  http_status,  // the server answered, but not 200
  redirect,     // too many, a loop, or https -> http
  protocol,     // not HTTP, malformed framing
  closed,       // connection closed or reset before the body was complete
  too_large,    // more bytes than the catalog allows
  local,        // file:// source missing or unreadable
};

class NetError : public std::runtime_error {
 public:
  NetError(NetFailure kind, bool retryable, const std::string& message)
      : std::runtime_error(message), kind_(kind), retryable_(retryable) {}
  NetFailure kind() const { return kind_; }
  bool retryable() const { return retryable_; }

 private:
  NetFailure kind_;
  bool retryable_;
};

// "1 s", "0.5 s": for timeout messages.
std::string format_seconds(double seconds);

}  // namespace trainer
