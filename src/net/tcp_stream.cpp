#include "net/tcp_stream.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "net/net_error.h"

namespace trainer {
namespace {

int timeout_ms(double seconds) {
  return int(std::lround(seconds * 1000.0));
}

std::string address_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
            sizeof text);
  return std::string("[") + text + "]";
}

// 0 when connected; otherwise the errno, or ETIMEDOUT.
int connect_one(int fd, const addrinfo& address, double timeout_s) {
  if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd waiting{fd, POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&waiting, 1, timeout_ms(timeout_s));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return ETIMEDOUT;
  if (ready < 0) return errno;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace

std::unique_ptr<TcpStream> TcpStream::connect(const std::string& host, int port, double timeout_s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int status = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (status != 0) {
    const std::string why = status == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(status);
    // EAI_AGAIN is the resolver saying "try later"; the others will not change in a second.
    throw NetError(NetFailure::dns, status == EAI_AGAIN,
                   "DNS: cannot resolve host '" + host + "': " + why);
  }
  std::string failures;
  bool timed_out = false;
  for (addrinfo* address = found; address; address = address->ai_next) {
    int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      address->ai_protocol);
    int error = fd < 0 ? errno : connect_one(fd, *address, timeout_s);
    if (error == 0) {
      ::freeaddrinfo(found);
      return std::unique_ptr<TcpStream>(new TcpStream(fd, timeout_s));
    }
    if (fd >= 0) ::close(fd);
    timed_out = timed_out || error == ETIMEDOUT;
    if (!failures.empty()) failures += "; ";
    failures += "connect to " + address_text(address->ai_addr) + ":" + std::to_string(port) + ": " +
                (error == ETIMEDOUT ? "timed out after " + format_seconds(timeout_s)
                                    : std::string(std::strerror(error)));
  }
  ::freeaddrinfo(found);
  // A timeout may pass; a refused or unreachable address will most likely stay that way.
  throw NetError(timed_out ? NetFailure::timeout : NetFailure::connect, timed_out, failures);
}

TcpStream::~TcpStream() {
  ::close(fd_);
}

void TcpStream::set_deadline(double seconds, const std::string& what) {
  deadline_s_ = seconds;
  deadline_what_ = what;
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(seconds));
}

void TcpStream::wait_for(short events, const char* what) {
  pollfd waiting{fd_, events, 0};
  int ready;
  bool deadline_ends_wait = false;
  do {
    double wait_s = timeout_s_;
    if (deadline_s_ > 0) {
      const double left =
          std::chrono::duration<double>(deadline_ - std::chrono::steady_clock::now()).count();
      deadline_ends_wait = left <= wait_s;
      wait_s = left > 0 ? std::min(wait_s, left) : 0;
    }
    ready = ::poll(&waiting, 1, timeout_ms(wait_s));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0 && deadline_ends_wait) {
    throw NetError(
        NetFailure::timeout, true,
        "timeout: " + deadline_what_ + " not complete within " + format_seconds(deadline_s_));
  }
  if (ready == 0) {
    throw NetError(NetFailure::timeout, true,
                   std::string("timeout: nothing ") + what + " for " + format_seconds(timeout_s_));
  }
  if (ready < 0)
    throw NetError(NetFailure::closed, true, std::string("poll: ") + std::strerror(errno));
}

void TcpStream::write_all(const void* data, std::size_t size) {
  const char* next = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t sent = ::send(fd_, next, size, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_for(POLLOUT, "sent");
        continue;
      }
      throw NetError(NetFailure::closed, true, std::string("send: ") + std::strerror(errno));
    }
    next += sent;
    size -= std::size_t(sent);
  }
}

std::size_t TcpStream::read_some(void* data, std::size_t size) {
  while (true) {
    ssize_t received = ::recv(fd_, data, size, 0);
    if (received >= 0) return std::size_t(received);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(POLLIN, "received");
      continue;
    }
    throw NetError(NetFailure::closed, true, std::string("receive: ") + std::strerror(errno));
  }
}

}  // namespace trainer
