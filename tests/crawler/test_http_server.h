// A small HTTP/1.1 server for the crawler's unit tests, on 127.0.0.1 (or another loopback
// address the test names, e.g. 127.0.0.2) and an ephemeral port.
//
// Each test gives a handler that maps a request to a response (status, headers, body) and,
// where the test needs it, misbehaviour: a delay before answering, a stall after the
// headers, a body that never ends. One thread accepts; each connection gets its own thread,
// joined at Stop(). Every response closes its connection, so request order is easy to log.
// A request's body is read when it has a Content-Length (the alert sink's POSTs).
//
// Threading: the handler runs on connection threads; it must be thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nianbao::testing {

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // Content-Length bytes (at most 1 MiB)
  std::chrono::steady_clock::time_point received;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};    // before anything is sent
  std::chrono::milliseconds stall{0};    // after the headers, before the body
  bool endless = false;                  // sends body bytes until the client leaves
  std::chrono::milliseconds trickle{0};  // pause between body bytes (a byte at a time)
  std::string raw;                       // sent as is instead of a built response
  size_t reset_after = 0;                // body bytes sent before an abortive close (RST)
};

class TestHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit TestHttpServer(Handler handler, std::string address = "127.0.0.1")
      : handler_(std::move(handler)), address_(std::move(address)), acceptor_(io_) {
    namespace ip = boost::asio::ip;
    ip::tcp::endpoint ep(ip::make_address(address_), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestHttpServer() { Stop(); }

  void Stop() {
    if (stopped_.exchange(true)) return;
    boost::system::error_code ec;
    // Wake the accept loop with a connection of our own, then close.
    boost::asio::ip::tcp::socket s(io_);
    s.connect({boost::asio::ip::make_address(address_), port_}, ec);
    if (accept_thread_.joinable()) accept_thread_.join();
    acceptor_.close(ec);
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://" + address_ + ":" + std::to_string(port_) + path;
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  void AcceptLoop() {
    while (!stopped_) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopped_) return;
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, socket] { Serve(*socket); });
    }
  }

  void Serve(boost::asio::ip::tcp::socket& socket) {
    boost::system::error_code ec;
    boost::asio::streambuf buf;
    boost::asio::read_until(socket, buf, "\r\n\r\n", ec);
    if (ec) return;
    std::istream in(&buf);
    HttpRequest req;
    req.received = std::chrono::steady_clock::now();
    std::string version, line;
    in >> req.method >> req.target >> version;
    std::getline(in, line);
    while (std::getline(in, line) && line != "\r" && !line.empty()) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      req.headers[name] = value;
    }
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      const size_t want = std::min<size_t>(std::strtoul(it->second.c_str(), nullptr, 10), 1 << 20);
      std::string body(std::istreambuf_iterator<char>(in), {});  // what came with the head
      if (body.size() < want) {
        std::string rest(want - body.size(), '\0');
        boost::asio::read(socket, boost::asio::buffer(rest), ec);
        if (ec) return;
        body += rest;
      }
      req.body = body.substr(0, want);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(req);
    }
    HttpResponse res = handler_(req);
    if (res.delay.count() > 0) SleepUnlessStopped(res.delay);
    if (!res.raw.empty()) {
      boost::asio::write(socket, boost::asio::buffer(res.raw), ec);
      if (!res.endless) return;
      std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
      while (!stopped_ && !ec) boost::asio::write(socket, boost::asio::buffer(chunk), ec);
      return;
    }
    std::string head = "HTTP/1.1 " + std::to_string(res.status) + " X\r\nConnection: close\r\n";
    bool has_length = false;
    for (const auto& [k, v] : res.headers) {
      head += k + ": " + v + "\r\n";
      has_length = has_length || k == "Content-Length";
    }
    if (!res.endless && !has_length) {
      head += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
    }
    head += "\r\n";
    boost::asio::write(socket, boost::asio::buffer(head), ec);
    if (ec) return;
    if (res.stall.count() > 0) SleepUnlessStopped(res.stall);
    if (res.endless) {
      std::string chunk(64 * 1024, 'x');
      while (!stopped_ && !ec) boost::asio::write(socket, boost::asio::buffer(chunk), ec);
      return;
    }
    if (res.reset_after > 0) {
      boost::asio::write(socket, boost::asio::buffer(res.body.data(), res.reset_after), ec);
      socket.set_option(boost::asio::socket_base::linger(true, 0), ec);  // close sends RST
      socket.close(ec);
      return;
    }
    if (res.trickle.count() > 0) {
      for (size_t i = 0; i < res.body.size() && !stopped_ && !ec; ++i) {
        boost::asio::write(socket, boost::asio::buffer(&res.body[i], 1), ec);
        SleepUnlessStopped(res.trickle);
      }
      return;
    }
    boost::asio::write(socket, boost::asio::buffer(res.body), ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }

  void SleepUnlessStopped(std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!stopped_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  Handler handler_;
  std::string address_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<HttpRequest> log_;
};

}  // namespace nianbao::testing
