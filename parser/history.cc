#include "parser/history.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <set>

#include "parser/labels.h"
#include "parser/rule_table.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

// ---- The organisation key ----

// The suffixes of the administrative divisions a place name ends with, longest first (so
// that 自治州 is taken whole before 州).
constexpr std::array<std::u32string_view, 18> kPlaceSuffixes = {
    U"特别行政区", U"街道办事处", U"自治区", U"自治州", U"自治县", U"自治旗",
    U"街道",       U"地区",       U"省",     U"市",     U"区",     U"县",
    U"州",         U"盟",         U"旗",     U"镇",     U"乡",     U"村",
};
// Words that end in a suffix above but name no place: the 城乡 of 住房和城乡建设委员会, the
// 社区 of a community office. A candidate place name ending in one of them is not one.
constexpr std::array<std::u32string_view, 6> kNotPlaces = {
    U"城乡", U"社区", U"小区", U"园区", U"城区", U"市区",
};
constexpr size_t kMinPlaceName = 2;  // characters before the suffix: 渝北区, 洛碛镇
constexpr size_t kMaxPlaceName = 8;  // 黔东南苗族侗族自治州

bool EndsWith(std::u32string_view s, std::u32string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// The length of the place name opening `s` (name and suffix), or 0. The shortest name wins,
// and something must follow the place (the body it is the place of).
size_t PlaceAt(std::u32string_view s) {
  for (size_t name = kMinPlaceName; name <= kMaxPlaceName && name < s.size(); ++name) {
    for (auto suffix : kPlaceSuffixes) {
      if (s.substr(name, suffix.size()) != suffix) continue;
      size_t end = name + suffix.size();
      if (end >= s.size()) continue;
      std::u32string_view place = s.substr(0, end);
      bool not_place = false;
      for (auto word : kNotPlaces) not_place = not_place || EndsWith(place, word);
      if (!not_place) return end;
    }
  }
  return 0;
}

// ---- The cells compared ----

enum class Relation {
  kSameCells,           // each column of year N's row equals the same column of year N−1's
  kPreviousPlusChange,  // year N's cell 0 equals year N−1's cell 0 + cell 1
};

struct CellPairSpec {
  std::string_view rule;
  std::string_view row;             // year N's row, as a record path
  std::string_view label;           // its words in the form
  std::string_view previous_row;    // year N−1's row, as a record path
  std::string_view previous_label;  // its words in the form
  Relation relation;
  bool only_2019_form;  // both reports in the 2019 form (the 2021 form dropped the columns)
};

// 三 二、上年结转 of year N is 四、结转下年度继续办理 of year N−1, in both forms (the rows and
// their seven columns did not change in 2021). 二's 上一年项目数量 of year N is year N−1's
// 上一年项目数量 + 本年增/减 (the 2019 form only).
constexpr std::array<CellPairSpec, 6> kCellPairs = {{
    {"history.carried_over", "applications.carried_over", "二、上年结转政府信息公开申请数量",
     "applications.carried_forward", "四、结转下年度继续办理", Relation::kSameCells, false},
    {"history.previous_items", "proactive.licensing", "行政许可", "proactive.licensing", "行政许可",
     Relation::kPreviousPlusChange, true},
    {"history.previous_items", "proactive.other_services", "其他对外管理服务事项",
     "proactive.other_services", "其他对外管理服务事项", Relation::kPreviousPlusChange, true},
    {"history.previous_items", "proactive.penalty", "行政处罚", "proactive.penalty", "行政处罚",
     Relation::kPreviousPlusChange, true},
    {"history.previous_items", "proactive.coercion", "行政强制", "proactive.coercion", "行政强制",
     Relation::kPreviousPlusChange, true},
    {"history.previous_items", "proactive.fees", "行政事业性收费", "proactive.fees",
     "行政事业性收费", Relation::kPreviousPlusChange, true},
}};

// A row of the record by its path ("applications.carried_over", "proactive.fees").
std::optional<Cells> RecordRow(const Record& r, std::string_view path) {
  auto dot = path.find('.');
  std::string_view table = path.substr(0, dot);
  std::string key(path.substr(dot + 1));
  const auto& rows = table == "applications" ? r.applications : r.proactive;
  if (!rows) return std::nullopt;
  auto it = rows->find(key);
  if (it == rows->end()) return std::nullopt;
  return it->second;
}

const Cells* SummaryRow(const YearSummary& s, std::string_view path) {
  auto it = s.rows.find(std::string(path));
  return it == s.rows.end() ? nullptr : &it->second;
}

Value Cell(const Cells* row, size_t c) {
  return row != nullptr && c < row->size() ? (*row)[c] : Value();
}

void CheckCellPair(const CellPairSpec& spec, const YearSummary& prev, const YearSummary& cur,
                   std::vector<Finding>* out) {
  if (spec.only_2019_form && (prev.form != Template::k2019 || cur.form != Template::k2019)) return;
  const Cells* now = SummaryRow(cur, spec.row);
  const Cells* before = SummaryRow(prev, spec.previous_row);
  if (now == nullptr || before == nullptr) return;
  std::string year = std::to_string(*cur.year);
  std::string last = std::to_string(*prev.year);
  if (spec.relation == Relation::kSameCells) {
    auto columns = ApplicationColumnNames();
    for (size_t c = 0; c < now->size() && c < columns.size(); ++c) {
      Value a = Cell(now, c), b = Cell(before, c);
      if (!a || !b || !ValuesDiffer(*a, *b)) continue;
      out->push_back(MakeFinding(
          spec.rule, std::string(spec.row) + "[" + std::to_string(c) + "]",
          std::string(spec.label) + " / " + std::string(columns[c]) + " is " + FormatValue(*a) +
              " in the report on " + year + ", but " + std::string(spec.previous_label) + " / " +
              std::string(columns[c]) + " is " + FormatValue(*b) + " in the report on " + last,
          *b, *a));
    }
    return;
  }
  // kPreviousPlusChange: a blank 本年增/减 is no change (null counts as 0 in a sum); a blank
  // 上一年项目数量 this year, or both cells blank last year, compare nothing.
  Value now_previous = Cell(now, 0);
  Value last_previous = Cell(before, 0), last_change = Cell(before, 1);
  if (!now_previous || (!last_previous && !last_change)) return;
  double expected = last_previous.value_or(0) + last_change.value_or(0);
  if (!ValuesDiffer(expected, *now_previous)) return;
  out->push_back(
      MakeFinding(spec.rule, std::string(spec.row) + ".previous",
                  std::string(spec.label) + " / 上一年项目数量 is " + FormatValue(*now_previous) +
                      " in the report on " + year + ", but in the report on " + last + " " +
                      std::string(spec.previous_label) + " / 上一年项目数量 " +
                      FormatValue(last_previous.value_or(0)) + " + 本年增/减 " +
                      FormatValue(last_change.value_or(0)) + " = " + FormatValue(expected),
                  expected, *now_previous));
}

// ---- Copied prose ----

// Sentences every report carries by statute or by the form, whatever else it says: the
// preamble citing the 条例 and the form, the statistics period, where the report is posted and
// whom to ask. A sentence holding every word of one entry does not count as copied.
constexpr std::array<std::array<std::u32string_view, 2>, 11> kBoilerplate = {{
    {U"政府信息公开条例", U"编制"},
    {U"政府信息公开条例", U"年度报告"},
    {U"年度报告格式", U""},
    {U"统计期限", U""},
    {U"统计时限", U""},
    {U"本报告", U""},
    {U"本年度报告", U""},
    {U"疑问", U"联系"},
    {U"联系电话", U""},
    {U"邮编", U""},
    {U"邮政编码", U""},
}};

// Shingles of this many characters (once spaces, punctuation and digits are set aside). Eight
// characters is a short clause (推进政府信息公开): long enough that two reports on the same
// themes in different words share few, short enough that a sentence with one changed number
// keeps most of its shingles. Chosen on tests/fixtures/history (tests/parser/history_test.cc).
constexpr size_t kShingle = 8;
// Below this many characters of its own (boilerplate set aside) a section is too short to
// judge: "无。" or one line of 五 repeated is not a copied report.
constexpr size_t kMinChars = 60;
// The share of year N's shingles found in year N−1's text from which the section is copied:
// "more than half copied", the audit criterion of the evaluators.
constexpr double kCopiedShare = 0.5;

bool IsSentenceEnd(char32_t c) {
  return c == U'。' || c == U'！' || c == U'？' || c == U'；' || c == U'\n' || c == U'!' ||
         c == U'?' || c == U';';
}
bool IsDigit(char32_t c) { return (c >= U'0' && c <= U'9') || (c >= U'０' && c <= U'９'); }
// The characters that carry wording: CJK ideographs and Latin letters. Spaces, punctuation and
// brackets are set aside; digits become one mark per run.
bool IsWordChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c == U'〇') ||
         (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

bool IsBoilerplate(std::u32string_view sentence) {
  for (const auto& words : kBoilerplate) {
    bool all = true;
    for (auto w : words) {
      if (!w.empty() && sentence.find(w) == std::u32string_view::npos) all = false;
    }
    if (all) return true;
  }
  return false;
}

// The wording of a text: boilerplate sentences dropped, then only word characters, each run
// of digits one '#'.
std::u32string Wording(std::string_view text) {
  std::u32string all = ToU32(text);
  std::u32string out;
  size_t start = 0;
  for (size_t i = 0; i <= all.size(); ++i) {
    if (i < all.size() && !IsSentenceEnd(all[i])) continue;
    std::u32string_view sentence(all.data() + start, i - start);
    start = i + 1;
    if (IsBoilerplate(sentence)) continue;
    bool in_number = false;
    for (char32_t c : sentence) {
      if (IsDigit(c)) {
        if (!in_number) out.push_back(U'#');
        in_number = true;
        continue;
      }
      in_number = false;
      if (IsWordChar(c)) out.push_back(c);
    }
  }
  return out;
}

std::set<std::u32string> Shingles(const std::u32string& wording) {
  std::set<std::u32string> out;
  for (size_t i = 0; i + kShingle <= wording.size(); ++i) out.insert(wording.substr(i, kShingle));
  return out;
}

struct ProseSpec {
  SectionId section;
  std::string YearSummary::*text;
};
constexpr std::array<ProseSpec, 2> kProse = {{
    {SectionId::kOverview, &YearSummary::overview},
    {SectionId::kProblems, &YearSummary::problems},
}};

void CheckCopied(const YearSummary& prev, const YearSummary& cur, std::vector<Finding>* out) {
  for (const auto& p : kProse) {
    std::optional<double> share = CopiedShare(prev.*p.text, cur.*p.text);
    if (!share || *share <= kCopiedShare) continue;
    const SectionSpec& section = SectionById(p.section);
    int percent = static_cast<int>(std::lround(*share * 100));
    out->push_back(MakeFinding(
        "history.text_copied", std::string(section.field),
        std::string(section.heading) + ": " + std::to_string(percent) +
            "% of its wording in the report on " + std::to_string(*cur.year) +
            " repeats the report on " + std::to_string(*prev.year) +
            " once numbers and years are set aside (the preamble and the statistics period "
            "not counted)",
        kCopiedShare, *share));
  }
}

std::string_view FormName(Template t) {
  switch (t) {
    case Template::k2019:
      return "2019";
    case Template::k2021:
      return "2021";
    case Template::kUnknown:
      break;
  }
  return "";
}

template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string OrganizationKey(std::string_view organization) {
  std::u32string name = ToU32(RemoveSpaces(organization));
  std::u32string_view rest(name);
  size_t last = 0, pos = 0;
  while (size_t len = PlaceAt(rest.substr(pos))) {
    last = pos;
    pos += len;
  }
  return ToUtf8(rest.substr(last));
}

YearSummary SummarizeYear(const ParseOutput& output) {
  const Record& r = output.record;
  YearSummary s;
  if (output.is_report && r.organization) s.organization_key = OrganizationKey(*r.organization);
  s.organization = r.organization;
  s.year = r.year;
  s.form = r.form;
  s.report_id = r.report_id;
  s.url = r.source.url;
  for (const auto& spec : kCellPairs) {
    for (std::string_view path : {spec.row, spec.previous_row}) {
      if (auto row = RecordRow(r, path)) s.rows[std::string(path)] = std::move(*row);
    }
  }
  s.overview = output.overview_text;
  s.problems = r.problems.value_or("");
  return s;
}

std::optional<double> CopiedShare(std::string_view previous, std::string_view current) {
  std::u32string now = Wording(current);
  if (now.size() < kMinChars) return std::nullopt;
  std::set<std::u32string> mine = Shingles(now);
  std::set<std::u32string> theirs = Shingles(Wording(previous));
  size_t repeated = 0;
  for (const auto& s : mine) repeated += theirs.count(s);
  return static_cast<double>(repeated) / static_cast<double>(mine.size());
}

std::vector<Finding> CheckAcrossYears(const YearSummary& previous, const YearSummary& current) {
  std::vector<Finding> out;
  if (previous.organization_key.empty() || previous.organization_key != current.organization_key ||
      !previous.year || !current.year || *previous.year + 1 != *current.year) {
    return out;
  }
  for (const auto& spec : kCellPairs) CheckCellPair(spec, previous, current, &out);
  CheckCopied(previous, current, &out);
  return out;
}

nlohmann::json YearSummaryToJson(const YearSummary& s) {
  nlohmann::json j;
  j["organization_key"] = s.organization_key;
  j["organization"] = OrNull(s.organization);
  j["year"] = OrNull(s.year);
  std::string_view form = FormName(s.form);
  j["template"] = form.empty() ? nlohmann::json(nullptr) : nlohmann::json(form);
  j["report_id"] = s.report_id;
  j["url"] = OrNull(s.url);
  nlohmann::json rows = nlohmann::json::object();
  for (const auto& [path, cells] : s.rows) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : cells) a.push_back(OrNull(v));
    rows[path] = std::move(a);
  }
  j["rows"] = std::move(rows);
  j["overview"] = s.overview;
  j["problems"] = s.problems;
  return j;
}

Result<YearSummary> YearSummaryFromJson(const nlohmann::json& j) {
  auto bad = [](std::string what) {
    return Status::InvalidArgument("year summary: " + std::move(what));
  };
  if (!j.is_object()) return bad("not an object");
  YearSummary s;
  auto text = [&](const char* name, std::string* to) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    *to = it->get<std::string>();
    return true;
  };
  if (!text("organization_key", &s.organization_key)) return bad("organization_key");
  if (!text("report_id", &s.report_id)) return bad("report_id");
  if (!text("overview", &s.overview)) return bad("overview");
  if (!text("problems", &s.problems)) return bad("problems");
  auto optional_text = [&](const char* name, std::optional<std::string>* to) {
    auto it = j.find(name);
    if (it == j.end()) return false;
    if (it->is_null()) return true;
    if (!it->is_string()) return false;
    *to = it->get<std::string>();
    return true;
  };
  if (!optional_text("organization", &s.organization)) return bad("organization");
  if (!optional_text("url", &s.url)) return bad("url");
  auto year = j.find("year");
  if (year == j.end() || !(year->is_null() || year->is_number_integer())) return bad("year");
  if (year->is_number_integer()) s.year = year->get<int>();
  auto form = j.find("template");
  if (form == j.end() || !(form->is_null() || form->is_string())) return bad("template");
  if (form->is_string()) {
    std::string f = form->get<std::string>();
    if (f == "2019") {
      s.form = Template::k2019;
    } else if (f == "2021") {
      s.form = Template::k2021;
    } else {
      return bad("template " + f);
    }
  }
  auto rows = j.find("rows");
  if (rows == j.end() || !rows->is_object()) return bad("rows");
  for (const auto& [path, cells] : rows->items()) {
    if (!cells.is_array()) return bad("rows." + path);
    Cells out;
    for (const auto& v : cells) {
      if (v.is_null()) {
        out.emplace_back();
      } else if (v.is_number()) {
        out.emplace_back(v.get<double>());
      } else {
        return bad("rows." + path);
      }
    }
    s.rows[path] = std::move(out);
  }
  return s;
}

}  // namespace nianbao::parser
