// TLS 1.2 client over a TcpStream (mbedTLS): certificate chain and host name always verified.
#pragma once

#include <memory>
#include <string>

#include "net/byte_stream.h"
#include "net/tcp_stream.h"

namespace trainer {

// The certificates a server must chain to: $SSL_CERT_FILE when set, else the Mozilla bundle from
// Debian's ca-certificates compiled into the binary. Loaded once, on first use.
class TrustStore {
 public:
  // Throws RuntimeFailure naming SSL_CERT_FILE when it cannot be read or holds no certificate.
  static const TrustStore& system();
  // For tests: a PEM file.
  static std::unique_ptr<TrustStore> from_file(const std::string& path, const std::string& label);
  ~TrustStore();
  const std::string& source() const { return source_; }
  void* chain() const;  // mbedtls_x509_crt*

 private:
  TrustStore();
  struct State;
  std::unique_ptr<State> state_;
  std::string source_;
};

class TlsStream : public ByteStream {
 public:
  // Handshakes over `transport`; throws NetError (tls, or the transport's own failure).
  TlsStream(std::unique_ptr<ByteStream> transport, const std::string& host,
            const TrustStore& trust);
  ~TlsStream() override;
  void write_all(const void* data, std::size_t size) override;
  std::size_t read_some(void* data, std::size_t size) override;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace trainer
