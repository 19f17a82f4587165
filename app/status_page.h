// The status page: the StatusBoard (app/status_board.h) as HTML for an operator and as JSON for
// scripts, served by the operator endpoint (app/http_endpoint.h) beside /metrics.
//
//   GET /                 every source (health, last pass, next due, last error, counts) and
//                         the latest reports with their findings
//   GET /sources/NAME     one source: its last pass in full and its latest reports
//   GET /reports/ID       one report (ID: its report_id) with every finding
//   GET /api/sources      JSON array of sources;  GET /api/sources/NAME  one source
//   GET /api/reports      JSON array of reports;  GET /api/reports/ID    one report
//   anything else: nullopt (the endpoint answers 404); an unknown NAME or ID: 404 here
//
// The HTML is one self-contained document: inline CSS, no script, no external asset, a
// viewport meta so that a phone shows it at its width. Everything that came from the web
// (titles, organisations, messages, URLs, source names) is HTML-escaped, and a report's URL is
// linked only when it is http or https (a "javascript:" URL is shown as text). Times are UTC.
//
// Ownership: pure functions over a board the caller owns. Threading: call on the thread that
// owns the board (the daemon's loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/status_board.h"

namespace nianbao::app {

struct StatusResponse {
  unsigned status = 200;  // 200 or 404
  std::string content_type;
  std::string body;
};

// The answer for `path` (the request target without its query), or nullopt when the path is
// not the status page's. `now` is shown on the page and used for relative times.
std::optional<StatusResponse> RenderStatus(const StatusBoard& board, std::string_view path,
                                           SystemTime now);

// Helpers, exposed for tests.
std::string HtmlEscape(std::string_view text);
// Percent-encodes everything but the URL's unreserved characters (a path segment).
std::string PercentEncode(std::string_view text);
// Decodes %XX; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace nianbao::app
