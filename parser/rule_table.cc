#include "parser/rule_table.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace nianbao::parser {
namespace {

constexpr std::array<RuleSpec, 22> kRules = {{
    {"structure.section_missing", Severity::kError,
     "one of the six numbered sections is absent and its content is not found either"},
    {"structure.row_missing", Severity::kError, "a row of the template is absent from its table"},
    {"structure.cell_count", Severity::kWarning, "a row has fewer or more cells than the template"},
    {"structure.bad_value", Severity::kError,
     "a cell is neither a number nor an accepted empty mark"},
    {"structure.cells_merged", Severity::kError,
     "a row's cells ran together in the text and cannot be told apart"},
    {"structure.heading_typo", Severity::kWarning,
     "a table heading or row label is wrong in a known way"},
    {"structure.image_only", Severity::kWarning,
     "the document's tables are images (a scan, pictures of tables) and could not be read"},
    {"applications.row_total", Severity::kError,
     "a row's 总计 differs from the sum of its six applicant columns"},
    {"applications.outcome_total", Severity::kError,
     "（七）总计 differs from the sum of the outcome rows"},
    {"applications.balance", Severity::kError, "一 + 二 differs from 三（七）总计 + 四"},
    {"reviews.total", Severity::kError, "a group's 总计 differs from the sum of its results"},
    {"narrative.parts_sum", Severity::kWarning,
     "the prose gives a total and parts that add up to more"},
    {"narrative.conflict", Severity::kWarning,
     "the prose states the same quantity twice with different numbers"},
    {"narrative.table_mismatch", Severity::kWarning, "the prose and a table disagree"},
    {"meta.published_late", Severity::kWarning, "posted after its deadline (条例 第四十九条)"},
    {"meta.year_mismatch", Severity::kWarning,
     "the title's year and the statistics period disagree"},
    {"meta.template_mismatch", Severity::kWarning, "the report uses the form of another period"},
    {"meta.not_a_report", Severity::kError, "the document is not recognisable as an annual report"},
    {"meta.unreadable_document", Severity::kError,
     "a document (DOCX, DOC/WPS, PDF, OFD) that its reader cannot read"},
    {"history.carried_over", Severity::kError,
     "三 二、上年结转 differs from 四、结转下年度继续办理 of the year before"},
    {"history.previous_items", Severity::kWarning,
     "上一年项目数量 differs from the year before's 上一年项目数量 + 本年增/减 (2019 form)"},
    {"history.text_copied", Severity::kWarning,
     "most of section 一 or 五 repeats the year before's text once numbers are set aside"},
}};

}  // namespace

std::span<const RuleSpec> Rules() { return kRules; }

const RuleSpec* FindRule(std::string_view id) {
  for (const auto& r : kRules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Finding MakeFinding(std::string_view rule, std::optional<std::string> path, std::string message,
                    std::optional<double> expected, std::optional<double> actual) {
  const RuleSpec* spec = FindRule(rule);
  if (spec == nullptr) {
    std::fprintf(stderr, "nianbao: internal error: unknown rule id %.*s\n",
                 static_cast<int>(rule.size()), rule.data());
    std::abort();
  }
  Finding f;
  f.rule = std::string(spec->id);
  f.severity = spec->severity;
  f.path = std::move(path);
  f.message = std::move(message);
  f.expected = expected;
  f.actual = actual;
  return f;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "error";
}

bool ValuesDiffer(double a, double b) { return std::fabs(a - b) > 1e-6; }

std::string FormatValue(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

}  // namespace nianbao::parser
