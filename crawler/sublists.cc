#include "crawler/sublists.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>

#include "crawler/links.h"

namespace nianbao::crawler {

namespace {

bool Search(const std::string& pattern, const std::string& text) {
  if (pattern.empty()) return true;
  // One compiled pattern per thread: the crawler reads lists on a pool of threads.
  static thread_local std::map<std::string, std::unique_ptr<RE2>> cache;
  auto& re = cache[pattern];
  if (!re) re = std::make_unique<RE2>(pattern);
  return re->ok() && RE2::PartialMatch(text, *re);
}

// An attribute value as written in HTML: the one entity that URLs carry.
std::string Unescape(std::string_view value) {
  // Built anew rather than replaced in place (g++ 12 warns, wrongly, on string::replace here).
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    if (value.compare(i, 5, "&amp;") == 0) {
      out.push_back('&');
      i += 5;
    } else {
      out.push_back(value[i++]);
    }
  }
  return out;
}

}  // namespace

const std::vector<SublistRule>& DefaultSublistRules() {
  // A folder (or its index page) at the end of the URL: what a column's address looks like,
  // unlike an article's (t20230120_123.html, art_1_2.html).
  static const auto* const kRules = new std::vector<SublistRule>{
      // "2023年", "2022年度", "2021": a year of the column.
      {R"re(^\s*(?:19|20)\d{2}\s*(?:年度?)?\s*$)re", ""},
      // gknb2023/, 2022n/, nb_2021/index.html, linked by a caption that ends with its year
      // ("政府信息公开年报2023", "2022年年报"), unlike "2023年工作计划".
      {R"re((?:19|20)\d{2}\s*(?:年度?)?\s*(?:年报|年度报告)?\s*$)re",
       R"re(/[A-Za-z_]*(?:19|20)\d{2}n?/(?:index(?:_\d+)?\.s?html?)?$)re"},
      // A unit's own annual-report column: 区教育局 -> /bmxxgk/jyj/xxgknb/.
      {R"re((?:局|委|委员会|办|办公室|镇|乡|街道|院|中心|人民政府)\s*$)re",
       R"re(/[A-Za-z_]*(?:nb|ndbg)[A-Za-z0-9_]*/(?:index(?:_\d+)?\.s?html?)?$)re"},
  };
  return *kRules;
}

bool IsSublistLink(const std::vector<SublistRule>& rules, const Link& link) {
  return MatchingSublistRule(rules, link) != nullptr;
}

const SublistRule* MatchingSublistRule(const std::vector<SublistRule>& rules, const Link& link) {
  for (const SublistRule& rule : rules) {
    if (Search(rule.text, link.text) && Search(rule.url, link.url)) return &rule;
  }
  return nullptr;
}

std::vector<std::string> FindShellTargets(std::string_view html, const std::string& page_url,
                                          size_t max_targets) {
  // The markup is ASCII in every charset portals use; patterns run over the page's text.
  static const RE2 kFrame(R"re((?is)<i?frame\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+))re");
  static const RE2 kRefresh(
      R"re((?is)<meta[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^"'>\s]+))re");
  static const RE2 kScript(R"re((?is)<script\b[^>]*>(.*?)</script>)re");
  static const RE2 kAssign(
      R"re((?s)^(.*?)\b(?:(?:window|top|self|parent|document)\.)?location(?:\.href)?\s*=\s*["']([^"']+)["'])re");
  static const RE2 kCall(
      R"re((?s)^(.*?)\blocation(?:\.href)?\.(?:replace|assign)\(\s*["']([^"']+)["']\s*\))re");
  // Code before the redirect that makes it conditional or deferred (a mobile-site switch, a
  // click handler): such a redirect is not what the page is.
  static const RE2 kGuarded(R"re(\bif\b|\bfunction\b|=>|\{|\?)re");

  std::vector<std::string> raw;
  re2::StringPiece rest(html.data(), html.size());
  std::string target;
  while (raw.size() < max_targets && RE2::FindAndConsume(&rest, kFrame, &target)) {
    raw.push_back(target);
  }
  if (RE2::PartialMatch(html, kRefresh, &target)) raw.push_back(target);
  rest = re2::StringPiece(html.data(), html.size());
  std::string code;
  while (raw.size() < max_targets && RE2::FindAndConsume(&rest, kScript, &code)) {
    std::string before;
    for (const RE2* re : {&kAssign, &kCall}) {
      if (RE2::PartialMatch(code, *re, &before, &target) && !RE2::PartialMatch(before, kGuarded)) {
        raw.push_back(target);
      }
    }
  }
  std::vector<std::string> out;
  const std::string self = ResolveUrl(page_url, page_url);  // canonical, to compare
  for (const std::string& t : raw) {
    std::string resolved = ResolveUrl(page_url, Unescape(t));
    if (resolved.empty() || resolved == self) continue;
    if (std::find(out.begin(), out.end(), resolved) != out.end()) continue;
    out.push_back(std::move(resolved));
    if (out.size() >= max_targets) break;
  }
  return out;
}

}  // namespace nianbao::crawler
