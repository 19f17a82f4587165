#include "app/status_page.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace nianbao::app {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kJson = "application/json";

// Reports listed on the front page; the API lists every report kept.
constexpr std::size_t kFrontPageReports = 50;

// Inline, small, and readable at a phone's width: tables scroll sideways in their own box
// instead of widening the page.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:.5rem 1rem;"
    "line-height:1.4;color:#222}"
    "h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}"
    "th{background:#f4f4f4}"
    ".ok{color:#196619}.stale{color:#8a6d00}.unreachable,.blocked,.error{color:#b00020}"
    ".unknown,.info{color:#666}.warning{color:#8a6d00}"
    "td.n{text-align:right}small{color:#666}ul{margin:0;padding-left:1.1rem}"
    "a{color:#0645ad}";

std::string FormatTime(const std::optional<SystemTime>& t) {
  if (!t) return "";
  const std::time_t s = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  if (gmtime_r(&s, &tm) == nullptr) return "";
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

Json TimeJson(const std::optional<SystemTime>& t) {
  return t ? Json(FormatTime(t)) : Json(nullptr);
}

bool IsWebUrl(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

// A link to a page of the web, or its text when it is not an http(s) URL.
std::string ExternalLink(std::string_view url, std::string_view text) {
  if (!IsWebUrl(url)) return HtmlEscape(text);
  return "<a href=\"" + HtmlEscape(url) + "\" rel=\"noopener noreferrer\">" + HtmlEscape(text) +
         "</a>";
}

std::string SourceLink(std::string_view name) {
  return "<a href=\"/sources/" + HtmlEscape(PercentEncode(name)) + "\">" + HtmlEscape(name) +
         "</a>";
}

std::string ReportLink(const ReportRow& r, std::string_view text) {
  return "<a href=\"/reports/" + HtmlEscape(PercentEncode(r.report_id)) + "\">" + HtmlEscape(text) +
         "</a>";
}

std::string Cell(std::string_view html, std::string_view cls = {}) {
  if (cls.empty()) return "<td>" + std::string(html) + "</td>";
  return "<td class=\"" + HtmlEscape(cls) + "\">" + std::string(html) + "</td>";
}

std::string Head(std::string_view title) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += "<title>" + HtmlEscape(title) + "</title><style>";
  out += kStyle;
  out += "</style></head><body>";
  return out;
}

std::string Foot(SystemTime now) {
  return "<p><small>nianbao status at " + FormatTime(now) +
         " (UTC) &middot; <a href=\"/\">overview</a> &middot; <a href=\"/api/sources\">"
         "/api/sources</a> &middot; <a href=\"/api/reports\">/api/reports</a> &middot; "
         "<a href=\"/metrics\">/metrics</a></small></p></body></html>\n";
}

std::string Count(int64_t n) { return "<td class=\"n\">" + std::to_string(n) + "</td>"; }

std::string SourcesTable(const std::vector<const SourceRow*>& rows) {
  std::string out =
      "<div class=\"scroll\"><table><thead><tr><th>source</th><th>health</th><th>last pass</th>"
      "<th>next due</th><th>last error</th><th>reports found</th><th>new</th><th>revised</th>"
      "<th>failed</th><th>delivered</th><th>findings</th></tr></thead><tbody>";
  for (const SourceRow* s : rows) {
    out += "<tr>";
    out += Cell(SourceLink(s->name));
    out += Cell(HtmlEscape(s->health), s->health);
    out += Cell(FormatTime(s->last_pass));
    out += Cell(FormatTime(s->next_due));
    out += Cell(s->last_error.empty() ? std::string()
                                      : HtmlEscape(s->last_error) + " <small>" +
                                            FormatTime(s->last_error_at) + "</small>");
    out += Count(s->last.reports_found);
    out += Count(s->last.reports_new);
    out += Count(s->last.reports_revised);
    out += Count(s->last.reports_failed);
    out += Count(s->reports_delivered);
    out += Count(s->findings);
    out += "</tr>";
  }
  out += "</tbody></table></div>";
  return out;
}

std::string YearText(const ReportRow& r) { return r.year ? std::to_string(*r.year) : ""; }

std::string ReportName(const ReportRow& r) {
  if (!r.title.empty()) return r.title;
  if (!r.organization.empty()) return r.organization;
  return r.report_id;
}

// One row per report, its findings listed in the last cell (rule: message).
std::string ReportsTable(const std::vector<const ReportRow*>& rows) {
  std::string out =
      "<div class=\"scroll\"><table><thead><tr><th>delivered</th><th>organisation</th>"
      "<th>year</th><th>report</th><th>source</th><th>findings</th></tr></thead><tbody>";
  for (const ReportRow* r : rows) {
    out += "<tr>" + Cell(FormatTime(r->delivered_at)) + Cell(HtmlEscape(r->organization)) +
           Cell(YearText(*r)) +
           Cell(ReportLink(*r, ReportName(*r)) + " <small>" + HtmlEscape(r->event) + " v" +
                std::to_string(r->version) + "</small>") +
           Cell(SourceLink(r->source));
    if (r->findings.empty()) {
      out += Cell("<small>none</small>");
    } else {
      std::string list = "<ul>";
      for (const FindingRow& f : r->findings) {
        list += "<li><span class=\"" + HtmlEscape(f.severity) + "\">" + HtmlEscape(f.rule) +
                "</span>: " + HtmlEscape(f.message) + "</li>";
      }
      out += Cell(list + "</ul>");
    }
    out += "</tr>";
  }
  out += "</tbody></table></div>";
  return out;
}

std::string Overview(const StatusBoard& board, SystemTime now) {
  std::string out = Head("nianbao status");
  out += "<h1>nianbao status</h1>";
  const auto sources = board.SourcesInOrder();
  int healthy = 0;
  for (const SourceRow* s : sources) healthy += s->health == "ok" ? 1 : 0;
  out += "<p>" + std::to_string(sources.size()) + " sources, " + std::to_string(healthy) + " ok; " +
         std::to_string(board.reports().size()) + " reports and " +
         std::to_string(board.findings_kept()) + " findings kept.</p>";
  if (const auto& c = board.cluster()) {
    std::string parts;
    for (int32_t p : c->partitions) parts += (parts.empty() ? "" : ", ") + std::to_string(p);
    int owned = 0;
    for (const SourceRow* s : sources) owned += s->owned.value_or(false) ? 1 : 0;
    out += "<p>Cluster node " + HtmlEscape(c->node) + " (" + HtmlEscape(c->state) +
           "): partitions " + (parts.empty() ? std::string("none") : parts) + "; " +
           std::to_string(owned) + " sources polled here.</p>";
  }
  out += "<h2>Sources</h2>";
  out += SourcesTable(sources);
  out += "<h2>Latest reports</h2>";
  std::vector<const ReportRow*> latest;
  for (const auto& r : board.reports()) {
    if (latest.size() == kFrontPageReports) break;
    latest.push_back(&r);
  }
  if (latest.empty()) {
    out += "<p>No report delivered since the daemon started.</p>";
  } else {
    out += ReportsTable(latest);
  }
  out += Foot(now);
  return out;
}

std::string SourcePage(const StatusBoard& board, const SourceRow& s, SystemTime now) {
  std::string out = Head("nianbao: " + s.name);
  out += "<h1>Source " + HtmlEscape(s.name) + "</h1>";
  out += SourcesTable({&s});
  out += "<h2>Last pass</h2><div class=\"scroll\"><table><tbody>";
  const auto row = [&](std::string_view k, const std::string& v) {
    out += "<tr><th>" + std::string(k) + "</th><td>" + v + "</td></tr>";
  };
  const SourcePassStats& p = s.last;
  row("health", HtmlEscape(s.health));
  row("ended", FormatTime(s.last_pass));
  row("last ok", FormatTime(s.last_ok));
  row("passes since start", std::to_string(s.passes));
  row("list pages", std::to_string(p.list_pages));
  row("reports found", std::to_string(p.reports_found));
  row("new / revised / unchanged / failed",
      std::to_string(p.reports_new) + " / " + std::to_string(p.reports_revised) + " / " +
          std::to_string(p.reports_unchanged) + " / " + std::to_string(p.reports_failed));
  row("robots.txt disallowed", std::to_string(p.robots_disallowed));
  row("requests (retries)", std::to_string(p.requests) + " (" + std::to_string(p.retries) + ")");
  std::string failures;
  for (const auto& [reason, n] : p.failures) {
    failures += (failures.empty() ? "" : ", ") + HtmlEscape(reason) + ": " + std::to_string(n);
  }
  row("failures", failures);
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.1f s", p.elapsed.count());
  row("duration", secs);
  out += "</tbody></table></div><h2>Latest reports</h2>";
  std::vector<const ReportRow*> mine;
  for (const auto& r : board.reports()) {
    if (r.source == s.name) mine.push_back(&r);
  }
  if (mine.empty()) {
    out += "<p>No report of this source delivered since the daemon started.</p>";
  } else {
    out += ReportsTable(mine);
  }
  out += Foot(now);
  return out;
}

std::string ReportPage(const ReportRow& r, SystemTime now) {
  std::string out = Head("nianbao: " + ReportName(r));
  out += "<h1>" + HtmlEscape(ReportName(r)) + "</h1><div class=\"scroll\"><table><tbody>";
  const auto row = [&](std::string_view k, const std::string& v) {
    out += "<tr><th>" + std::string(k) + "</th><td>" + v + "</td></tr>";
  };
  row("organisation", HtmlEscape(r.organization));
  row("year", YearText(r));
  row("report", ExternalLink(r.url, r.url));
  row("report_id", HtmlEscape(r.report_id));
  row("source", SourceLink(r.source));
  row("event", HtmlEscape(r.event) + " (version " + std::to_string(r.version) + ")");
  row("delivered", FormatTime(r.delivered_at));
  out += "</tbody></table></div>";
  out += "<h2>Findings (" + std::to_string(r.findings.size()) + ")</h2>";
  if (r.findings.empty()) {
    out += "<p>No findings.</p>";
  } else {
    out +=
        "<div class=\"scroll\"><table><thead><tr><th>severity</th><th>rule</th><th>path</th>"
        "<th>message</th></tr></thead><tbody>";
    for (const FindingRow& f : r.findings) {
      out += "<tr>" + Cell(HtmlEscape(f.severity), f.severity) + Cell(HtmlEscape(f.rule)) +
             Cell(HtmlEscape(f.path)) + Cell(HtmlEscape(f.message)) + "</tr>";
    }
    out += "</tbody></table></div>";
  }
  out += Foot(now);
  return out;
}

Json SourceFields(const SourceRow& s);

Json SourceJson(const SourceRow& s) {
  Json out = SourceFields(s);
  if (s.owned) out["owned"] = *s.owned;  // in a cluster only
  return out;
}

Json SourceFields(const SourceRow& s) {
  Json failures = Json::object();
  for (const auto& [reason, n] : s.last.failures) failures[reason] = n;
  return Json{{"name", s.name},
              {"health", s.health},
              {"last_pass", TimeJson(s.last_pass)},
              {"last_ok", TimeJson(s.last_ok)},
              {"next_due", TimeJson(s.next_due)},
              {"last_error", s.last_error.empty() ? Json(nullptr) : Json(s.last_error)},
              {"last_error_at", TimeJson(s.last_error_at)},
              {"passes", s.passes},
              {"reports_delivered", s.reports_delivered},
              {"findings", s.findings},
              {"last_pass_counts",
               {{"list_pages", s.last.list_pages},
                {"reports_found", s.last.reports_found},
                {"reports_new", s.last.reports_new},
                {"reports_revised", s.last.reports_revised},
                {"reports_unchanged", s.last.reports_unchanged},
                {"reports_failed", s.last.reports_failed},
                {"robots_disallowed", s.last.robots_disallowed},
                {"requests", s.last.requests},
                {"retries", s.last.retries},
                {"failures", failures},
                {"elapsed_seconds", s.last.elapsed.count()}}}};
}

Json ReportJson(const ReportRow& r) {
  Json findings = Json::array();
  for (const FindingRow& f : r.findings) {
    findings.push_back({{"rule", f.rule},
                        {"severity", f.severity},
                        {"path", f.path.empty() ? Json(nullptr) : Json(f.path)},
                        {"message", f.message}});
  }
  return Json{{"report_id", r.report_id},
              {"source", r.source},
              {"url", r.url},
              {"title", r.title.empty() ? Json(nullptr) : Json(r.title)},
              {"organization", r.organization.empty() ? Json(nullptr) : Json(r.organization)},
              {"year", r.year ? Json(*r.year) : Json(nullptr)},
              {"event", r.event},
              {"version", r.version},
              {"delivered_at", FormatTime(r.delivered_at)},
              {"findings", findings}};
}

StatusResponse Html(std::string body) { return {200, std::string(kHtml), std::move(body)}; }

StatusResponse JsonAnswer(const Json& j) {
  // Replacement instead of an exception for text that is not UTF-8 (it came from the web).
  return {200, std::string(kJson), j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n"};
}

StatusResponse NotFound(std::string_view what, bool json) {
  if (json) {
    return {
        404, std::string(kJson),
        Json{{"error", std::string(what)}}.dump(-1, ' ', false, Json::error_handler_t::replace) +
            "\n"};
  }
  return {404, std::string(kHtml),
          Head("not found") + "<h1>Not found</h1><p>" + HtmlEscape(what) +
              "</p><p><a href=\"/\">overview</a></p></body></html>\n"};
}

// The rest of `path` after `prefix`, decoded; nullopt when `path` does not start with it, or
// the rest is empty, has a slash or a malformed escape.
std::optional<std::string> Tail(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
  return PercentDecode(rest);
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]);
    const int lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<StatusResponse> RenderStatus(const StatusBoard& board, std::string_view path,
                                           SystemTime now) {
  if (path == "/" || path == "/index.html") return Html(Overview(board, now));
  if (path == "/api/sources") {
    Json all = Json::array();
    for (const SourceRow* s : board.SourcesInOrder()) all.push_back(SourceJson(*s));
    return JsonAnswer(all);
  }
  if (path == "/api/reports") {
    Json all = Json::array();
    for (const auto& r : board.reports()) all.push_back(ReportJson(r));
    return JsonAnswer(all);
  }
  for (const bool json : {false, true}) {
    const std::string_view sources_prefix = json ? "/api/sources/" : "/sources/";
    const std::string_view reports_prefix = json ? "/api/reports/" : "/reports/";
    if (path.starts_with(sources_prefix)) {
      auto name = Tail(path, sources_prefix);
      const SourceRow* s = name ? board.FindSource(*name) : nullptr;
      if (s == nullptr) return NotFound("no such source", json);
      return json ? JsonAnswer(SourceJson(*s)) : Html(SourcePage(board, *s, now));
    }
    if (path.starts_with(reports_prefix)) {
      auto id = Tail(path, reports_prefix);
      const ReportRow* r = id ? board.FindReport(*id) : nullptr;
      if (r == nullptr) return NotFound("no such report among the latest kept", json);
      return json ? JsonAnswer(ReportJson(*r)) : Html(ReportPage(*r, now));
    }
  }
  return std::nullopt;
}

}  // namespace nianbao::app
