#include "sinks/alert_format.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
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

std::string FindingsJson(const Alert& a) {
  Json list = Json::array();
  for (const auto& f : a.findings) {
    list.push_back(
        {{"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"path", f.path}});
  }
  return Dump(list);
}

// ---- one row per kind: how its body is built and signed, how its answer is read

AlertRequest Webhook(const AlertTarget& t, const Alert& a, std::chrono::system_clock::time_point) {
  Json body = {{"event", a.event},
               {"report_id", a.report_id},
               {"version", a.version},
               {"source", a.source},
               {"organization", a.organization},
               {"year", a.year},
               {"title", a.title},
               {"url", a.url},
               {"findings", Json::parse(FindingsJson(a))},
               {"text", AlertText(a, false)}};
  AlertRequest r{t.url, {"Content-Type: application/json"}, Dump(body)};
  if (!t.secret.empty()) {
    r.headers.push_back("X-Nianbao-Signature: sha256=" + Hex(HmacSha256(t.secret, r.body)));
  }
  return r;
}

// 企业微信 group robot: markdown content of at most 4096 bytes.
constexpr size_t kWecomMaxBytes = 4096;

AlertRequest Wecom(const AlertTarget& t, const Alert& a, std::chrono::system_clock::time_point) {
  std::string content = AlertText(a, true);
  if (content.size() > kWecomMaxBytes) {
    constexpr std::string_view kCut = "\n...";
    content = TruncateUtf8(content, kWecomMaxBytes - kCut.size()) + std::string(kCut);
  }
  Json body = {{"msgtype", "markdown"}, {"markdown", {{"content", content}}}};
  return {t.url, {"Content-Type: application/json"}, Dump(body)};
}

// 钉钉 robot: signed in the query, timestamp in milliseconds.
AlertRequest Dingtalk(const AlertTarget& t, const Alert& a,
                      std::chrono::system_clock::time_point now) {
  Json body = {{"msgtype", "markdown"},
               {"markdown", {{"title", AlertTitle(a)}, {"text", AlertText(a, true)}}}};
  AlertRequest r{t.url, {"Content-Type: application/json"}, Dump(body)};
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
AlertRequest Feishu(const AlertTarget& t, const Alert& a,
                    std::chrono::system_clock::time_point now) {
  Json body = Json::object();
  if (!t.secret.empty()) {
    const std::string s = std::to_string(Seconds(now));
    body["timestamp"] = s;
    body["sign"] = Base64(HmacSha256(s + "\n" + t.secret, ""));
  }
  body["msg_type"] = "text";
  body["content"] = {{"text", AlertText(a, false)}};
  return {t.url, {"Content-Type: application/json"}, Dump(body)};
}

struct Kind {
  std::string_view name;
  std::function<AlertRequest(const AlertTarget&, const Alert&,
                             std::chrono::system_clock::time_point)>
      build;
  const char* error_code_key;             // the robot's error code in a 2xx answer; null: none
  std::vector<int64_t> rate_limit_codes;  // robot error codes that mean "later" (retried)
};

const std::vector<Kind>& Kinds() {
  static const auto* const kinds = new std::vector<Kind>{
      {"webhook", Webhook, nullptr, {}},
      {"wecom", Wecom, "errcode", {45009}},         // api freq out of limit
      {"dingtalk", Dingtalk, "errcode", {130101}},  // send too fast
      {"feishu", Feishu, "code", {11232}},          // frequency limited
  };
  return *kinds;
}

const Kind* FindKind(std::string_view name) {
  for (const auto& k : Kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
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

bool AlertOf(const Batch& batch, const AlertTarget& target, Alert* alert) {
  std::optional<Json> record;
  Alert a;
  for (const auto& m : batch.messages) {
    const std::string schema = HeaderOf(m, "schema");
    if (schema != "nianbao.report.v1") continue;
    const std::string event = HeaderOf(m, "event");
    if (event != "report.published" && event != "report.revised") return false;
    record = Json::parse(m.value, nullptr, false);
    if (record->is_discarded() || !record->is_object()) return false;
    a.event = event;
  }
  if (!record) return false;
  a.report_id = Text(*record, "report_id");
  a.source = Text(*record, "source");
  a.organization = Text(*record, "organization");
  a.year = Int(*record, "year");
  a.title = Text(*record, "title");
  a.version = Int(*record, "version");
  if (!target.sources.empty() && !Contains(target.sources, a.source)) return false;
  if (!target.organizations.empty() &&
      std::none_of(
          target.organizations.begin(), target.organizations.end(),
          [&](const std::string& o) { return a.organization.find(o) != std::string::npos; })) {
    return false;
  }
  const int min_rank = std::max(0, Rank(target.min_severity));
  for (const auto& m : batch.messages) {
    if (HeaderOf(m, "schema") != "nianbao.finding.v1") continue;
    const Json f = Json::parse(m.value, nullptr, false);
    if (f.is_discarded() || !f.is_object()) continue;
    if (a.url.empty()) a.url = Text(f, "source_url");
    AlertFinding finding{Text(f, "rule"), Text(f, "severity"), Text(f, "message"), Text(f, "path")};
    if (Rank(finding.severity) < min_rank) continue;
    if (!target.rules.empty() && !Contains(target.rules, finding.rule)) continue;
    a.findings.push_back(std::move(finding));
  }
  if (a.findings.empty()) return false;
  *alert = std::move(a);
  return true;
}

std::string AlertTitle(const Alert& a) {
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
  if (!a.url.empty()) text += markdown ? "[" + a.url + "](" + a.url + ")" : a.url;
  return text;
}

AlertRequest BuildAlertRequest(const AlertTarget& target, const Alert& alert,
                               std::chrono::system_clock::time_point now) {
  const Kind* kind = FindKind(target.kind);
  if (kind == nullptr) return {target.url, {}, ""};  // refused by the config loader first
  return kind->build(target, alert, now);
}

AlertOutcome ClassifyAlertAnswer(std::string_view kind_name, long status, std::string_view body,
                                 std::string* why) {
  if (status == 0) {
    *why = "no answer";
    return AlertOutcome::kRetry;
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
