#include "parser/labels.h"

#include <array>

namespace nianbao::parser {
namespace {

constexpr std::array<SectionSpec, kSectionCount> kSections = {{
    {SectionId::kOverview, "overview", "一", "一、总体情况", "narrative"},
    {SectionId::kProactive, "proactive", "二", "二、主动公开政府信息情况", "proactive"},
    {SectionId::kApplications, "applications", "三", "三、收到和处理政府信息公开申请情况",
     "applications"},
    {SectionId::kReviews, "reviews_litigation", "四", "四、政府信息公开行政复议、行政诉讼情况",
     "reviews_litigation"},
    {SectionId::kProblems, "problems", "五", "五、存在的主要问题及改进情况", "problems"},
    {SectionId::kOther, "other", "六", "六、其他需要报告的事项", "other_matters"},
}};

// The words a section heading begins with, after normalisation and numbering: the forms' own
// (2019 and 2021), the variants portals write, and those of the reports before the 2019 form
// (一、概述 … 五、…存在的主要问题和改进措施). Longer variants come first, so that a heading
// run together with its text ("五、存在的主要问题和改进措施虽然…") is cut after the whole
// heading.
constexpr std::array<SectionHeadingSpec, 24> kSectionHeadings = {{
    {SectionId::kOverview, "总体情况"},
    {SectionId::kOverview, "概述"},
    {SectionId::kProactive, "主动公开政府信息情况"},
    {SectionId::kProactive, "主动公开政府信息的情况"},
    {SectionId::kProactive, "政府信息主动公开情况"},
    {SectionId::kApplications, "收到和处理政府信息公开申请情况"},
    {SectionId::kApplications, "收到和处理政府信息公开申请的情况"},
    {SectionId::kApplications, "政府信息依申请公开工作情况"},
    {SectionId::kApplications, "政府信息依申请公开情况"},
    {SectionId::kApplications, "依申请公开、不予公开"},
    {SectionId::kReviews, "政府信息公开行政复议、行政诉讼情况"},
    {SectionId::kReviews, "因政府信息公开申请行政复议、提起行政诉讼的情况"},
    {SectionId::kReviews, "行政复议、行政诉讼情况"},
    {SectionId::kReviews, "申请行政复议、提起行政诉讼"},
    {SectionId::kProblems, "政府信息公开工作存在的主要问题及改进情况"},
    {SectionId::kProblems, "存在的主要问题及改进情况"},
    {SectionId::kProblems, "存在的主要问题及整改措施"},
    {SectionId::kProblems, "存在的主要问题及改进措施"},
    {SectionId::kProblems, "存在的主要问题和改进措施"},
    {SectionId::kProblems, "存在的主要问题和改进情况"},
    {SectionId::kProblems, "政府信息公开工作存在的主要问题"},
    {SectionId::kProblems, "存在的主要问题"},
    {SectionId::kOther, "其他需要报告的事项"},
    {SectionId::kOther, "其他需要报告事项"},
}};

// Old headings that open a part no record section holds (see labels.h).
constexpr std::array<std::string_view, 6> kHeadingsOfNoSection = {
    "政府信息公开情况统计表",       "政府信息公开工作情况统计表", "政府信息公开统计表",
    "政府信息公开的收费及减免情况", "政府信息公开收费及减免情况", "工作人员及信息公开事务支出情况",
};

// What the text of 五 and 六 opens with or holds when their headings were lost. 五 states its
// problems and the measures against them; 六 reports the fees charged (信息处理费) or that
// there is nothing else to report. Prose of 一 may name these words too ("本报告包括…存在的
// 主要问题及改进情况…"): the parser takes them only past the section before (report_parser).
constexpr std::array<SectionContentSpec, 10> kSectionContent = {{
    {SectionId::kProblems, "存在的主要问题", true},
    {SectionId::kProblems, "存在的问题", true},
    {SectionId::kProblems, "主要问题", true},
    {SectionId::kProblems, "改进措施", true},
    {SectionId::kProblems, "整改措施", true},
    {SectionId::kProblems, "改进情况", true},
    {SectionId::kProblems, "下一步", true},
    {SectionId::kOther, "信息处理费", false},
    {SectionId::kOther, "其他需要报告", false},
    {SectionId::kOther, "政务公开工作要点", true},
}};

// ---- Section 二 ----

constexpr std::array<ProactiveColumn, 3> k2019Documents = {{
    {"made", "本年新制作数量", false},
    {"published", "本年新公开数量", false},
    {"total", "对外公开总数量", false},
}};
constexpr std::array<ProactiveColumn, 3> k2019Items = {{
    {"previous", "上一年项目数量", false},
    {"change", "本年增/减", false},
    {"decisions", "处理决定数量", false},
}};
constexpr std::array<ProactiveColumn, 2> k2019Fees = {{
    {"previous", "上一年项目数量", false},
    {"change", "本年增/减", false},
}};
constexpr std::array<ProactiveColumn, 2> k2019Procurement = {{
    {"projects", "采购项目数量", false},
    {"amount_wan", "采购总金额", true},
}};
constexpr std::array<ProactiveRowSpec, 8> k2019Proactive = {{
    {"regulations", "规章", k2019Documents},
    {"normative_documents", "规范性文件", k2019Documents},
    {"licensing", "行政许可", k2019Items},
    {"other_services", "其他对外管理服务事项", k2019Items},
    {"penalty", "行政处罚", k2019Items},
    {"coercion", "行政强制", k2019Items},
    {"fees", "行政事业性收费", k2019Fees},
    {"procurement", "政府集中采购", k2019Procurement},
}};

constexpr std::array<ProactiveColumn, 3> k2021Documents = {{
    {"issued", "本年制发件数", false},
    {"repealed", "本年废止件数", false},
    {"in_force", "现行有效件数", false},
}};
constexpr std::array<ProactiveColumn, 1> k2021Decisions = {{
    {"decisions", "本年处理决定数量", false},
}};
constexpr std::array<ProactiveColumn, 1> k2021Fees = {{
    {"amount_wan", "本年收费金额（单位：万元）", true},
}};
constexpr std::array<ProactiveRowSpec, 6> k2021Proactive = {{
    {"regulations", "规章", k2021Documents},
    {"normative_documents", "行政规范性文件", k2021Documents},
    {"licensing", "行政许可", k2021Decisions},
    {"penalty", "行政处罚", k2021Decisions},
    {"coercion", "行政强制", k2021Decisions},
    {"fees", "行政事业性收费", k2021Fees},
}};

constexpr std::array<LabelSpec, 8> kProactiveLabels = {{
    {"regulations", "规章", Match::kEquals},
    {"normative_documents", "规范性文件", Match::kContains},
    {"licensing", "行政许可", Match::kContains},
    {"other_services", "对外管理服务事项", Match::kContains},
    {"penalty", "行政处罚", Match::kContains},
    {"coercion", "行政强制", Match::kContains},
    {"fees", "行政事业性收费", Match::kContains},
    {"procurement", "集中采购", Match::kContains},
}};

constexpr std::array<HeadingTypo, 1> kHeadingTypos = {{
    {"第二十六条第(六)项", "第二十条第（六）项"},
}};

// ---- Section 三 ----

constexpr std::array<std::string_view, kApplicationColumns> kApplicationColumnNames = {
    "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"};

#define NB_OUTCOME_ROWS_COMMON                                                               \
  {"disclosed", "（一）予以公开", true}, {"partially_disclosed", "（二）部分公开", true},    \
      {"withheld.state_secret", "（三）不予公开 1.属于国家秘密", true},                      \
      {"withheld.prohibited", "（三）不予公开 2.其他法律行政法规禁止公开", true},            \
      {"withheld.three_safeties", "（三）不予公开 3.危及“三安全一稳定”", true},              \
      {"withheld.third_party", "（三）不予公开 4.保护第三方合法权益", true},                 \
      {"withheld.internal", "（三）不予公开 5.属于三类内部事务信息", true},                  \
      {"withheld.process", "（三）不予公开 6.属于四类过程性信息", true},                     \
      {"withheld.enforcement_file", "（三）不予公开 7.属于行政执法案卷", true},              \
      {"withheld.query", "（三）不予公开 8.属于行政查询事项", true},                         \
      {"unavailable.not_held", "（四）无法提供 1.本机关不掌握相关政府信息", true},           \
      {"unavailable.needs_creation", "（四）无法提供 2.没有现成信息需要另行制作", true},     \
      {"unavailable.unclear", "（四）无法提供 3.补正后申请内容仍不明确", true},              \
      {"not_processed.petition", "（五）不予处理 1.信访举报投诉类申请", true},               \
      {"not_processed.duplicate", "（五）不予处理 2.重复申请", true},                        \
      {"not_processed.publication", "（五）不予处理 3.要求提供公开出版物", true},            \
      {"not_processed.excessive", "（五）不予处理 4.无正当理由大量反复申请", true}, {        \
    "not_processed.reconfirm", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息", true \
  }

constexpr std::array<ApplicationRowSpec, 23> k2019Applications = {{
    {"new", "一、本年新收政府信息公开申请数量", false},
    {"carried_over", "二、上年结转政府信息公开申请数量", false},
    NB_OUTCOME_ROWS_COMMON,
    {"other", "（六）其他处理", true},
    {"total", "（七）总计", false},
    {"carried_forward", "四、结转下年度继续办理", false},
}};
constexpr std::array<ApplicationRowSpec, 25> k2021Applications = {{
    {"new", "一、本年新收政府信息公开申请数量", false},
    {"carried_over", "二、上年结转政府信息公开申请数量", false},
    NB_OUTCOME_ROWS_COMMON,
    {"other.no_correction", "（六）其他处理 1.申请人无正当理由逾期不补正", true},
    {"other.unpaid_fee", "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用", true},
    {"other.other", "（六）其他处理 3.其他", true},
    {"total", "（七）总计", false},
    {"carried_forward", "四、结转下年度继续办理", false},
}};
#undef NB_OUTCOME_ROWS_COMMON

// Order matters: the first match wins, so specific patterns come before general ones.
constexpr std::array<LabelSpec, 28> kApplicationLabels = {{
    {"new", "本年新收", Match::kContains},
    {"carried_over", "上年结转", Match::kContains},
    {"carried_forward", "结转下年度", Match::kContains},
    {"partially_disclosed", "部分公开", Match::kContains},
    {"disclosed", "予以公开", Match::kContains},
    {"withheld.state_secret", "国家秘密", Match::kContains},
    {"withheld.prohibited", "禁止公开", Match::kContains},
    // Printed "2.其他法律行政止公开" (words dropped) in real reports.
    {"withheld.prohibited", "其他法律行政", Match::kContains},
    {"withheld.three_safeties", "三安全一稳定", Match::kContains},
    {"withheld.third_party", "第三方", Match::kContains},
    {"withheld.internal", "内部事务", Match::kContains},
    {"withheld.process", "过程性信息", Match::kContains},
    {"withheld.enforcement_file", "执法案卷", Match::kContains},
    {"withheld.query", "查询事项", Match::kContains},
    {"unavailable.not_held", "不掌握", Match::kContains},
    {"unavailable.needs_creation", "另行制作", Match::kContains},
    {"unavailable.unclear", "不明确", Match::kContains},
    {"not_processed.petition", "信访", Match::kContains},
    {"not_processed.duplicate", "重复申请", Match::kContains},
    {"not_processed.publication", "出版物", Match::kContains},
    {"not_processed.excessive", "大量反复", Match::kContains},
    {"not_processed.reconfirm", "重新出具", Match::kContains},
    {"other.no_correction", "逾期不补正", Match::kContains},
    {"other.unpaid_fee", "缴纳费用", Match::kContains},
    {"other.unpaid_fee", "收费通知", Match::kContains},
    {"other", "其他处理", Match::kContains},
    {"total", "总计", Match::kEquals},
    {"total", "合计", Match::kEquals},
}};

constexpr std::array<LabelSpec, 5> kApplicationGroups = {{
    // Equal, not contained: "三、本年度办理结果 （一）予以公开" in one cell is the row （一）.
    {"outcomes", "本年度办理结果", Match::kEquals},
    {"withheld", "不予公开", Match::kEquals},
    {"unavailable", "无法提供", Match::kEquals},
    {"not_processed", "不予处理", Match::kEquals},
    {"other", "其他处理", Match::kEquals},
}};

// ---- Section 四 ----

constexpr std::array<std::string_view, kReviewColumns> kReviewColumnNames = {
    "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"};
constexpr std::array<ReviewGroupSpec, 3> kReviewGroups = {{
    {"review", "行政复议"},
    {"litigation_direct", "行政诉讼 未经复议直接起诉"},
    {"litigation_after_review", "行政诉讼 复议后起诉"},
}};
constexpr std::array<LabelSpec, 3> kReviewLabels = {{
    {"litigation_direct", "未经复议直接起诉", Match::kContains},
    {"litigation_after_review", "复议后起诉", Match::kContains},
    {"review", "行政复议", Match::kEquals},
}};

// ---- Headers and markers ----

constexpr std::array<std::string_view, 14> kHeaderWords = {
    "信息内容", "申请人情况",   "自然人",       "法人或其他组织", "商业企业",
    "科研机构", "社会公益组织", "法律服务机构", "结果维持",       "结果纠正",
    "其他结果", "尚未审结",     "勾稽关系",     "行政诉讼"};

struct FormMarkerSpec {
  std::string_view pattern;
  Template form;
};
constexpr std::array<FormMarkerSpec, 13> kFormMarkers = {{
    {"本年新制作数量", Template::k2019},
    {"本年新公开数量", Template::k2019},
    {"对外公开总数量", Template::k2019},
    {"上一年项目数量", Template::k2019},
    {"对外管理服务事项", Template::k2019},
    {"集中采购", Template::k2019},
    {"采购项目数量", Template::k2019},
    {"本年制发件数", Template::k2021},
    {"本年废止件数", Template::k2021},
    {"现行有效件数", Template::k2021},
    {"本年收费金额", Template::k2021},
    {"逾期不补正", Template::k2021},
    {"收费通知", Template::k2021},
}};

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

std::span<const SectionSpec> Sections() { return kSections; }

const SectionSpec& SectionById(SectionId id) { return kSections[static_cast<size_t>(id)]; }

std::span<const SectionHeadingSpec> SectionHeadings() { return kSectionHeadings; }

LabelForms LabelFormsOf(std::string_view paragraph) {
  LabelForms forms;
  forms.norm = NormalizeLabel(paragraph);
  forms.stripped = StripNumbering(forms.norm);
  return forms;
}

std::optional<SectionId> MatchSectionHeading(std::string_view paragraph, std::string* rest) {
  return MatchSectionHeading(paragraph, LabelFormsOf(paragraph), rest);
}

std::optional<SectionId> MatchSectionHeading(std::string_view paragraph, const LabelForms& forms,
                                             std::string* rest) {
  const std::string& norm = forms.norm;
  // Headings are short; a long paragraph that mentions 总体情况 is prose.
  if (norm.size() > 3 * 60) {
    // A heading may carry content after a colon: "六、其他需要报告的事项：无。"
    auto colon = norm.find(':');
    if (colon == std::string::npos || colon > 3 * 40) return std::nullopt;
  }
  const std::string& stripped = forms.stripped;
  // "（二）依申请公开情况。…" is a paragraph of section 一 that numbers its own parts: sections
  // are numbered 一、 … 六、 (or 1. …), never in brackets.
  if (!norm.empty() && norm.front() == '(') return std::nullopt;
  bool numbered = stripped.size() != norm.size();
  for (const auto& h : kSectionHeadings) {
    if (stripped.rfind(h.words, 0) != 0) continue;
    // "六、其他需要报告的事项：无。" -> rest "无。"; unnumbered headings must stand alone
    // (004 writes "总体情况" on its own line), prose never starts with the words.
    std::string_view after = std::string_view(stripped).substr(h.words.size());
    while (!after.empty() && (after.front() == '.' || after.front() == ':')) after.remove_prefix(1);
    if (!numbered && after.size() > 3 * 2) continue;
    if (rest != nullptr) {
      // The content after the colon, in the report's own characters (not normalised).
      rest->clear();
      for (std::string_view colon : {"：", ":"}) {
        auto pos = paragraph.find(colon);
        if (pos != std::string_view::npos && !after.empty()) {
          *rest = CollapseSpaces(paragraph.substr(pos + colon.size()));
          break;
        }
      }
    }
    return h.id;
  }
  return std::nullopt;
}

std::span<const std::string_view> HeadingsOfNoSection() { return kHeadingsOfNoSection; }

bool IsHeadingOfNoSection(std::string_view paragraph) {
  return IsHeadingOfNoSection(LabelFormsOf(paragraph));
}

bool IsHeadingOfNoSection(const LabelForms& forms) {
  const std::string& norm = forms.norm;
  if (norm.size() > 3 * 40) return false;
  const std::string& stripped = forms.stripped;
  bool numbered = stripped.size() != norm.size();
  for (auto words : kHeadingsOfNoSection) {
    if (stripped.rfind(words, 0) != 0) continue;
    // Numbered, or standing alone: "六、政府信息公开情况统计表" / "政府信息公开情况统计表".
    if (numbered || stripped.size() - words.size() <= 3 * 2) return true;
  }
  return false;
}

std::span<const SectionContentSpec> SectionContentMarkers() { return kSectionContent; }

std::optional<SectionId> MatchSectionContent(std::string_view paragraph) {
  return MatchSectionContent(LabelFormsOf(paragraph));
}

std::optional<SectionId> MatchSectionContent(const LabelForms& forms) {
  const std::string& label = forms.stripped;
  for (const auto& m : kSectionContent) {
    bool hit = m.prefix ? label.rfind(m.words, 0) == 0 : Contains(label, m.words);
    if (hit) return m.id;
  }
  return std::nullopt;
}

std::span<const ProactiveRowSpec> ProactiveRows(Template form) {
  if (form == Template::k2021) return k2021Proactive;
  return k2019Proactive;
}
std::span<const LabelSpec> ProactiveLabels() { return kProactiveLabels; }

bool IsProactiveGroupHeading(std::string_view normalized) {
  // 第二十条第(一)项, possibly mistyped as 第二十六条第(六)项: "第…条第(…)项".
  if (normalized.rfind("第", 0) != 0) return false;
  auto tiao = normalized.find("条第(");
  return tiao != std::string_view::npos && normalized.size() - tiao < 3 * 8 &&
         normalized.substr(normalized.size() - 3) == "项";
}

std::optional<HeadingTypo> FindHeadingTypo(std::string_view normalized) {
  for (const auto& t : kHeadingTypos) {
    if (normalized == t.wrong) return t;
  }
  return std::nullopt;
}

std::span<const std::string_view> ApplicationColumnNames() { return kApplicationColumnNames; }
std::span<const ApplicationRowSpec> ApplicationRows(Template form) {
  if (form == Template::k2021) return k2021Applications;
  return k2019Applications;
}
std::span<const LabelSpec> ApplicationLabels() { return kApplicationLabels; }
std::span<const LabelSpec> ApplicationGroups() { return kApplicationGroups; }

std::span<const std::string_view> ReviewColumnNames() { return kReviewColumnNames; }
std::span<const ReviewGroupSpec> ReviewGroups() { return kReviewGroups; }
std::span<const LabelSpec> ReviewLabels() { return kReviewLabels; }

bool IsHeaderWord(std::string_view normalized) {
  for (auto w : kHeaderWords) {
    if (Contains(normalized, w)) return true;
  }
  return false;
}

Template FormMarker(std::string_view normalized) {
  for (const auto& m : kFormMarkers) {
    if (Contains(normalized, m.pattern)) return m.form;
  }
  return Template::kUnknown;
}

std::string_view MatchLabel(std::span<const LabelSpec> table, std::string_view label) {
  if (label.empty()) return {};
  for (const auto& l : table) {
    bool hit = l.match == Match::kEquals ? label == l.pattern : Contains(label, l.pattern);
    if (hit) return l.key;
  }
  return {};
}

}  // namespace nianbao::parser
