// A TCP connection with a connect timeout and a per-read/write inactivity timeout.
#pragma once

#include <memory>
#include <string>

#include "net/byte_stream.h"

namespace trainer {

class TcpStream : public ByteStream {
 public:
  // Resolves `host` (getaddrinfo: /etc/hosts, then DNS) and tries each address in turn.
  // Throws NetError (dns, connect or timeout) naming the host or address.
  static std::unique_ptr<TcpStream> connect(const std::string& host, int port, double timeout_s);
  ~TcpStream() override;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  void write_all(const void* data, std::size_t size) override;
  std::size_t read_some(void* data, std::size_t size) override;

 private:
  TcpStream(int fd, double timeout_s) : fd_(fd), timeout_s_(timeout_s) {}
  void wait_for(short events, const char* what);
  int fd_;
  double timeout_s_;
};

}  // namespace trainer
