// The operator endpoint: an acceptor loop and one self-owned Session per connection.
//
//   Listen ──> DoAccept ──> OnAccept ──┬─> (over max_connections) close the socket
//                 ^                    └─> Session::Start
//                 └── (accept error: retry after a pause)
//
//   Session:  DoRead ──> OnRead ──┬─> Handle ──> DoWrite ──> OnWrite ──┬─> DoRead (keep-alive)
//               │                 │                                  └─> Close
//               │                 ├─> too large / malformed: 431/413/400, DoWrite, Close
//               │                 └─> EOF, reset, deadline, Stop(): drop the session
//               └─ every DoRead/DoWrite arms the stream's deadline (io_timeout)
//
// Lifetimes: the acceptor, the retry timer and the session table live in EndpointState,
// shared by the endpoint and every pending handler, so a handler that runs after the
// endpoint is gone (aborted operations) touches only memory it keeps alive. The `stopped`
// flag is checked first in every handler: after Stop() no handler reaches the registry or
// the health check, which may already be destroyed.
#include "app/http_endpoint.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <limits>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/logging.h"

namespace nianbao::app {
namespace http_internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The component's logger ("http"), in the format and at the level of every other one.
spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> logger = Logger("http");
  return *logger;
}

// An accept error other than a client's aborted handshake is resource exhaustion (EMFILE,
// ENOBUFS): accepting again at once would spin, so pause.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(500);

bool IsLoopback(const net::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const net::ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) return net::ip::make_address_v4(net::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

struct EndpointState;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<EndpointState> state, std::uint64_t id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() { DoRead(); }
  // Closes the connection now; pending operations complete with operation_aborted.
  void Abort();

 private:
  void DoRead();
  void OnRead(beast::error_code ec, std::size_t bytes);
  void DoWrite();
  void OnWrite(beast::error_code ec, std::size_t bytes);
  void Close();
  // Builds res_ for a well-formed request. Never throws.
  void Handle(const http::request<http::string_body>& req);
  void RespondCheck(const HttpEndpoint::HealthCheck& check, std::string_view ok_body,
                    std::string_view fallback);
  // Builds res_ for an error answer after which the connection is closed.
  void Refuse(http::status status, std::string_view body);
  void Respond(http::status status, std::string_view content_type, std::string body);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;  // one per request
  http::response<http::string_body> res_;  // must live until its write completes
  std::shared_ptr<EndpointState> state_;
  const std::uint64_t id_;
};

struct EndpointState {
  EndpointState(net::io_context& io, MetricsRegistry& m, HttpEndpoint::HealthCheck h,
                HttpEndpointOptions o)
      : acceptor(io), retry_timer(io), metrics(m), health(std::move(h)), options(o) {}

  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  MetricsRegistry& metrics;
  const HttpEndpoint::HealthCheck health;
  HttpEndpoint::HealthCheck ready;  // set before Listen(); empty: always ready
  const HttpEndpointOptions options;
  bool listening = false;
  bool stopped = false;
  std::uint16_t port = 0;
  std::uint64_t next_session_id = 0;
  // Open connections, so that Stop() can close them. A session removes itself when destroyed.
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

namespace {

void DoAccept(const std::shared_ptr<EndpointState>& state);

void OnAccept(const std::shared_ptr<EndpointState>& state, beast::error_code ec,
              tcp::socket socket) {
  if (state->stopped || ec == net::error::operation_aborted) return;
  if (ec) {
    if (ec == net::error::connection_aborted) return DoAccept(state);
    Log().warn("accept failed: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
    state->retry_timer.expires_after(kAcceptRetryDelay);
    state->retry_timer.async_wait([state](beast::error_code wait_ec) {
      if (!wait_ec && !state->stopped) DoAccept(state);
    });
    return;
  }
  try {
    if (state->sessions.size() >= state->options.max_connections) {
      Log().debug("connection refused: {} connections open", state->sessions.size());
      socket.close(ec);
    } else {
      const std::uint64_t id = state->next_session_id++;
      auto session = std::make_shared<Session>(std::move(socket), state, id);
      state->sessions.emplace(id, session);
      session->Start();
    }
  } catch (const std::exception& e) {  // allocation failure: drop this connection only
    Log().warn("dropping a connection: {}", e.what());
  }
  DoAccept(state);
}

void DoAccept(const std::shared_ptr<EndpointState>& state) {
  state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
    OnAccept(state, ec, std::move(socket));
  });
}

}  // namespace

Session::Session(tcp::socket socket, std::shared_ptr<EndpointState> state, std::uint64_t id)
    : stream_(std::move(socket)),
      // Header and body are each capped by the parser; the buffer holds at most one of each.
      buffer_(2 * state->options.max_request_bytes),
      state_(std::move(state)),
      id_(id) {}

Session::~Session() { state_->sessions.erase(id_); }

void Session::Abort() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void Session::DoRead() {
  const std::size_t limit = state_->options.max_request_bytes;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(limit);
  // One deadline for the whole request, not per read: a client trickling bytes is dropped too.
  stream_.expires_after(state_->options.io_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  if (state_->stopped) return;
  if (ec == http::error::end_of_stream) return Close();  // the client is done
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    Refuse(http::status::request_header_fields_too_large, "request too large\n");
    return DoWrite();
  }
  if (ec == http::error::body_limit) {
    Refuse(http::status::payload_too_large, "request body too large\n");
    return DoWrite();
  }
  if (ec && IsHttpParseError(ec)) {
    Refuse(http::status::bad_request, "bad request\n");
    return DoWrite();
  }
  // Deadline (the stream closed the socket already), reset, abort: nothing to answer.
  if (ec) return;

  Handle(parser_->get());
  DoWrite();
}

// 200 with `ok_body`, or 503 with the check's reason (or `fallback`). A check that throws
// answers 503 naming the failure: nothing leaves the handler.
void Session::RespondCheck(const HttpEndpoint::HealthCheck& check, std::string_view ok_body,
                           std::string_view fallback) {
  bool good = true;
  std::string reason;
  if (check) {
    try {
      std::tie(good, reason) = check();
    } catch (const std::exception& e) {
      good = false;
      reason = std::string("health check failed: ") + e.what();
    } catch (...) {
      good = false;
      reason = "health check failed";
    }
  }
  if (good) {
    Respond(http::status::ok, "text/plain; charset=utf-8", std::string(ok_body));
    return;
  }
  if (reason.empty()) reason = fallback;
  Respond(http::status::service_unavailable, "text/plain; charset=utf-8", reason + "\n");
}

void Session::Handle(const http::request<http::string_body>& req) {
  try {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get) {
      Respond(http::status::method_not_allowed, "text/plain; charset=utf-8",
              "method not allowed\n");
      res_.set(http::field::allow, "GET");
    } else if (path == "/metrics") {
      Respond(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
              state_->metrics.RenderPrometheus());
    } else if (path == "/healthz") {
      RespondCheck(state_->health, "ok\n", "unhealthy");
    } else if (path == "/readyz") {
      RespondCheck(state_->ready, "ready\n", "not ready");
    } else {
      Respond(http::status::not_found, "text/plain; charset=utf-8", "not found\n");
    }
    res_.keep_alive(req.keep_alive());
  } catch (const std::exception& e) {  // allocation failure while rendering
    Log().warn("{}: {}", std::string_view(req.target().data(), req.target().size()), e.what());
    Refuse(http::status::internal_server_error, "internal error\n");
  }
  res_.prepare_payload();
  state_->metrics.Inc(metric::kHttpRequestsTotal,
                      {{"code", std::to_string(static_cast<unsigned>(res_.result()))}});
}

void Session::Refuse(http::status status, std::string_view body) {
  Respond(status, "text/plain; charset=utf-8", std::string(body));
  res_.keep_alive(false);
  res_.prepare_payload();
}

void Session::Respond(http::status status, std::string_view content_type, std::string body) {
  res_ = http::response<http::string_body>();
  res_.version(11);
  res_.result(status);
  res_.set(http::field::server, "nianbao");
  res_.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  // A scrape or a probe must never be answered from a cache.
  res_.set(http::field::cache_control, "no-store");
  res_.body() = std::move(body);
}

void Session::DoWrite() {
  stream_.expires_after(state_->options.io_timeout);
  http::async_write(stream_, res_,
                    beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec || state_->stopped) return;
  if (!res_.keep_alive()) return Close();
  DoRead();
}

void Session::Close() {
  // Send FIN after the response so the client reads it to the end, then release the socket.
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.close();
}

}  // namespace http_internal

HttpEndpoint::HttpEndpoint(boost::asio::io_context& io, MetricsRegistry& metrics,
                           HealthCheck health, HttpEndpointOptions options)
    : state_(std::make_shared<http_internal::EndpointState>(io, metrics, std::move(health),
                                                            options)) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::SetReadinessCheck(HealthCheck ready) { state_->ready = std::move(ready); }

Status HttpEndpoint::Listen(std::string_view address, std::uint16_t port) {
  namespace net = boost::asio;
  using tcp = net::ip::tcp;
  http_internal::EndpointState& st = *state_;
  if (st.listening || st.stopped) {
    return Status::InvalidArgument("http endpoint: Listen() after Listen() or Stop()");
  }
  boost::system::error_code ec;
  const std::string addr_text(address);
  const net::ip::address addr = net::ip::make_address(addr_text, ec);
  if (ec) {
    return Status::InvalidArgument("http endpoint: '" + addr_text +
                                   "' is not a numeric IP address");
  }
  if (!st.options.allow_non_loopback && !http_internal::IsLoopback(addr)) {
    return Status::InvalidArgument(
        "http endpoint: refusing to listen on non-loopback address " + addr_text +
        " (metrics and health are for operators: set [metrics] allow_non_loopback = true to "
        "expose them)");
  }
  const tcp::endpoint ep(addr, port);
  const std::string where = addr_text + " port " + std::to_string(port);
  auto fail = [&](std::string_view what) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return Status::IoError("http endpoint: cannot " + std::string(what) + " " + where + ": " +
                           ec.message());
  };
  st.acceptor.open(ep.protocol(), ec);
  if (ec) return fail("open a socket for");
  // A restarted daemon rebinds at once even while old connections sit in TIME_WAIT.
  st.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  st.acceptor.bind(ep, ec);
  if (ec) return fail("bind");
  st.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  const tcp::endpoint local = st.acceptor.local_endpoint(ec);
  if (ec) return fail("read the bound port of");
  st.port = local.port();
  st.listening = true;
  http_internal::DoAccept(state_);
  http_internal::Log().info("serving /metrics, /healthz and /readyz on {}:{}", addr.to_string(),
                            st.port);
  return Status::Ok();
}

void HttpEndpoint::Stop() {
  http_internal::EndpointState& st = *state_;
  if (st.stopped) return;
  st.stopped = true;
  boost::system::error_code ignored;
  st.acceptor.close(ignored);
  st.retry_timer.cancel();
  // Take owning references first: aborting may let a session die, and its destructor erases
  // itself from the table we would otherwise be iterating.
  std::vector<std::shared_ptr<http_internal::Session>> open;
  open.reserve(st.sessions.size());
  for (auto& [id, weak] : st.sessions) {
    if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->Abort();
}

std::uint16_t HttpEndpoint::port() const { return state_->port; }

}  // namespace nianbao::app
