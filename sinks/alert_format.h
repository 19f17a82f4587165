// What an alert says and how each service wants it: the pure half of the alert sink
// (sinks/alert_sink.h). A batch becomes one Alert when a target's filters let it through:
//  - a report batch (report.published / report.revised on the reports topic, its findings on
//    the findings topic, told apart by their `schema` header) with findings at or above the
//    target's min_severity;
//  - a source event (nianbao.sources) of a type in the table of alerting events below
//    (source.unreachable, source.blocked, report.missing): one row per type, its severity.
// Each target kind has one row in a table that builds its request from one alert, or from a
// digest of several (a burst held back by the rate limit), and reads its answer.
//
//   kind       body                                                       signed with `secret`
//   webhook    {"event":..,"report_id":..,"findings":[..],"text":..}      X-Nianbao-Signature:
//              digest: {"event":"digest","count":N,"alerts":[..],"text"}  sha256=hex(HMAC(body))
//   wecom      {"msgtype":"markdown","markdown":{"content":..}}          (the key is in the URL)
//              content at most 4096 bytes (cut on a UTF-8 boundary)
//   dingtalk   {"msgtype":"markdown","markdown":{"title":..,"text":..}}  &timestamp=MS&sign=
//                                                      urlencode(base64(HMAC(secret, MS\nsecret)))
//   feishu     {"msg_type":"text","content":{"text":..}}                 "timestamp":S,"sign":
//                                                      base64(HMAC(key=S\nsecret, msg=""))
//   email      an RFC 5322 message (UTF-8 text, base64) sent over SMTP   (username/password)
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
  std::string kind;  // "webhook", "wecom", "dingtalk", "feishu" or "email"; required
  std::string url;   // required; email: smtp://HOST:PORT (or smtps://)
  std::string min_severity = "warning";  // "info", "warning" or "error"
  std::string secret;                    // "" = unsigned
  // Messages per minute at most; a burst beyond it waits and goes out as one digest.
  // -1 = the kind's limit (AlertRateLimit()), 0 = none.
  int rate_limit = -1;
  std::vector<std::string> headers;  // webhook: extra "Name: value" headers
  // Attempts per message, and the backoff between them: the sink's (sinks/alert_sink.h).
  int max_attempts = 5;
  std::chrono::milliseconds retry_backoff_min{1'000};
  std::chrono::milliseconds retry_backoff_max{60'000};
  // email only: envelope and header sender, recipients, SMTP login (password from a secret),
  // and whether the session must be upgraded with STARTTLS before anything is sent.
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password;
  bool starttls = true;
  // The CA certificates (PEM) that verify the target's TLS certificate; "" = the system's.
  std::string ca_file;
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
// The source events that alert, in the order of their table (source.unreachable, ...).
std::vector<std::string_view> AlertSourceEvents();
// The messages per minute `kind` accepts when its target does not say (wecom and dingtalk 20,
// feishu 100, webhook and email 0 = no limit).
int AlertRateLimit(std::string_view kind);
// The largest text one message of `kind` carries, in bytes (wecom 4096); 0 = no limit.
size_t AlertMaxTextBytes(std::string_view kind);

struct AlertFinding {
  std::string rule;
  std::string severity;
  std::string message;
  std::string path;
};

// A report event with the findings a target lets through, or a source event.
struct Alert {
  std::string event;     // "report.published", "report.revised" or a source event's type
  std::string key;       // the event's ce_id: stable across a redelivery (the sent-alert ledger)
  std::string severity;  // a source event's (its table row); a report's highest finding's
  std::string report_id;
  std::string source;
  std::string organization;
  int64_t year = 0;
  std::string title;
  std::string url;  // the report page (the findings' source_url)
  int64_t version = 0;
  std::vector<AlertFinding> findings;  // in the batch's order, at or above min_severity
  std::vector<std::string> details;    // a source event's: "timeout: 3", ...

  bool is_report() const { return event.rfind("report.", 0) == 0 && event != "report.missing"; }
};

// The alert `target` should send for `batch`, or false when there is none: the batch is neither
// a report event nor an alerting source event, or nothing passes the severity and filters.
// Filters: `sources` the source name; `organizations` a part of the organization's name (a
// source event without an organization does not pass a non-empty list); `rules` a finding's
// rule, and for a source event its type ("source.unreachable"). A message whose JSON does not
// parse is skipped (the batch came from our own serializer; nothing to alert on).
bool AlertOf(const Batch& batch, const AlertTarget& target, Alert* alert);

// The human text of an alert: a title line, one line per finding (or detail), the link.
// Markdown when `markdown` (wecom, dingtalk), plain otherwise.
std::string AlertTitle(const Alert& alert);
std::string AlertText(const Alert& alert, bool markdown);
// A digest of several alerts (REQUIRES: !alerts.empty()): "nianbao: 12 new reports with errors,
// ..." and one line per alert. One alert: AlertTitle / AlertText.
std::string DigestTitle(const std::vector<Alert>& alerts);
std::string DigestText(const std::vector<Alert>& alerts, bool markdown);
// How many of `alerts`, from the first, one message of `kind` carries within its size limit:
// at least 1 (a single alert too long is cut), at most alerts.size().
size_t AlertsThatFit(std::string_view kind, const std::vector<Alert>& alerts);

struct AlertRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // the HTTP body, or the e-mail message
  bool smtp = false;                 // email: send `body` over SMTP from mail_from to rcpt
  std::string mail_from;
  std::vector<std::string> rcpt;
};

// The request for `alerts` (REQUIRES: !alerts.empty(), target.kind one of AlertKinds()): one
// alert's message, or a digest of them all. `now` dates the signature and the e-mail.
AlertRequest BuildAlertRequest(const AlertTarget& target, const std::vector<Alert>& alerts,
                               std::chrono::system_clock::time_point now);
inline AlertRequest BuildAlertRequest(const AlertTarget& target, const Alert& alert,
                                      std::chrono::system_clock::time_point now) {
  return BuildAlertRequest(target, std::vector<Alert>{alert}, now);
}

// How an answer of `kind`'s service ends the attempt.
enum class AlertOutcome { kDelivered, kRetry, kRefused };
// `status` 0 = no answer (network error, timeout). HTTP: 2xx with a robot's error code in the
// body ({"errcode":93000}, {"code":19021}) is kRefused, but its rate-limit codes are kRetry;
// 429 and 5xx are kRetry; other statuses kRefused. email (`status` the SMTP reply code): 2xx and
// 3xx delivered, 4xx kRetry (transient), 5xx kRefused. `why` says what, for the log.
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
