#include "net/tls_stream.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "net/net_error.h"
#include "util/errors.h"
#include "util/file_read.h"

extern const unsigned char trainer_ca_bundle_pem[];
extern const std::size_t trainer_ca_bundle_pem_size;

namespace trainer {
namespace {

std::string mbedtls_message(int code) {
  char text[200];
  mbedtls_strerror(code, text, sizeof text);
  return text;
}

}  // namespace

// ---------------------------------------------------------------- trust store

struct TrustStore::State {
  mbedtls_x509_crt chain;
  State() { mbedtls_x509_crt_init(&chain); }
  ~State() { mbedtls_x509_crt_free(&chain); }
};

TrustStore::TrustStore() : state_(std::make_unique<State>()) {}
TrustStore::~TrustStore() = default;
void* TrustStore::chain() const {
  return &state_->chain;
}

std::unique_ptr<TrustStore> TrustStore::from_file(const std::string& path,
                                                  const std::string& label) {
  std::unique_ptr<TrustStore> store(new TrustStore());
  store->source_ = label;
  // Read here, bounded, instead of by mbedTLS: a directory or a FIFO is then refused by name rather
  // than reported as "memory allocation failed" or waited on for ever.
  std::vector<std::uint8_t> pem;
  try {
    pem = read_whole_file(path, std::uint64_t(16) << 20);
  } catch (const RuntimeFailure& e) {
    throw RuntimeFailure(label + ": " + e.what());
  }
  pem.push_back(0);  // mbedTLS recognises PEM by its terminating NUL
  int status = mbedtls_x509_crt_parse(&store->state_->chain, pem.data(), pem.size());
  // A positive status counts certificates that did not parse; the rest are usable.
  if (status < 0 || store->state_->chain.version == 0) {
    throw RuntimeFailure(label + ": no usable certificate (" +
                         (status < 0 ? mbedtls_message(status) : "none parsed") + ")");
  }
  return store;
}

const TrustStore& TrustStore::system() {
  static const std::unique_ptr<TrustStore> store = [] {
    const char* file = std::getenv("SSL_CERT_FILE");
    if (file && *file) return from_file(file, std::string("SSL_CERT_FILE=") + file);
    std::unique_ptr<TrustStore> embedded(new TrustStore());
    embedded->source_ = "the built-in CA bundle";
    // The size includes the terminating NUL, which mbedTLS needs to recognise PEM.
    int status = mbedtls_x509_crt_parse(&embedded->state_->chain, trainer_ca_bundle_pem,
                                        trainer_ca_bundle_pem_size + 1);
    if (status < 0 || embedded->state_->chain.version == 0)
      throw RuntimeFailure("built-in CA bundle: unusable (" + mbedtls_message(status) + ")");
    return embedded;
  }();
  return *store;
}

// ---------------------------------------------------------------- TLS stream

struct TlsStream::State {
  std::unique_ptr<ByteStream> transport;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context random;
  mbedtls_ssl_config config;
  mbedtls_ssl_context ssl;
  // mbedTLS is C: the transport's NetError cannot unwind through it. The callbacks park it here
  // and the caller rethrows it once mbedTLS has returned.
  std::exception_ptr transport_error;

  State() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&random);
    mbedtls_ssl_config_init(&config);
    mbedtls_ssl_init(&ssl);
  }
  ~State() {
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&config);
    mbedtls_ctr_drbg_free(&random);
    mbedtls_entropy_free(&entropy);
  }

  [[noreturn]] void fail(int code, const std::string& during) {
    if (transport_error) std::rethrow_exception(transport_error);
    if (code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
      char reasons[512] = "";
      mbedtls_x509_crt_verify_info(reasons, sizeof reasons, "",
                                   mbedtls_ssl_get_verify_result(&ssl));
      std::string text = reasons;
      for (char& c : text) {
        if (c == '\n') c = ';';
      }
      while (!text.empty() && (text.back() == ';' || text.back() == ' ')) text.pop_back();
      throw NetError(NetFailure::tls, false, "TLS: certificate verification failed: " + text);
    }
    throw NetError(NetFailure::tls, false, "TLS " + during + ": " + mbedtls_message(code));
  }
};

namespace {

int send_callback(void* context, const unsigned char* data, std::size_t size) {
  auto* state = static_cast<TlsStream::State*>(context);
  try {
    state->transport->write_all(data, size);
    return int(size);
  } catch (...) {
    state->transport_error = std::current_exception();
    return MBEDTLS_ERR_NET_SEND_FAILED;
  }
}

int receive_callback(void* context, unsigned char* data, std::size_t size) {
  auto* state = static_cast<TlsStream::State*>(context);
  try {
    return int(state->transport->read_some(data, size));
  } catch (...) {
    state->transport_error = std::current_exception();
    return MBEDTLS_ERR_NET_RECV_FAILED;
  }
}

}  // namespace

TlsStream::TlsStream(std::unique_ptr<ByteStream> transport, const std::string& host,
                     const TrustStore& trust)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.transport = std::move(transport);
  static const char kPersonalisation[] = "trainer-tls";
  int status = mbedtls_ctr_drbg_seed(&s.random, mbedtls_entropy_func, &s.entropy,
                                     reinterpret_cast<const unsigned char*>(kPersonalisation),
                                     sizeof kPersonalisation - 1);
  if (status != 0) s.fail(status, "random number generator");
  status = mbedtls_ssl_config_defaults(&s.config, MBEDTLS_SSL_IS_CLIENT,
                                       MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (status != 0) s.fail(status, "configuration");
  mbedtls_ssl_conf_authmode(&s.config, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&s.config, static_cast<mbedtls_x509_crt*>(trust.chain()), nullptr);
  mbedtls_ssl_conf_rng(&s.config, mbedtls_ctr_drbg_random, &s.random);
  status = mbedtls_ssl_setup(&s.ssl, &s.config);
  if (status != 0) s.fail(status, "setup");
  // Sets SNI and the name the certificate must carry (DNS names only in mbedTLS 2.28).
  status = mbedtls_ssl_set_hostname(&s.ssl, host.c_str());
  if (status != 0) s.fail(status, "host name");
  mbedtls_ssl_set_bio(&s.ssl, &s, send_callback, receive_callback, nullptr);
  while ((status = mbedtls_ssl_handshake(&s.ssl)) != 0) {
    if (status != MBEDTLS_ERR_SSL_WANT_READ && status != MBEDTLS_ERR_SSL_WANT_WRITE)
      s.fail(status, "handshake with " + host);
  }
}

TlsStream::~TlsStream() = default;

void TlsStream::write_all(const void* data, std::size_t size) {
  const unsigned char* next = static_cast<const unsigned char*>(data);
  while (size > 0) {
    int written = mbedtls_ssl_write(&state_->ssl, next, size);
    if (written == MBEDTLS_ERR_SSL_WANT_READ || written == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (written < 0) state_->fail(written, "write");
    next += written;
    size -= std::size_t(written);
  }
}

std::size_t TlsStream::read_some(void* data, std::size_t size) {
  while (true) {
    int received = mbedtls_ssl_read(&state_->ssl, static_cast<unsigned char*>(data), size);
    if (received >= 0) return std::size_t(received);
    if (received == MBEDTLS_ERR_SSL_WANT_READ || received == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    // Many servers close without a close_notify alert; HTTP framing tells a complete body from a
    // cut one, so both count as the end of the stream here.
    if (received == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || received == MBEDTLS_ERR_SSL_CONN_EOF)
      return 0;
    state_->fail(received, "read");
  }
}

}  // namespace trainer
