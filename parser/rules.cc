#include "parser/rules.h"

#include <array>
#include <cmath>
#include <cstdio>

#include "parser/labels.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

using Table = std::map<std::string, std::optional<Cells>>;

const Cells* Row(const std::optional<Table>& table, std::string_view key) {
  if (!table) return nullptr;
  auto it = table->find(std::string(key));
  if (it == table->end() || !it->second) return nullptr;
  return &*it->second;
}

double Or0(const Value& v) { return v.value_or(0); }

// True when cells [begin, end) of a row are all null: a sum of them compares nothing.
bool AllNull(const Cells& row, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < row.size(); ++i) {
    if (row[i]) return false;
  }
  return true;
}
// True when the report parser could not tell a row's cells apart (structure.cells_merged on
// the row) or did not find the row (structure.row_missing): its values are unknown, not blank,
// and a sum over it compares nothing.
// `found` is what was found before the record-level rules ran (the structural findings come
// first: parser.cc hands them over before RunRules).
bool Unreadable(const std::vector<Finding>& found, std::string_view row_path) {
  for (const Finding& f : found) {
    if ((f.rule == "structure.cells_merged" || f.rule == "structure.row_missing") &&
        f.path == row_path) {
      return true;
    }
  }
  return false;
}

// ---- applications.* ----

// Each row: 总计 = the six applicant columns.
void CheckRowTotals(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  if (!r.applications) return;
  for (const auto& spec : ApplicationRows(r.form)) {
    const Cells* row = Row(r.applications, spec.key);
    if (row == nullptr || !(*row)[6] || AllNull(*row, 0, 6)) continue;
    double sum = 0;
    for (int c = 0; c < 6; ++c) sum += Or0((*row)[static_cast<size_t>(c)]);
    if (!ValuesDiffer(sum, *(*row)[6])) continue;
    out->push_back(MakeFinding("applications.row_total",
                               "applications." + std::string(spec.key) + "[6]",
                               std::string(spec.label) + ": 总计 is " + FormatValue(*(*row)[6]) +
                                   " but the six applicant columns add up to " + FormatValue(sum),
                               sum, *(*row)[6]));
  }
}

// （七）总计 = the outcome rows （一）…（六）, column by column.
void CheckOutcomeTotal(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  const Cells* total = Row(r.applications, "total");
  if (total == nullptr || Unreadable(*out, "applications.total")) return;
  for (const auto& spec : ApplicationRows(r.form)) {
    if (spec.outcome && Unreadable(*out, "applications." + std::string(spec.key))) return;
  }
  auto columns = ApplicationColumnNames();
  for (size_t c = 0; c < kApplicationColumns; ++c) {
    if (!(*total)[c]) continue;
    double sum = 0;
    bool any_part = false;
    for (const auto& spec : ApplicationRows(r.form)) {
      if (!spec.outcome) continue;
      if (const Cells* row = Row(r.applications, spec.key)) {
        sum += Or0((*row)[c]);
        any_part = any_part || (*row)[c].has_value();
      }
    }
    // A column the page left blank in every outcome row: nothing to compare.
    if (!any_part) continue;
    if (!ValuesDiffer(sum, *(*total)[c])) continue;
    out->push_back(
        MakeFinding("applications.outcome_total", "applications.total[" + std::to_string(c) + "]",
                    "（七）总计 / " + std::string(columns[c]) + " is " + FormatValue(*(*total)[c]) +
                        " but the outcome rows （一） to （六） add up to " + FormatValue(sum),
                    sum, *(*total)[c]));
  }
}

// 一 + 二 = 三（七）总计 + 四, column by column (the 勾稽关系 printed on the form).
void CheckBalance(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  const Cells* fresh = Row(r.applications, "new");
  const Cells* carried = Row(r.applications, "carried_over");
  const Cells* total = Row(r.applications, "total");
  const Cells* forward = Row(r.applications, "carried_forward");
  if (!fresh || !carried || !total || !forward) return;  // row_missing already says so
  for (std::string_view key : {"new", "carried_over", "total", "carried_forward"}) {
    if (Unreadable(*out, "applications." + std::string(key))) return;
  }
  auto columns = ApplicationColumnNames();
  for (size_t c = 0; c < kApplicationColumns; ++c) {
    // Quiet when either side is wholly blank: nothing is compared.
    if ((!(*fresh)[c] && !(*carried)[c]) || (!(*total)[c] && !(*forward)[c])) continue;
    double in_sum = Or0((*fresh)[c]) + Or0((*carried)[c]);
    double out_sum = Or0((*total)[c]) + Or0((*forward)[c]);
    if (!ValuesDiffer(in_sum, out_sum)) continue;
    out->push_back(MakeFinding(
        "applications.balance", "applications.total[" + std::to_string(c) + "]",
        std::string(columns[c]) + ": 一、本年新收 + 二、上年结转 = " + FormatValue(in_sum) +
            " but 三（七）总计 + 四、结转下年度继续办理 = " + FormatValue(out_sum),
        in_sum, out_sum));
  }
}

// ---- reviews.total ----

void CheckReviewTotals(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  for (const auto& g : ReviewGroups()) {
    const Cells* row = Row(r.reviews_litigation, g.key);
    if (row == nullptr || !(*row)[4] || AllNull(*row, 0, 4)) continue;
    double sum = Or0((*row)[0]) + Or0((*row)[1]) + Or0((*row)[2]) + Or0((*row)[3]);
    if (!ValuesDiffer(sum, *(*row)[4])) continue;
    out->push_back(
        MakeFinding("reviews.total", "reviews_litigation." + std::string(g.key) + "[4]",
                    std::string(g.label) + ": 总计 is " + FormatValue(*(*row)[4]) +
                        " but 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = " + FormatValue(sum),
                    sum, *(*row)[4]));
  }
}

// ---- narrative.table_mismatch ----

void CheckNarrativeVsTables(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  const auto& received = in.narrative.values.applications_received;
  const Cells* fresh = Row(r.applications, "new");
  const Cells* carried = Row(r.applications, "carried_over");
  // Prose may count the applications received including those carried over from last year
  // (收到75件 where 新收 is 74 and 上年结转 1): the same fact, stated differently.
  bool with_carried = received && fresh && (*fresh)[6] && carried && (*carried)[6] &&
                      !ValuesDiffer(static_cast<double>(*received), *(*fresh)[6] + *(*carried)[6]);
  if (received && fresh && (*fresh)[6] && !with_carried &&
      ValuesDiffer(static_cast<double>(*received), *(*fresh)[6])) {
    out->push_back(MakeFinding(
        "narrative.table_mismatch", "applications.new[6]",
        "section 一 says " + std::to_string(*received) +
            " applications were received, but 一、本年新收政府信息公开申请数量 / 总计 is " +
            FormatValue(*(*fresh)[6]),
        static_cast<double>(*received), *(*fresh)[6]));
  }
  if (in.narrative.claims_no_reviews && r.reviews_litigation) {
    double cases = 0;
    for (const auto& g : ReviewGroups()) {
      if (const Cells* row = Row(r.reviews_litigation, g.key)) {
        for (size_t c = 0; c < 4; ++c) cases += Or0((*row)[c]);
      }
    }
    if (cases > 0) {
      out->push_back(MakeFinding("narrative.table_mismatch", "reviews_litigation",
                                 "section 一 says there were no administrative reviews or "
                                 "lawsuits, but section 四 counts " +
                                     FormatValue(cases),
                                 0.0, cases));
    }
  }
}

// ---- meta.* ----

struct DeadlineSpec {
  std::u32string_view suffix;  // of the organisation's name, after 人民政府 is dropped
  int month;                   // deadline in the year after the report's year
  int day;
  std::string_view kind;  // for the message
};
// 条例 第四十九条: departments, towns and streets by 31 January; a county-level or higher
// government's consolidated report on its region by 31 March. Longest suffixes first.
constexpr std::array<DeadlineSpec, 24> kDeadlines = {{
    {U"街道办事处", 1, 31, "street office"},
    {U"街道", 1, 31, "street"},
    {U"办事处", 1, 31, "office"},
    {U"镇", 1, 31, "town"},
    {U"乡", 1, 31, "township"},
    {U"办公室", 1, 31, "office"},
    {U"委员会", 1, 31, "department"},
    {U"局", 1, 31, "department"},
    {U"厅", 1, 31, "department"},
    {U"委", 1, 31, "department"},
    {U"办", 1, 31, "office"},
    {U"中心", 1, 31, "agency"},
    {U"院", 1, 31, "agency"},
    {U"所", 1, 31, "agency"},
    {U"署", 1, 31, "agency"},
    {U"自治区", 3, 31, "regional government"},
    {U"自治州", 3, 31, "regional government"},
    {U"自治县", 3, 31, "regional government"},
    {U"实验区", 3, 31, "regional government"},
    {U"省", 3, 31, "regional government"},
    {U"市", 3, 31, "regional government"},
    {U"区", 3, 31, "regional government"},
    {U"县", 3, 31, "regional government"},
    {U"旗", 3, 31, "regional government"},
}};

void CheckPublishedLate(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  if (!r.published_on || !r.year) return;
  const ReportDeadline d = DeadlineOf(r.organization.value_or(""), *r.year);
  if (*r.published_on <= d.date) return;
  out->push_back(MakeFinding(
      "meta.published_late", "published_on",
      "published on " + *r.published_on + ", after the deadline " + d.date + " for a " +
          std::string(d.kind) + "'s report on " + std::to_string(*r.year) +
          (*r.year <= kLastYearBeforeTheForms ? " (2008 条例 第三十一条)" : " (条例 第四十九条)")));
}

void CheckYear(const RuleInput& in, std::vector<Finding>* out) {
  const auto& p = in.parsed;
  if (p.title_year && p.period_year && *p.title_year != *p.period_year) {
    out->push_back(MakeFinding("meta.year_mismatch", "year",
                               "the title is on " + std::to_string(*p.title_year) +
                                   " but the statistics period is " +
                                   std::to_string(*p.period_year),
                               *p.title_year, *p.period_year));
  }
}

void CheckTemplate(const RuleInput& in, std::vector<Finding>* out) {
  const Record& r = in.parsed.record;
  if (!r.year || r.form == Template::kUnknown) return;
  if (*r.year >= 2021 && r.form == Template::k2019) {
    out->push_back(MakeFinding("meta.template_mismatch", "template",
                               "a report on " + std::to_string(*r.year) +
                                   " uses the 2019 form (国办公开办函〔2019〕60号) where the 2021 "
                                   "form (国办公开办函〔2021〕30号) applies"));
  } else if (*r.year <= 2020 && r.form == Template::k2021) {
    out->push_back(MakeFinding("meta.template_mismatch", "template",
                               "a report on " + std::to_string(*r.year) +
                                   " uses the 2021 form (国办公开办函〔2021〕30号), which applies "
                                   "from the reports on 2021"));
  }
}

// The record-level checks, in the order they run. Each id is one of rule_table.h's.
struct RuleCheckSpec {
  std::string_view id;
  void (*check)(const RuleInput& in, std::vector<Finding>* out);
};
constexpr std::array<RuleCheckSpec, 8> kChecks = {{
    {"applications.row_total", CheckRowTotals},
    {"applications.outcome_total", CheckOutcomeTotal},
    {"applications.balance", CheckBalance},
    {"reviews.total", CheckReviewTotals},
    {"narrative.table_mismatch", CheckNarrativeVsTables},
    {"meta.published_late", CheckPublishedLate},
    {"meta.year_mismatch", CheckYear},
    {"meta.template_mismatch", CheckTemplate},
}};

}  // namespace

ReportDeadline DeadlineOf(std::string_view organization, int year) {
  std::u32string org = ToU32(organization);
  static constexpr std::u32string_view kGov = U"人民政府";
  if (org.size() > kGov.size() && org.substr(org.size() - kGov.size()) == kGov) {
    org.resize(org.size() - kGov.size());
  }
  // An organisation we cannot classify gets the later deadline: no alert without cause.
  int month = 3, day = 31;
  std::string_view kind = "report";
  // Reports on 2018 and earlier fell under the 2008 条例 (第三十一条): 31 March for every body.
  const bool old_regulation = year <= kLastYearBeforeTheForms;
  for (const auto& d : kDeadlines) {
    if (old_regulation) break;
    if (org.size() >= d.suffix.size() && org.substr(org.size() - d.suffix.size()) == d.suffix) {
      month = d.month;
      day = d.day;
      kind = d.kind;
      break;
    }
  }
  char date[48];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", year + 1, month, day);
  return ReportDeadline{date, kind, kind == "regional government"};
}

void RunRules(const RuleInput& in, std::vector<Finding>* findings) {
  for (const auto& c : kChecks) c.check(in, findings);
}

}  // namespace nianbao::parser
