// A TCP connection with a connect timeout and a per-read/write inactivity timeout.
#pragma once

#include <chrono>
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
  // Until cleared (`seconds` 0), every wait also ends `seconds` from now: all that is read
  // meanwhile must arrive by then, however it trickles. `what` names it in the timeout.
  void set_deadline(double seconds, const std::string& what);

 private:
  TcpStream(int fd, double timeout_s) : fd_(fd), timeout_s_(timeout_s) {}
  void wait_for(short events, const char* what);
  int fd_;
  double timeout_s_;
  std::chrono::steady_clock::time_point deadline_{};
  double deadline_s_ = 0;  // 0: no deadline
  std::string deadline_what_;
};

}  // namespace trainer
