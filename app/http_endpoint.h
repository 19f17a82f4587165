// HttpEndpoint: the daemon's operator endpoint, a small HTTP/1.1 server on its io_context.
//
//   GET /metrics  200, text/plain; version=0.0.4 -- MetricsRegistry::RenderPrometheus()
//   GET /healthz  200 "ok", or 503 and the health check's one-line reason (liveness)
//   GET /readyz   200 "ready", or 503 and the readiness check's one-line reason (readiness:
//                 whether what the daemon takes in can be delivered now)
//   other paths   404;  any method but GET: 405 (Allow: GET)
//   request over max_request_bytes: 431 (headers) or 413 (body), then the connection closes
//   malformed request: 400, then the connection closes
//
// It listens on loopback only (127.0.0.1:9464 by default) unless the caller sets
// allow_non_loopback ([metrics] allow_non_loopback in the config): the metrics name the sources and
// the health reason describes the daemon's state, so exposing them is an explicit operator decision
// (or a reverse proxy's).
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
};

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

  // Binds `address` (a numeric IPv4 or IPv6 address, no host name) and `port` (0: an
  // ephemeral port, see port()) and starts accepting on the io_context.
  // Errors: kInvalidArgument for a malformed or (without allow_non_loopback) non-loopback
  // address, or a second call; kIoError when the socket cannot be bound (port in use).
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
