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

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
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

// "Basic base64(user:password)" -> "user:password"; nullopt for anything else.
std::optional<std::string> BasicCredentials(std::string_view header) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() ||
      !beast::iequals(beast::string_view(header.data(), kScheme.size()),
                      beast::string_view(kScheme.data(), kScheme.size()))) {
    return std::nullopt;
  }
  std::string_view b64 = header.substr(kScheme.size());
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  while (!b64.empty() && b64.back() == ' ') b64.remove_suffix(1);
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 1024) return std::nullopt;
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop one per '='.
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

template <class Body>
bool Authorized(const HttpEndpointOptions& o, const http::request<Body>& req) {
  if (o.basic_auth_user.empty()) return true;
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  auto creds = BasicCredentials(std::string_view(it->value().data(), it->value().size()));
  if (!creds) return false;
  const auto colon = creds->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view user = std::string_view(*creds).substr(0, colon);
  const std::string_view password = std::string_view(*creds).substr(colon + 1);
  // Both compared whatever the first says, so the time does not tell which one was wrong.
  const bool user_ok = user.size() == o.basic_auth_user.size() &&
                       CRYPTO_memcmp(user.data(), o.basic_auth_user.data(), user.size()) == 0;
  const bool password_ok = PasswordMatches(o.basic_auth_hash, password);
  return user_ok && password_ok;
}

}  // namespace

struct EndpointState;

// What Stop() needs of a session, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection now; pending operations complete with operation_aborted.
  virtual void Abort() = 0;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, std::shared_ptr<EndpointState> state, std::uint64_t id);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  void Abort() override;

 private:
  void OnHandshake(beast::error_code ec);
  void DoRead();
  void OnRead(beast::error_code ec, std::size_t bytes);
  void DoWrite();
  void OnWrite(beast::error_code ec, std::size_t bytes);
  void Close();
  // Builds res_ for a well-formed request. Never throws.
  void Handle(const http::request<http::string_body>& req);
  void Route(const http::request<http::string_body>& req, std::string_view path);
  void RespondCheck(const HttpEndpoint::HealthCheck& check, std::string_view ok_body,
                    std::string_view fallback);
  // Builds res_ for an error answer after which the connection is closed.
  void Refuse(http::status status, std::string_view body);
  void Respond(http::status status, std::string_view content_type, std::string body);

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;  // one per request
  http::response<http::string_body> res_;  // must live until its write completes
  std::shared_ptr<EndpointState> state_;
  const std::uint64_t id_;
};

template <class Stream>
Stream MakeStream(tcp::socket socket, EndpointState& state);

struct EndpointState {
  EndpointState(net::io_context& io, MetricsRegistry& m, HttpEndpoint::HealthCheck h,
                HttpEndpointOptions o)
      : acceptor(io), retry_timer(io), metrics(m), health(std::move(h)), options(std::move(o)) {}

  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  MetricsRegistry& metrics;
  const HttpEndpoint::HealthCheck health;
  HttpEndpoint::HealthCheck ready;  // set before Listen(); empty: always ready
  HttpEndpoint::PageHandler pages;  // set before Listen(); empty: 404
  const HttpEndpointOptions options;
  std::unique_ptr<net::ssl::context> tls;  // set by Listen() when TLS is configured
  bool listening = false;
  bool stopped = false;
  std::uint16_t port = 0;
  std::uint64_t next_session_id = 0;
  // Open connections, so that Stop() can close them. A session removes itself when destroyed.
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
};

template <>
PlainStream MakeStream<PlainStream>(tcp::socket socket, EndpointState& /*state*/) {
  return PlainStream(std::move(socket));
}
template <>
TlsStream MakeStream<TlsStream>(tcp::socket socket, EndpointState& state) {
  return TlsStream(std::move(socket), *state.tls);
}

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
      if (state->tls) {
        auto session = std::make_shared<Session<TlsStream>>(std::move(socket), state, id);
        state->sessions.emplace(id, session);
        session->Start();
      } else {
        auto session = std::make_shared<Session<PlainStream>>(std::move(socket), state, id);
        state->sessions.emplace(id, session);
        session->Start();
      }
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

template <class Stream>
Session<Stream>::Session(tcp::socket socket, std::shared_ptr<EndpointState> state, std::uint64_t id)
    : stream_(MakeStream<Stream>(std::move(socket), *state)),
      // Header and body are each capped by the parser; the buffer holds at most one of each.
      buffer_(2 * state->options.max_request_bytes),
      state_(std::move(state)),
      id_(id) {}

template <class Stream>
Session<Stream>::~Session() {
  state_->sessions.erase(id_);
}

template <class Stream>
void Session<Stream>::Start() {
  if constexpr (kTls) {
    // The handshake has the deadline of a request.
    beast::get_lowest_layer(stream_).expires_after(state_->options.io_timeout);
    stream_.async_handshake(
        net::ssl::stream_base::server,
        beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
  } else {
    DoRead();
  }
}

template <class Stream>
void Session<Stream>::OnHandshake(beast::error_code ec) {
  if (state_->stopped) return;
  if (ec) {
    // A client that does not speak TLS, or distrusts our certificate: nothing to answer.
    Log().debug("TLS handshake failed: {}", ec.message());
    return;
  }
  DoRead();
}

template <class Stream>
void Session<Stream>::Abort() {
  beast::error_code ignored;
  auto& lowest = beast::get_lowest_layer(stream_);
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest.close();
}

template <class Stream>
void Session<Stream>::DoRead() {
  const std::size_t limit = state_->options.max_request_bytes;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(limit);
  // One deadline for the whole request, not per read: a client trickling bytes is dropped too.
  beast::get_lowest_layer(stream_).expires_after(state_->options.io_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
}

template <class Stream>
void Session<Stream>::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
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
template <class Stream>
void Session<Stream>::RespondCheck(const HttpEndpoint::HealthCheck& check, std::string_view ok_body,
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

template <class Stream>
void Session<Stream>::Handle(const http::request<http::string_body>& req) {
  try {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (!Authorized(state_->options, req)) {
      Respond(http::status::unauthorized, "text/plain; charset=utf-8", "unauthorized\n");
      res_.set(http::field::www_authenticate, "Basic realm=\"nianbao\", charset=\"UTF-8\"");
    } else {
      Route(req, path);
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

template <class Stream>
void Session<Stream>::Route(const http::request<http::string_body>& req, std::string_view path) {
  if (req.method() != http::verb::get) {
    Respond(http::status::method_not_allowed, "text/plain; charset=utf-8", "method not allowed\n");
    res_.set(http::field::allow, "GET");
  } else if (path == "/metrics") {
    Respond(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
            state_->metrics.RenderPrometheus());
  } else if (path == "/healthz") {
    RespondCheck(state_->health, "ok\n", "unhealthy");
  } else if (path == "/readyz") {
    RespondCheck(state_->ready, "ready\n", "not ready");
  } else if (auto page = state_->pages ? state_->pages(path) : std::nullopt) {
    Respond(static_cast<http::status>(page->status), page->content_type, std::move(page->body));
  } else {
    Respond(http::status::not_found, "text/plain; charset=utf-8", "not found\n");
  }
}

template <class Stream>
void Session<Stream>::Refuse(http::status status, std::string_view body) {
  Respond(status, "text/plain; charset=utf-8", std::string(body));
  res_.keep_alive(false);
  res_.prepare_payload();
}

template <class Stream>
void Session<Stream>::Respond(http::status status, std::string_view content_type,
                              std::string body) {
  res_ = http::response<http::string_body>();
  res_.version(11);
  res_.result(status);
  res_.set(http::field::server, "nianbao");
  res_.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  // A scrape or a probe must never be answered from a cache.
  res_.set(http::field::cache_control, "no-store");
  res_.body() = std::move(body);
}

template <class Stream>
void Session<Stream>::DoWrite() {
  beast::get_lowest_layer(stream_).expires_after(state_->options.io_timeout);
  http::async_write(stream_, res_,
                    beast::bind_front_handler(&Session::OnWrite, this->shared_from_this()));
}

template <class Stream>
void Session<Stream>::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec || state_->stopped) return;
  if (!res_.keep_alive()) return Close();
  DoRead();
}

template <class Stream>
void Session<Stream>::Close() {
  // Send FIN after the response so the client reads it to the end, then release the socket.
  // Over TLS no close_notify is sent: every response has its length, so the client knows it
  // has the whole of it, and waiting for the peer's close_notify could hold the session.
  beast::error_code ignored;
  auto& lowest = beast::get_lowest_layer(stream_);
  lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
  lowest.close();
}

}  // namespace http_internal

HttpEndpoint::HttpEndpoint(boost::asio::io_context& io, MetricsRegistry& metrics,
                           HealthCheck health, HttpEndpointOptions options)
    : state_(std::make_shared<http_internal::EndpointState>(io, metrics, std::move(health),
                                                            options)) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::SetReadinessCheck(HealthCheck ready) { state_->ready = std::move(ready); }

void HttpEndpoint::SetPageHandler(PageHandler pages) { state_->pages = std::move(pages); }

bool IsPasswordHash(std::string_view hash) {
  constexpr std::string_view kScheme = "sha256$";
  if (!hash.starts_with(kScheme)) return false;
  const std::string_view rest = hash.substr(kScheme.size());
  const auto dollar = rest.rfind('$');
  if (dollar == std::string_view::npos) return false;
  const std::string_view hex = rest.substr(dollar + 1);
  if (hex.size() != 2 * SHA256_DIGEST_LENGTH) return false;
  return std::all_of(hex.begin(), hex.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool PasswordMatches(std::string_view hash, std::string_view password) {
  if (!IsPasswordHash(hash)) return false;
  const std::string_view rest = hash.substr(std::string_view("sha256$").size());
  const auto dollar = rest.rfind('$');
  const std::string_view salt = rest.substr(0, dollar);
  const std::string_view expected = rest.substr(dollar + 1);
  std::string input(salt);
  input.append(password);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest) ==
      nullptr) {
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string actual;
  for (unsigned char b : digest) {
    actual += kHex[b >> 4];
    actual += kHex[b & 15];
  }
  return CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

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
  const HttpEndpointOptions& o = st.options;
  if (!o.basic_auth_user.empty() && !IsPasswordHash(o.basic_auth_hash)) {
    return Status::InvalidArgument(
        "http endpoint: the basic auth password hash is not \"sha256$SALT$HEX\" (64 lowercase "
        "hex digits)");
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status::InvalidArgument(
        "http endpoint: TLS needs both a certificate file and a key file");
  }
  if (!o.tls_cert_file.empty()) {
    auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                         net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use,
                     ec);
    if (ec) return Status::IoError("http endpoint: TLS options: " + ec.message());
    tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) {
      return Status::IoError("http endpoint: cannot load the TLS certificate " + o.tls_cert_file +
                             ": " + ec.message());
    }
    tls->use_private_key_file(o.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      return Status::IoError("http endpoint: cannot load the TLS key " + o.tls_key_file + ": " +
                             ec.message());
    }
    st.tls = std::move(tls);
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
  http_internal::Log().info("serving /metrics, /healthz, /readyz{} on {}://{}:{}{}",
                            st.pages ? " and the status page" : "", st.tls ? "https" : "http",
                            addr.to_string(), st.port,
                            o.basic_auth_user.empty() ? "" : " (basic auth)");
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
  std::vector<std::shared_ptr<http_internal::SessionBase>> open;
  open.reserve(st.sessions.size());
  for (auto& [id, weak] : st.sessions) {
    if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->Abort();
}

std::uint16_t HttpEndpoint::port() const { return state_->port; }

}  // namespace nianbao::app
