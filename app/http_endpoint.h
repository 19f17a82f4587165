// HttpEndpoint: the daemon's operator endpoint, a small HTTP/1.1 server on its io_context.
//
//   GET /metrics  200, text/plain; version=0.0.4 -- MetricsRegistry::RenderPrometheus()
//   GET /healthz  200 "ok", or 503 and the health check's one-line reason (liveness)
//   GET /readyz   200 "ready", or 503 and the readiness check's one-line reason (readiness:
//                 whether what the daemon takes in can be delivered now)
//   other paths   the page handler's answer (the status page, app/status_page.h), else 404
//   any method but GET: 405 (Allow: GET)
//   with basic auth configured: 401 (WWW-Authenticate: Basic) for a request without the right
//   user and password, whatever the path
//   request over max_request_bytes: 431 (headers) or 413 (body), then the connection closes
//   malformed request: 400, then the connection closes
//
// It listens on loopback only (127.0.0.1:9464 by default) unless the caller sets
// allow_non_loopback ([metrics] allow_non_loopback in the config): the metrics name the sources and
// the health reason describes the daemon's state, so exposing them is an explicit operator decision
// (or a reverse proxy's).
//
// With tls_cert_file and tls_key_file set, every connection is HTTPS (OpenSSL through Beast's
// ssl_stream; TLS 1.2 or later): the handshake shares the request's deadline.
//
// Each connection is a self-owned session (shared_from_this): every read and every write has
// a deadline (io_timeout), so a client that connects and sends nothing, or trickles a request,
// is dropped; at most max_connections sessions exist at once. Keep-alive is honoured, the
// deadline doubling as the idle timeout. Nothing throws out of a handler: a failure of the
// health check or of rendering becomes a 503/500 answer.
//
// Ownership: the daemon owns the endpoint; the io_context, the MetricsRegistry and whatever
// the health check refers to must outlive it. Stop() (or the destructor) closes the listener
// and every open connection; handlers still queued afterwards only release memory.
// Threading: the io_context must be run by one thread (the daemon's loop). Listen(), Stop(),
// port() and the destructor are called on that thread, or while the io_context is not
// running. The health check runs on the loop thread, so it must be quick and not block.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "app/metrics.h"
#include "base/status.h"

namespace nianbao::app {

namespace http_internal {
struct EndpointState;
}  // namespace http_internal

struct HttpEndpointOptions {
  // Deadline for reading one whole request and for writing one response; also how long a
  // kept-alive connection may sit idle. Default: 10 s.
  std::chrono::milliseconds io_timeout{std::chrono::seconds(10)};
  // Largest request accepted: request line plus headers, and separately any body. Our
  // endpoints take no input, so a few KiB is plenty. Default: 8 KiB.
  std::size_t max_request_bytes = 8 * 1024;
  // Connections served at once; a connection accepted beyond this is closed at once.
  // Default: 32 (a Prometheus server or two, curl, a load balancer's health check).
  std::size_t max_connections = 32;
  // Listen() refuses any address that is not loopback unless this is true. Default: false.
  bool allow_non_loopback = false;
  // Basic auth: when basic_auth_user is not empty, every request must carry it and a password
  // whose salted SHA-256 matches basic_auth_hash, written "sha256$SALT$HEX" where HEX is the
  // lowercase hex SHA-256 of SALT followed by the password (docs/config.md shows how to make
  // one). Listen() refuses a hash it cannot read. Default: none.
  std::string basic_auth_user{};
  std::string basic_auth_hash{};
  // PEM certificate chain and private key: both set serves HTTPS, neither plain HTTP; Listen()
  // refuses one without the other and files it cannot load. Default: none.
  std::string tls_cert_file{};
  std::string tls_key_file{};
};

// An answer of the page handler.
struct HttpPage {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};

// Whether `password` matches `hash` ("sha256$SALT$HEX", see basic_auth_hash); false for a hash
// that is not in that form. Compares in constant time.
bool PasswordMatches(std::string_view hash, std::string_view password);
// Whether `hash` is in the form PasswordMatches() reads.
bool IsPasswordHash(std::string_view hash);

inline constexpr std::string_view kDefaultHttpAddress = "127.0.0.1";
inline constexpr std::uint16_t kDefaultHttpPort = 9464;

class HttpEndpoint {
 public:
  // Returns {healthy, reason}; the reason is sent with a 503 (one line, for an operator).
  using HealthCheck = std::function<std::pair<bool, std::string>()>;

  // `health` may be empty: /healthz then always answers 200 "ok".
  HttpEndpoint(boost::asio::io_context& io, MetricsRegistry& metrics, HealthCheck health,
               HttpEndpointOptions options = {});
  ~HttpEndpoint();  // Stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The check behind /readyz, same contract as `health`; without one /readyz answers 200
  // "ready". REQUIRES: called before Listen().
  void SetReadinessCheck(HealthCheck ready);

  // Answers the GET paths other than /metrics, /healthz and /readyz: nullopt means 404. Runs on
  // the loop thread, like the checks. REQUIRES: called before Listen().
  using PageHandler = std::function<std::optional<HttpPage>(std::string_view path)>;
  void SetPageHandler(PageHandler pages);

  // Binds `address` (a numeric IPv4 or IPv6 address, no host name) and `port` (0: an
  // ephemeral port, see port()) and starts accepting on the io_context.
  // Errors: kInvalidArgument for a malformed or (without allow_non_loopback) non-loopback
  // address, a second call, a malformed basic_auth_hash, or a TLS file without the other;
  // kIoError when a TLS file cannot be loaded; kIoError when the socket cannot be bound (port in
  // use).
  Status Listen(std::string_view address, std::uint16_t port);

  // Stops accepting and closes every open connection. Idempotent; Listen() is not allowed
  // again afterwards.
  void Stop();

  // The bound port once Listen() succeeded, else 0.
  std::uint16_t port() const;

 private:
  std::shared_ptr<http_internal::EndpointState> state_;
};

}  // namespace nianbao::app
