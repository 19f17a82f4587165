#include "parser/narrative.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "parser/rule_table.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

// A pattern and the value it gives: the captured number, or a fixed value (未收到 -> 0).
struct FactPattern {
  const char* regex;
  std::optional<int64_t> fixed;
};

// Every pattern's examples are in tests/parser/narrative_test.cc.
//
// 主动公开政府信息208条 / 主动公开政府信息共183条 / 累计公开政务信息396条 /
// 主动公开我区各级单位政府信息2645条 / 发布各类公开政府信息249条
constexpr std::array<FactPattern, 3> kProactiveTotal = {{
    {R"((?:主动|累计)公开(?:了)?(?:政府|政务)?信息(?:共计|共|累计|总计)?\s*(\d+)\s*条)", {}},
    {R"(主动公开[^。；;，,\d]{1,12}?(?:政府|政务)信息(?:共计|共|累计|总计)?\s*(\d+)\s*条)", {}},
    {R"(发布各类(?:公开)?(?:政府|政务)?信息(?:共计|共|累计|总计)?\s*(\d+)\s*条)", {}},
}};

// 受理依申请公开2件 / 受理过1起依申请公开 / 收到政府信息公开申请3件 / 未收到依申请 /
// 共收到依申请信息公开26件 / 全区受理政府信息公开申请 21 件 / 全年办理政府信息公开申请218件
constexpr std::array<FactPattern, 3> kApplicationsReceived = {{
    {R"((?:受理|收到|接到|办理)(?:了|过)?[^。；;，,\d]{0,12}?申请[^。；;，,\d]{0,6}?(\d+)\s*(?:件|起|条|个|份|宗|次))",
     {}},
    {R"((?:受理|收到|接到)(?:了|过)?(?:共)?\s*(\d+)\s*(?:件|起|条|个|份|宗)[^。；;，,\d]{0,6}?申请)",
     {}},
    {R"((?:未|没有)(?:收到|受理|接到)(?:过)?[^。；;，,\d]{0,10}?申请)", 0},
}};

// 未收到有关政府信息公开工作的举报、投诉、行政复议或行政诉讼
constexpr const char* kNoReviews =
    R"((?:未|没有|无)(?:发生|收到|出现|产生|接到)?[^。；;]{0,30}?(?:行政复议|行政诉讼))";

// N条，其中A条、B条… (the parts run to the end of the clause)
constexpr const char* kTotalWithParts = R"((\d+)\s*(条|件|篇|个)\s*[，,]?\s*其中([^。；;]*))";

// Words that open a clause without being part of what is counted.
constexpr std::array<std::u32string_view, 14> kFillers = {
    U"其中", U"共计", U"共", U"累计", U"依法", U"全年", U"本年",
    U"今年", U"通过", U"已", U"在",   U"另有", U"以及", U"和"};

constexpr std::u32string_view kUnits = U"条件篇个起次";

// The first `max_chars` characters of s (never cutting a character in two).
std::string Clip(const std::string& s, size_t max_chars) {
  std::u32string u = ToU32(s);
  if (u.size() <= max_chars) return s;
  return ToUtf8(std::u32string_view(u).substr(0, max_chars)) + "…";
}

bool IsHan(char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }
bool IsDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

struct Hit {
  size_t pos;
  int64_t value;
};

using Compiled = std::vector<std::unique_ptr<const RE2>>;

Compiled CompileAll(std::span<const FactPattern> patterns) {
  Compiled out;
  for (const auto& p : patterns) out.push_back(std::make_unique<const RE2>(p.regex));
  return out;
}

// The earliest statement of a fact in the text, whichever pattern states it.
std::optional<Hit> FirstHit(std::span<const FactPattern> patterns, const Compiled& compiled,
                            std::string_view text) {
  std::optional<Hit> best;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const FactPattern& p = patterns[i];
    const RE2* re = compiled[i].get();
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece groups[2];
    size_t start = 0;
    if (!re->Match(input, start, input.size(), RE2::UNANCHORED, groups, 2)) continue;
    size_t pos = static_cast<size_t>(groups[0].data() - text.data());
    int64_t value = 0;
    if (p.fixed) {
      value = *p.fixed;
    } else {
      std::string digits(groups[1].data(), groups[1].size());
      if (digits.empty() || digits.size() > 12) continue;
      value = std::stoll(digits);
    }
    if (!best || pos < best->pos) best = Hit{pos, value};
  }
  return best;
}

// The text without what stands in brackets (（…） or (…), nested or not).
std::string OutsideBrackets(const std::string& text) {
  std::u32string out;
  int depth = 0;
  for (char32_t c : ToU32(text)) {
    if (c == U'（' || c == U'(') {
      ++depth;
    } else if ((c == U'）' || c == U')') && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return ToUtf8(out);
}

// Each "N条，其中A条、B条" whose parts add up to more than N.
void CheckPartsSum(std::string_view text, std::vector<Finding>* out) {
  static const RE2 re(kTotalWithParts);
  static const RE2 part(R"((\d+)\s*(条|件|篇|个))");
  re2::StringPiece input(text.data(), text.size());
  std::string total_s, unit, parts;
  while (RE2::FindAndConsume(&input, re, &total_s, &unit, &parts)) {
    if (total_s.size() > 12) continue;
    // Parts of parts, in brackets (B197条（含C32条、D165条）), are summed in B: only the
    // first level counts.
    parts = OutsideBrackets(parts);
    int64_t total = std::stoll(total_s);
    int64_t sum = 0;
    int count = 0;
    re2::StringPiece p(parts);
    std::string n, u;
    while (RE2::FindAndConsume(&p, part, &n, &u)) {
      if (u != unit || n.size() > 12) continue;
      sum += std::stoll(n);
      ++count;
    }
    if (count > 0 && sum > total) {
      out->push_back(MakeFinding(
          "narrative.parts_sum", "narrative",
          "section 一 gives " + total_s + unit + " in all, but the parts that follow (其中" +
              Clip(CollapseSpaces(parts), 60) + ") add up to " + std::to_string(sum) + unit,
          static_cast<double>(total), static_cast<double>(sum)));
    }
  }
}

// The last quantity of `text` as "<up to four characters of its label><number>" (行政复议351),
// or "" when it holds none: what parts listed after 其中 belong to.
std::u32string TotalBefore(std::u32string_view text) {
  size_t end = text.size();
  while (end > 0 && !IsDigit(text[end - 1])) --end;
  if (end == 0) return {};
  size_t begin = end;
  while (begin > 0 && IsDigit(text[begin - 1])) --begin;
  std::u32string label;
  for (size_t k = begin; k > 0 && label.size() < 4; --k) {
    if (IsHan(text[k - 1]))
      label.insert(label.begin(), text[k - 1]);
    else if (!IsSpace(text[k - 1]))
      break;
  }
  return label + std::u32string(text.substr(begin, end - begin));
}

// The same labelled quantity stated twice with different numbers.
void CheckConflicts(std::string_view text, std::vector<Finding>* out) {
  std::u32string s = ToU32(text);
  // The distinct values stated for one label, kept so that each new statement is checked in
  // logarithmic time: a report (or a hostile page) that repeats one label 200,000 times
  // must not compare every statement with every earlier one.
  // Distinct values in the order first stated (the message names the earliest).
  struct Values {
    std::vector<int64_t> order;
    std::set<int64_t> has;
    void Add(int64_t v) {
      if (has.insert(v).second) order.push_back(v);
    }
  };
  struct Seen {
    Values all;                                 // any scope
    Values alone;                               // stated outside any 其中
    std::map<std::u32string, Values> by_scope;  // parts of one total
  };
  // The earliest value of `values` other than `value`, if there is one.
  auto other_than = [](const Values& values, int64_t value) -> std::optional<int64_t> {
    for (int64_t v : values.order) {
      if (v != value) return v;  // distinct values: at most two iterations
    }
    return std::nullopt;
  };
  std::map<std::u32string, Seen> seen;
  std::map<std::u32string, bool> reported;
  // Quantities listed after 其中 are parts of the total before it ("复议351件，其中结果维持72件";
  // "诉讼46件，其中结果维持25件"): the same label under two totals is two quantities.
  static constexpr std::u32string_view kPartsOf = U"其中";
  static constexpr std::u32string_view kSentenceEnd = U"。；;";
  std::u32string scope;
  size_t sentence = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kSentenceEnd.find(s[i]) != std::u32string_view::npos) {
      scope.clear();
      sentence = i + 1;
    }
    if (std::u32string_view(s).substr(i).starts_with(kPartsOf)) {
      // The total is the text before 其中 in the same sentence, if it holds a number.
      std::u32string_view before = std::u32string_view(s).substr(sentence, i - sentence);
      scope = TotalBefore(before);
    }
    if (!IsDigit(s[i]) || (i > 0 && IsDigit(s[i - 1]))) continue;
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    size_t k = j;
    while (k < s.size() && IsSpace(s[k])) ++k;
    if (k >= s.size() || kUnits.find(s[k]) == std::u32string_view::npos || j - i > 12) continue;
    char32_t unit = s[k];
    // The label: the run of Han characters just before the number.
    size_t end = i;
    while (end > 0 && IsSpace(s[end - 1])) --end;
    size_t begin = end;
    while (begin > 0 && IsHan(s[begin - 1])) --begin;
    if (begin == end) continue;
    // A label cut by a quote or bracket ("沁口清风”发布信息) is only part of what is counted.
    if (begin > 0) {
      char32_t before = s[begin - 1];
      static constexpr std::u32string_view kCut = U"“”\"「」『』《》()（）";
      if (kCut.find(before) != std::u32string_view::npos) continue;
    }
    // Fillers are skipped by moving `begin`, not erased one by one: a run of 100,000 和
    // before a number would make the erasing quadratic.
    for (bool stripped = true; stripped;) {
      stripped = false;
      for (auto f : kFillers) {
        std::u32string_view rest(s.data() + begin, end - begin);
        if (rest.size() > f.size() && rest.starts_with(f)) {
          begin += f.size();
          stripped = true;
        }
      }
    }
    if (end - begin < 3) continue;
    std::u32string label = s.substr(begin, end - begin);
    int64_t value = std::stoll(ToUtf8(std::u32string_view(s).substr(i, j - i)));
    std::u32string key = label + unit;
    if (reported[key]) continue;
    Seen& statements = seen[key];
    // Two statements conflict unless each is a part of its own, different total.
    std::optional<int64_t> earlier;
    if (scope.empty()) {
      earlier = other_than(statements.all, value);
    } else {
      earlier = other_than(statements.alone, value);
      if (!earlier) earlier = other_than(statements.by_scope[scope], value);
    }
    statements.all.Add(value);
    if (scope.empty()) {
      statements.alone.Add(value);
    } else {
      statements.by_scope[scope].Add(value);
    }
    if (earlier && !reported[key]) {
      reported[key] = true;
      std::string l = ToUtf8(label), u = ToUtf8(std::u32string(1, unit));
      out->push_back(MakeFinding("narrative.conflict", "narrative",
                                 "section 一 states " + l + std::to_string(*earlier) + u +
                                     " and elsewhere " + l + std::to_string(value) + u,
                                 static_cast<double>(*earlier), static_cast<double>(value)));
    }
  }
}

}  // namespace

NarrativeFacts ReadNarrative(std::string_view overview) {
  // Fold full-width digits so that one pattern reads ２０８条 and 208条 alike.
  std::u32string u = ToU32(overview);
  for (auto& c : u) c = (c >= 0xFF10 && c <= 0xFF19) ? FoldWidth(c) : c;
  std::string text = ToUtf8(u);

  // Compiled once per process; RE2 objects are immutable and safe to share across threads.
  static const Compiled proactive_total = CompileAll(kProactiveTotal);
  static const Compiled applications_received = CompileAll(kApplicationsReceived);

  NarrativeFacts facts;
  if (auto h = FirstHit(kProactiveTotal, proactive_total, text))
    facts.values.proactive_total = h->value;
  if (auto h = FirstHit(kApplicationsReceived, applications_received, text)) {
    facts.values.applications_received = h->value;
  }
  static const RE2 no_reviews(kNoReviews);
  facts.claims_no_reviews = RE2::PartialMatch(text, no_reviews);
  CheckPartsSum(text, &facts.findings);
  CheckConflicts(text, &facts.findings);
  return facts;
}

}  // namespace nianbao::parser
