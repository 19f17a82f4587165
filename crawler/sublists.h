// Lists behind lists: where a column page leads to more of its list, besides its pagination.
//
// Portals split an annual-report column into sub-columns (one per year: `gknb2023/`,
// `2022n/`, links "2023年", "2022年度"; one per unit: a department's or a town's own
// 年报 column) and put columns behind shells: a page whose list is an <iframe src=…>, a
// `<meta http-equiv="refresh">` to the list, or a script that sends the browser there
// (`location.href = "…"`, `window.location = "…"`, `location.replace("…")`). The crawler reads
// the targets as list pages of the same source, one level deeper (docs/sources.md,
// `sublists` and `sublist_depth`); the page budget, the depth limits and the pass's set of
// URLs already queued bound them, and stop loops (a shell pointing at itself, two at each
// other).
//
// A sub-list link is told by a table of rules, each a pattern of the link's text and of its
// URL (both must match; "" matches anything). DefaultSublistRules() is the built-in table; a
// source may replace it (`sublists = [...]`, `[]` to follow none).
//
// Pure. Threading: safe from any thread (RE2 objects are per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/page.h"

namespace nianbao::crawler {

using nianbao::Link;  // base/page.h

struct SublistRule {
  std::string text;  // RE2 searched in the link's text; "" = any
  std::string url;   // RE2 searched in the link's absolute URL; "" = any

  bool operator==(const SublistRule&) const = default;
};

// The built-in rules: a year's sub-column by its link text ("2023年", "2022年度", "2021"); a
// year's folder by its URL (gknb2023/, 2022n/, 2021/index.html) whose caption ends with the
// year; a unit's own annual-report column (a folder named like one: ndbg, xxgknb, gknb, …)
// linked by a unit's name (…局, …委, …办, …镇, …街道, …).
const std::vector<SublistRule>& DefaultSublistRules();

// Whether one of `rules` matches the link. REQUIRES: every pattern compiles (sources.cc
// checks them at load); one that does not never matches.
bool IsSublistLink(const std::vector<SublistRule>& rules, const Link& link);
// The first of `rules` that matches the link (what made it a sub-list), nullptr if none.
const SublistRule* MatchingSublistRule(const std::vector<SublistRule>& rules, const Link& link);

// The pages a list page hands its reader on to, resolved against `page_url`: the src of
// every <iframe>/<frame>, the target of a <meta http-equiv="refresh">, and the string target
// of a script redirect run at load (a statement in a <script> element, not inside a
// function: `location.href = "x"`, `window.location = 'x'`, `top.location.href = "x"`,
// `location.replace("x")`, `location.assign("x")`). In the order of the page, without
// duplicates and without the page itself; at most `max_targets`. REQUIRES: html is UTF-8
// (or ASCII-compatible).
std::vector<std::string> FindShellTargets(std::string_view html, const std::string& page_url,
                                          size_t max_targets = 20);

}  // namespace nianbao::crawler
