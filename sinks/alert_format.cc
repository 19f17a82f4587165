#include "sinks/alert_format.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

namespace nianbao::sinks {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSeverities[] = {"info", "warning", "error"};  // lowest first

// Compact JSON; bytes that are not UTF-8 become U+FFFD instead of an exception on the sink
// thread (the texts come from our own records, so this is a can't-happen guard).
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

int Rank(std::string_view severity) {
  const auto* it = std::find(std::begin(kSeverities), std::end(kSeverities), severity);
  return it == std::end(kSeverities) ? -1 : static_cast<int>(it - std::begin(kSeverities));
}

std::string HeaderOf(const Message& m, std::string_view key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "";
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

int64_t Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The source events that alert: one row per type. `what` completes "source NAME ...".
struct SourceEvent {
  std::string_view event;
  std::string_view severity;
  std::string_view what;
};

constexpr SourceEvent kSourceEvents[] = {
    {"source.unreachable", "error", "is unreachable"},
    {"source.blocked", "warning", "is blocked by its robots.txt"},
    {"report.missing", "warning", "has a report missing"},
};

const SourceEvent* FindSourceEvent(std::string_view event) {
  for (const auto& e : kSourceEvents) {
    if (e.event == event) return &e;
  }
  return nullptr;
}

bool OrganizationPasses(const AlertTarget& target, const std::string& organization) {
  if (target.organizations.empty()) return true;
  return std::any_of(target.organizations.begin(), target.organizations.end(),
                     [&](const std::string& o) {
                       return !organization.empty() && organization.find(o) != std::string::npos;
                     });
}

// A source event's alert; false when the target's filters keep it out.
bool SourceAlertOf(const Message& m, const SourceEvent& row, const AlertTarget& target,
                   Alert* alert) {
  const Json j = Json::parse(m.value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  Alert a;
  a.event = std::string(row.event);
  a.key = HeaderOf(m, "ce_id");
  a.severity = std::string(row.severity);
  a.source = Text(j, "source");
  if (a.source.empty()) a.source = m.key;
  a.organization = Text(j, "organization");
  a.year = Int(j, "year");
  a.title = Text(j, "title");
  a.url = Text(j, "url");
  if (Rank(a.severity) < std::max(0, Rank(target.min_severity))) return false;
  if (!target.rules.empty() && !Contains(target.rules, a.event)) return false;
  if (!target.sources.empty() && !Contains(target.sources, a.source)) return false;
  if (!OrganizationPasses(target, a.organization)) return false;
  if (std::string message = Text(j, "message"); !message.empty()) a.details.push_back(message);
  if (auto f = j.find("failures"); f != j.end() && f->is_object()) {
    for (const auto& [reason, count] : f->items()) {
      a.details.push_back(reason + ": " + (count.is_number() ? count.dump() : "?"));
    }
  }
  *alert = std::move(a);
  return true;
}

Json AlertJson(const Alert& a) {
  if (!a.is_report()) {
    return {{"event", a.event},
            {"source", a.source},
            {"organization", a.organization},
            {"year", a.year},
            {"url", a.url},
            {"severity", a.severity},
            {"details", a.details},
            {"text", AlertText(a, false)}};
  }
  Json findings = Json::array();
  for (const auto& f : a.findings) {
    findings.push_back(
        {{"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"path", f.path}});
  }
  return {{"event", a.event},
          {"report_id", a.report_id},
          {"version", a.version},
          {"source", a.source},
          {"organization", a.organization},
          {"year", a.year},
          {"title", a.title},
          {"url", a.url},
          {"findings", findings},
          {"text", AlertText(a, false)}};
}

// The title and text of one message: one alert's, or a digest's.
std::string TitleOf(const std::vector<Alert>& alerts) {
  return alerts.size() == 1 ? AlertTitle(alerts[0]) : DigestTitle(alerts);
}
std::string TextOf(const std::vector<Alert>& alerts, bool markdown) {
  return alerts.size() == 1 ? AlertText(alerts[0], markdown) : DigestText(alerts, markdown);
}

// `text` within `max_bytes` (0 = any), a cut marked.
std::string Fit(std::string text, size_t max_bytes) {
  constexpr std::string_view kCut = "\n...";
  if (max_bytes == 0 || text.size() <= max_bytes) return text;
  return TruncateUtf8(text, max_bytes - kCut.size()) + std::string(kCut);
}

// An id receivers may use to drop a message they already have (a crash between their answer
// and the sent-alert ledger's write sends it again): the alert's ce_id, or a digest's first.
std::string DeliveryId(const std::vector<Alert>& alerts) {
  std::string id = alerts.front().key;
  if (alerts.size() > 1 && !id.empty()) id += "+" + std::to_string(alerts.size() - 1);
  return id;
}

using Time = std::chrono::system_clock::time_point;

AlertRequest JsonPost(const std::string& url, std::string body) {
  AlertRequest r;
  r.url = url;
  r.headers = {"Content-Type: application/json"};
  r.body = std::move(body);
  return r;
}

// ---- one row per kind: how its body is built and signed, how its answer is read

// 企业微信 group robot: markdown content of at most 4096 bytes, 20 messages a minute.
constexpr size_t kWecomMaxBytes = 4096;
// 钉钉 robot: 20 messages a minute; a markdown text of at most 20000 characters (bytes here).
constexpr size_t kDingtalkMaxBytes = 20000;
// 飞书 custom bot: 100 a minute; a request body of at most 20 KB (the text, with room for the
// JSON around it).
constexpr size_t kFeishuMaxBytes = 18000;

AlertRequest Webhook(const AlertTarget& t, const std::vector<Alert>& alerts, Time) {
  Json body;
  if (alerts.size() == 1) {
    body = AlertJson(alerts[0]);
  } else {
    Json list = Json::array();
    for (const auto& a : alerts) list.push_back(AlertJson(a));
    body = {{"event", "digest"},
            {"count", alerts.size()},
            {"alerts", list},
            {"text", DigestText(alerts, false)}};
  }
  AlertRequest r = JsonPost(t.url, Dump(body));
  for (const auto& h : t.headers) r.headers.push_back(h);
  if (const std::string id = DeliveryId(alerts); !id.empty()) {
    r.headers.push_back("X-Nianbao-Delivery: " + id);
  }
  if (!t.secret.empty()) {
    r.headers.push_back("X-Nianbao-Signature: sha256=" + Hex(HmacSha256(t.secret, r.body)));
  }
  return r;
}

AlertRequest Wecom(const AlertTarget& t, const std::vector<Alert>& alerts, Time) {
  Json body = {{"msgtype", "markdown"},
               {"markdown", {{"content", Fit(TextOf(alerts, true), kWecomMaxBytes)}}}};
  return JsonPost(t.url, Dump(body));
}

// 钉钉 robot: signed in the query, timestamp in milliseconds.
AlertRequest Dingtalk(const AlertTarget& t, const std::vector<Alert>& alerts, Time now) {
  Json body = {
      {"msgtype", "markdown"},
      {"markdown",
       {{"title", TitleOf(alerts)}, {"text", Fit(TextOf(alerts, true), kDingtalkMaxBytes)}}}};
  AlertRequest r = JsonPost(t.url, Dump(body));
  if (!t.secret.empty()) {
    const std::string ms = std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    const std::string sign = Base64(HmacSha256(t.secret, ms + "\n" + t.secret));
    r.url += (r.url.find('?') == std::string::npos ? "?" : "&");
    r.url += "timestamp=" + ms + "&sign=" + UrlEncode(sign);
  }
  return r;
}

// 飞书 custom bot: signed in the body, timestamp in seconds, the HMAC keyed by the string to
// sign over an empty message (as its documentation's sample code does).
AlertRequest Feishu(const AlertTarget& t, const std::vector<Alert>& alerts, Time now) {
  Json body = Json::object();
  if (!t.secret.empty()) {
    const std::string s = std::to_string(Seconds(now));
    body["timestamp"] = s;
    body["sign"] = Base64(HmacSha256(s + "\n" + t.secret, ""));
  }
  body["msg_type"] = "text";
  body["content"] = {{"text", Fit(TextOf(alerts, false), kFeishuMaxBytes)}};
  return JsonPost(t.url, Dump(body));
}

// RFC 2047: a header value in UTF-8, base64 encoded words of at most 45 input bytes each (a
// word stays under 75 characters), cut on character boundaries.
std::string EncodedWords(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::string piece = TruncateUtf8(text, 45);
    if (piece.empty()) piece = std::string(text.substr(0, 1));  // not UTF-8: bytes as they are
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") + Base64(piece) + "?=";
    text.remove_prefix(piece.size());
  }
  return out;
}

std::string RfcDate(Time now) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &utc) == 0) return "";
  return buf;
}

// E-mail: a plain-text UTF-8 message, base64 in lines of 76, sent over SMTP by the sink.
AlertRequest Email(const AlertTarget& t, const std::vector<Alert>& alerts, Time now) {
  std::string to;
  for (const auto& r : t.to) to += (to.empty() ? "" : ", ") + r;
  const std::string encoded = Base64(TextOf(alerts, false));
  std::string body;
  body += "Date: " + RfcDate(now) + "\r\n";
  body += "From: " + t.from + "\r\n";
  body += "To: " + to + "\r\n";
  if (const std::string id = DeliveryId(alerts); !id.empty()) {
    body += "Message-ID: <" + id + "@nianbao>\r\n";
  }
  body += "Subject: " + EncodedWords(TitleOf(alerts)) + "\r\n";
  body += "MIME-Version: 1.0\r\n";
  body += "Content-Type: text/plain; charset=utf-8\r\n";
  body += "Content-Transfer-Encoding: base64\r\n\r\n";
  for (size_t i = 0; i < encoded.size(); i += 76) body += encoded.substr(i, 76) + "\r\n";
  AlertRequest r;
  r.url = t.url;
  r.body = std::move(body);
  r.smtp = true;
  r.mail_from = t.from;
  r.rcpt = t.to;
  return r;
}

struct Kind {
  std::string_view name;
  std::function<AlertRequest(const AlertTarget&, const std::vector<Alert>&, Time)> build;
  const char* error_code_key;             // the robot's error code in a 2xx answer; null: none
  std::vector<int64_t> rate_limit_codes;  // robot error codes that mean "later" (retried)
  int rate_limit;                         // messages a minute; 0 = none
  size_t max_text_bytes;                  // one message's text; 0 = no limit
  bool markdown;                          // the text is markdown
};

const std::vector<Kind>& Kinds() {
  static const auto* const kinds = new std::vector<Kind>{
      {"webhook", Webhook, nullptr, {}, 0, 0, false},
      // 45009: api freq out of limit.
      {"wecom", Wecom, "errcode", {45009}, 20, kWecomMaxBytes, true},
      // 130101: send too fast.
      {"dingtalk", Dingtalk, "errcode", {130101}, 20, kDingtalkMaxBytes, true},
      // 11232: frequency limited.
      {"feishu", Feishu, "code", {11232}, 100, kFeishuMaxBytes, false},
      {"email", Email, nullptr, {}, 0, 0, false},
  };
  return *kinds;
}

const Kind* FindKind(std::string_view name) {
  for (const auto& k : Kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// One line of a digest for `a`.
std::string DigestLine(const Alert& a, bool markdown) {
  if (!a.is_report()) {
    std::string line = "- " + (markdown ? "**" + a.severity + "** " : "[" + a.severity + "] ") +
                       "source " + a.source + " " +
                       std::string(FindSourceEvent(a.event) ? FindSourceEvent(a.event)->what
                                                            : std::string_view(a.event));
    if (!a.organization.empty()) line += " (" + a.organization + ")";
    if (!a.details.empty()) line += ": " + a.details.front();
    return line + "\n";
  }
  size_t errors = 0;
  for (const auto& f : a.findings) errors += f.severity == "error" ? 1 : 0;
  std::string line =
      "- " + (markdown ? "**" + a.organization + "**" : a.organization) + " " +
      std::to_string(a.year) + " " + (a.event == "report.revised" ? "revised" : "new") + ": " +
      std::to_string(a.findings.size()) + " finding(s), " + std::to_string(errors) + " error(s)";
  if (!a.findings.empty()) line += "; " + a.findings.front().message;
  if (!a.url.empty()) line += markdown ? " [link](" + a.url + ")" : " " + a.url;
  return line + "\n";
}

}  // namespace

std::vector<std::string_view> AlertKinds() {
  std::vector<std::string_view> names;
  for (const auto& k : Kinds()) names.push_back(k.name);
  return names;
}

std::vector<std::string_view> AlertSeverities() {
  return {std::begin(kSeverities), std::end(kSeverities)};
}

std::vector<std::string_view> AlertSourceEvents() {
  std::vector<std::string_view> names;
  for (const auto& e : kSourceEvents) names.push_back(e.event);
  return names;
}

int AlertRateLimit(std::string_view kind) {
  const Kind* k = FindKind(kind);
  return k == nullptr ? 0 : k->rate_limit;
}

size_t AlertMaxTextBytes(std::string_view kind) {
  const Kind* k = FindKind(kind);
  return k == nullptr ? 0 : k->max_text_bytes;
}

bool AlertOf(const Batch& batch, const AlertTarget& target, Alert* alert) {
  std::optional<Json> record;
  Alert a;
  for (const auto& m : batch.messages) {
    const std::string schema = HeaderOf(m, "schema");
    const std::string event = HeaderOf(m, "event");
    if (schema == "nianbao.source.v1" || event == "report.missing") {
      const SourceEvent* row = FindSourceEvent(event);
      return row != nullptr && SourceAlertOf(m, *row, target, alert);
    }
    if (schema != "nianbao.report.v1") continue;
    if (event != "report.published" && event != "report.revised") return false;
    record = Json::parse(m.value, nullptr, false);
    if (record->is_discarded() || !record->is_object()) return false;
    a.event = event;
    a.key = HeaderOf(m, "ce_id");
  }
  if (!record) return false;
  a.report_id = Text(*record, "report_id");
  a.source = Text(*record, "source");
  a.organization = Text(*record, "organization");
  a.year = Int(*record, "year");
  a.title = Text(*record, "title");
  a.version = Int(*record, "version");
  if (!target.sources.empty() && !Contains(target.sources, a.source)) return false;
  if (!OrganizationPasses(target, a.organization)) return false;
  const int min_rank = std::max(0, Rank(target.min_severity));
  int top = -1;
  for (const auto& m : batch.messages) {
    if (HeaderOf(m, "schema") != "nianbao.finding.v1") continue;
    // Only the record's own findings: a batch may also carry findings across years that
    // belong to another year's record (event findings.across_years, keyed by that report).
    if (m.key != a.report_id) continue;
    const Json f = Json::parse(m.value, nullptr, false);
    if (f.is_discarded() || !f.is_object()) continue;
    if (a.url.empty()) a.url = Text(f, "source_url");
    AlertFinding finding{Text(f, "rule"), Text(f, "severity"), Text(f, "message"), Text(f, "path")};
    if (Rank(finding.severity) < min_rank) continue;
    if (!target.rules.empty() && !Contains(target.rules, finding.rule)) continue;
    top = std::max(top, Rank(finding.severity));
    a.findings.push_back(std::move(finding));
  }
  if (a.findings.empty()) return false;
  a.severity = std::string(kSeverities[std::max(0, top)]);
  *alert = std::move(a);
  return true;
}

std::string AlertTitle(const Alert& a) {
  if (!a.is_report()) {
    const SourceEvent* row = FindSourceEvent(a.event);
    std::string title = "nianbao: source " + a.source + " " +
                        std::string(row ? row->what : std::string_view(a.event));
    if (!a.organization.empty()) title += ": " + a.organization;
    if (a.year != 0) title += " " + std::to_string(a.year);
    return title;
  }
  size_t errors = 0;
  for (const auto& f : a.findings) errors += f.severity == "error" ? 1 : 0;
  return "nianbao: " + a.organization + " " + std::to_string(a.year) + " " +
         (a.event == "report.revised" ? "revised" : "new") + " report, " +
         std::to_string(a.findings.size()) + " finding(s), " + std::to_string(errors) + " error(s)";
}

std::string AlertText(const Alert& a, bool markdown) {
  std::string text = markdown ? "### " + AlertTitle(a) + "\n" : AlertTitle(a) + "\n";
  if (!a.title.empty()) text += a.title + "\n";
  for (const auto& f : a.findings) {
    text += (markdown ? "- **" + f.severity + "** `" + f.rule + "` "
                      : "- [" + f.severity + "] " + f.rule + ": ") +
            f.message + (f.path.empty() ? "" : " (" + f.path + ")") + "\n";
  }
  for (const auto& d : a.details) text += "- " + d + "\n";
  if (!a.url.empty()) text += markdown ? "[" + a.url + "](" + a.url + ")" : a.url;
  return text;
}

std::string DigestTitle(const std::vector<Alert>& alerts) {
  if (alerts.size() == 1) return AlertTitle(alerts[0]);
  size_t reports = 0;
  size_t with_errors = 0;
  for (const auto& a : alerts) {
    if (!a.is_report()) continue;
    ++reports;
    with_errors += a.severity == "error" ? 1 : 0;
  }
  std::string title = "nianbao: ";
  if (reports > 0) {
    title += with_errors == reports ? std::to_string(reports) + " new reports with errors"
                                    : std::to_string(reports) + " new reports with findings (" +
                                          std::to_string(with_errors) + " with errors)";
  }
  if (const size_t others = alerts.size() - reports; others > 0) {
    title += (reports > 0 ? ", " : "") + std::to_string(others) + " source alert(s)";
  }
  return title;
}

std::string DigestText(const std::vector<Alert>& alerts, bool markdown) {
  if (alerts.size() == 1) return AlertText(alerts[0], markdown);
  std::string text = (markdown ? "### " : "") + DigestTitle(alerts) + "\n";
  for (const auto& a : alerts) text += DigestLine(a, markdown);
  return text;
}

size_t AlertsThatFit(std::string_view kind_name, const std::vector<Alert>& alerts) {
  const Kind* kind = FindKind(kind_name);
  if (alerts.size() <= 1 || kind == nullptr || kind->max_text_bytes == 0) return alerts.size();
  // The digest's text grows with each alert; the longest prefix within the limit.
  std::vector<Alert> prefix;
  size_t fit = 1;
  for (const auto& a : alerts) {
    prefix.push_back(a);
    if (prefix.size() == 1) continue;
    if (DigestText(prefix, kind->markdown).size() > kind->max_text_bytes) break;
    fit = prefix.size();
  }
  return fit;
}

AlertRequest BuildAlertRequest(const AlertTarget& target, const std::vector<Alert>& alerts,
                               std::chrono::system_clock::time_point now) {
  const Kind* kind = FindKind(target.kind);
  if (kind == nullptr || alerts.empty()) return JsonPost(target.url, "");  // refused at load first
  return kind->build(target, alerts, now);
}

AlertOutcome ClassifyAlertAnswer(std::string_view kind_name, long status, std::string_view body,
                                 std::string* why) {
  if (status == 0) {
    *why = "no answer";
    return AlertOutcome::kRetry;
  }
  if (kind_name == "email") {  // an SMTP reply code
    *why = "SMTP " + std::to_string(status);
    if (status < 400) return AlertOutcome::kDelivered;
    return status < 500 ? AlertOutcome::kRetry : AlertOutcome::kRefused;
  }
  if (status == 429 || status >= 500) {
    *why = "HTTP " + std::to_string(status);
    return AlertOutcome::kRetry;
  }
  if (status < 200 || status > 299) {
    *why = "HTTP " + std::to_string(status);
    return AlertOutcome::kRefused;
  }
  const Kind* kind = FindKind(kind_name);
  if (kind == nullptr || kind->error_code_key == nullptr) return AlertOutcome::kDelivered;
  const Json answer = Json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) return AlertOutcome::kDelivered;
  const int64_t code = Int(answer, kind->error_code_key);
  if (code == 0) return AlertOutcome::kDelivered;
  *why =
      "error code " + std::to_string(code) + " in the answer: " + std::string(body.substr(0, 200));
  const auto& retry = kind->rate_limit_codes;
  return std::find(retry.begin(), retry.end(), code) != retry.end() ? AlertOutcome::kRetry
                                                                    : AlertOutcome::kRefused;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // An empty key or message is valid HMAC input; OpenSSL only needs non-null pointers.
  static const unsigned char kEmpty = 0;
  const void* k = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* m =
      message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), m, message.size(), out, &length) ==
      nullptr) {
    return "";  // cannot happen with SHA-256; an empty signature is then refused by the service
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (const size_t left = bytes.size() - i; left > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) to the start of the sequence that does not fit.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace nianbao::sinks
