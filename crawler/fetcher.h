// The fetch backend: one HTTP(S) transfer in, one FetchResult out, asynchronously.
//
// This is the crawler's seam to the network (an interface only because it is an edge to
// the outside world): the production implementation is CurlFetcher (libcurl multi socket
// driven by Boost.Asio); tests may drive the scheduler with a fake. Politeness, retries and
// robots.txt live above it, in the scheduler; a Fetcher performs exactly one transfer per
// Fetch() (following redirects within the limit) and always calls `done` exactly once.
//
// Threading: Fetch() and every `done` callback run on the event-loop thread that owns the
// fetcher. Nothing here blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crawler/address_policy.h"
#include "crawler/sources.h"

namespace nianbao::crawler {

// One transfer's settings. Its defaults are SourceSettings' (sources.h, docs/defaults.toml):
// make one with FetchRequestFor(), never field by field from zero.
struct FetchRequest {
  std::string url;
  // "GET" or "POST". A POST sends `body` as it is (a form body unless a Content-Type header
  // says otherwise).
  std::string method = "GET";
  std::string body;
  std::vector<std::string> headers;  // extra request headers, e.g. "If-None-Match: \"x\""
  std::string user_agent;
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds total_timeout{0};
  long low_speed_limit = 0;  // bytes/s below which, for low_speed_time, the transfer aborts
  std::chrono::seconds low_speed_time{0};
  int64_t max_body = 0;  // bytes; a larger body aborts the transfer (kTooLarge)
  int max_redirects = 0;
  bool http2 = false;
  bool tls_verify = false;
  std::string ca_bundle;  // PEM file; "" = the system store
  // The address classes this transfer may connect to (crawler/address_policy.h), checked after
  // name resolution on every connection and before every request; a refusal is
  // kAddressNotAllowed. Every class unless the caller says otherwise: the crawler sets its
  // source's AllowedAddresses().
  AddressMask allowed_addresses = kAnyAddress;
  // Names pinned to addresses, libcurl's CURLOPT_RESOLVE entries ("gov.test:80:127.0.0.1"):
  // [global] resolve of the sources file. The pinned address is still checked.
  std::vector<std::string> resolve;
  // Whether the connection may stay open after this transfer, for the next request to the
  // host: the crawler says so when it will ask the host again within seconds. The fetcher
  // keeps a bounded number open (CurlFetcher: max_idle_connections) and closes the others.
  bool keep_alive = true;
};

// Whether the URL's path (query left out) ends in the extension of a document the parser
// reads: .pdf, .doc, .docx, .wps, .ofd (case-insensitive).
bool IsDocumentUrl(std::string_view url);

// The request for `url` with a source's transfer settings (the defaults: SourceSettings{});
// a document's URL (IsDocumentUrl) gets max_document_body instead of max_body.
inline FetchRequest FetchRequestFor(const SourceSettings& s, std::string url) {
  using std::chrono::duration_cast;
  FetchRequest f;
  f.user_agent = s.user_agent;
  f.connect_timeout = duration_cast<std::chrono::milliseconds>(s.connect_timeout);
  f.total_timeout = duration_cast<std::chrono::milliseconds>(s.total_timeout);
  f.low_speed_limit = static_cast<long>(s.low_speed_limit);
  f.low_speed_time = duration_cast<std::chrono::seconds>(s.low_speed_time);
  f.max_body = IsDocumentUrl(url) ? s.max_document_body : s.max_body;
  f.max_redirects = s.max_redirects;
  f.http2 = s.http2;
  f.tls_verify = s.tls_verify;
  f.ca_bundle = s.ca_bundle;
  f.url = std::move(url);
  return f;
}

// Why a transfer produced no usable HTTP response. kNone when an HTTP status was received
// (whatever it was: a 404 or a 503 is a response, not a transport error).
enum class FetchError {
  kNone,
  kDns,
  kConnect,
  kTls,
  kTimeout,           // connect, total or low-speed timeout
  kTooLarge,          // body over max_body
  kTooManyRedirects,  // also redirect loops
  kNetwork,           // reset, broken pipe, bad framing, ...
  kBadUrl,
  kAddressNotAllowed,  // the address policy refused every address of the host
  kInternal,
};
std::string_view FetchErrorName(FetchError e);

struct FetchResult {
  std::string url;        // as requested
  std::string final_url;  // after redirects
  long status = 0;        // HTTP status of the final response; 0 when none
  // Headers of the final response, names lower-cased, in order of arrival.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // decoded (gzip/deflate/br), at most max_body bytes
  FetchError error = FetchError::kNone;
  std::string error_message;  // libcurl's words, for logs and the fetch log
  int redirects = 0;
  std::chrono::system_clock::time_point started;
  std::chrono::duration<double> elapsed{0};
  std::chrono::duration<double> connect_time{0};
  std::chrono::duration<double> first_byte_time{0};
  int64_t bytes_received = 0;  // body bytes before decoding limits applied
  // The body ended when the server closed the connection (HTTP/1.x, neither Content-Length
  // nor chunked): complete or cut, nobody can tell from this response alone.
  bool close_delimited = false;
  std::string remote_ip;     // the server's address ("" when none was reached)
  std::string http_version;  // of the response: "1.0", "1.1", "2", "3"; "" when none
  // The request as sent, for the archive: request line, Host, User-Agent and the extra
  // headers (libcurl's own Accept and Accept-Encoding are not repeated here).
  std::string request_head;

  // First value of a header, "" when absent. REQUIRES: name lower-case.
  std::string_view Header(std::string_view name) const;
};

class Fetcher {
 public:
  using Done = std::function<void(FetchResult)>;
  virtual ~Fetcher() = default;
  // Starts a transfer. `done` runs later on the loop thread, never inside Fetch() itself.
  virtual void Fetch(FetchRequest request, Done done) = 0;
  // Aborts every transfer in flight; their `done` runs with kInternal "cancelled".
  virtual void CancelAll() = 0;
  virtual size_t in_flight() const = 0;
};

}  // namespace nianbao::crawler
