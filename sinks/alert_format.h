// What an alert says and how each chat service wants it: the pure half of the alert sink
// (sinks/alert_sink.h). A report batch (report.published / report.revised on the reports
// topic, its findings on the findings topic, told apart by their `schema` header) becomes one
// Alert when a target's filters let findings through; each target kind has one row in a table
// that builds its HTTP request (body, URL, headers, signature) and reads its answer.
//
//   kind       body                                                       signed with `secret`
//   webhook    {"event":..,"report_id":..,"findings":[..],"text":..}      X-Nianbao-Signature:
//                                                                          sha256=hex(HMAC(body))
//   wecom      {"msgtype":"markdown","markdown":{"content":..}}          (the key is in the URL)
//              content cut to 4096 bytes on a UTF-8 boundary
//   dingtalk   {"msgtype":"markdown","markdown":{"title":..,"text":..}}  &timestamp=MS&sign=
//                                                      urlencode(base64(HMAC(secret, MS\nsecret)))
//   feishu     {"msg_type":"text","content":{"text":..}}                 "timestamp":S,"sign":
//                                                      base64(HMAC(key=S\nsecret, msg=""))
//
// Pure functions of their arguments (the time is passed in). Threading: safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/sink.h"

namespace nianbao::sinks {

// One [[alerts]] table of the daemon's config.
struct AlertTarget {
  std::string kind;                      // "webhook", "wecom", "dingtalk" or "feishu"; required
  std::string url;                       // required
  std::string min_severity = "warning";  // "info", "warning" or "error"
  std::string secret;                    // "" = unsigned
  // Filters; empty = any. Rules and sources match exactly; an organization matches when its
  // name contains one of these ("东城区" matches "北京市东城区人民政府").
  std::vector<std::string> rules;
  std::vector<std::string> sources;
  std::vector<std::string> organizations;

  bool operator==(const AlertTarget&) const = default;
};

// The kinds, in the order of the table; and the severities, lowest first.
std::vector<std::string_view> AlertKinds();
std::vector<std::string_view> AlertSeverities();

struct AlertFinding {
  std::string rule;
  std::string severity;
  std::string message;
  std::string path;
};

// A report event with the findings a target lets through.
struct Alert {
  std::string event;  // "report.published" or "report.revised"
  std::string report_id;
  std::string source;
  std::string organization;
  int64_t year = 0;
  std::string title;
  std::string url;  // the report page (the findings' source_url)
  int64_t version = 0;
  std::vector<AlertFinding> findings;  // in the batch's order, at or above min_severity
};

// The alert `target` should send for `batch`, or false when there is none: the batch is no
// report event, or no finding passes the severity and filters. A message whose JSON does not
// parse is skipped (the batch came from our own serializer; nothing to alert on).
bool AlertOf(const Batch& batch, const AlertTarget& target, Alert* alert);

// The human text of an alert: a title line, one line per finding, the link. Markdown when
// `markdown` (wecom, dingtalk), plain otherwise.
std::string AlertTitle(const Alert& alert);
std::string AlertText(const Alert& alert, bool markdown);

struct AlertRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

// The POST for `kind` (REQUIRES: one of AlertKinds()); `now` dates the signature.
AlertRequest BuildAlertRequest(const AlertTarget& target, const Alert& alert,
                               std::chrono::system_clock::time_point now);

// How an answer of `kind`'s service ends the attempt.
enum class AlertOutcome { kDelivered, kRetry, kRefused };
// `status` 0 = no HTTP answer (network error, timeout). 2xx with a robot's error code in the
// body ({"errcode":93000}, {"code":19021}) is kRefused, but its rate-limit codes are kRetry;
// 429 and 5xx are kRetry; other statuses kRefused. `why` says what, for the log.
AlertOutcome ClassifyAlertAnswer(std::string_view kind, long status, std::string_view body,
                                 std::string* why);

// The building blocks of the signatures, exposed for their tests.
std::string HmacSha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string Hex(std::string_view bytes);
std::string Base64(std::string_view bytes);
std::string UrlEncode(std::string_view text);  // RFC 3986 unreserved kept, the rest %XX
// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace nianbao::sinks
