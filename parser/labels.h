// The official forms as data: section headings, row labels, column layouts and the markers
// that tell the 2019 form (国办公开办函〔2019〕60号) from the 2021 form (国办公开办函〔2021〕30号).
//
// Rows are recognised by their labels, never by position. A label is matched against the
// normalised text of a cell (text_util.h: NormalizeLabel then StripNumbering) by substring or
// by equality, as each entry says. Adding a row, a column or a spelling is one entry here.
//
// Pure data. Threading: immutable, safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "parser/record.h"
#include "parser/text_util.h"

namespace nianbao::parser {

// Reports on this year and earlier predate the 2019 form (国办公开办函〔2019〕60号): they were
// written under the 2008 条例 with tables of their own, so no form's rows or rules apply.
inline constexpr int kLastYearBeforeTheForms = 2018;

// The six numbered sections of a report, in the form's order.
enum class SectionId { kOverview, kProactive, kApplications, kReviews, kProblems, kOther };
inline constexpr int kSectionCount = 6;

struct SectionSpec {
  SectionId id;
  std::string_view key;      // record-v1 id: "overview", "proactive", ...
  std::string_view numeral;  // 一 … 六
  std::string_view heading;  // the form's own words, for messages
  std::string_view field;    // where the record holds its content (a finding's path)
};
std::span<const SectionSpec> Sections();
const SectionSpec& SectionById(SectionId id);

// The words a heading of a section begins with (normalised, numbering stripped): the forms'
// headings, their variants and those of the reports before the 2019 form, longest first.
struct SectionHeadingSpec {
  SectionId id;
  std::string_view words;
};
std::span<const SectionHeadingSpec> SectionHeadings();

// The forms of a paragraph that the heading and content matchers below compare:
// NormalizeLabel(paragraph) and StripNumbering of it. The report parser asks all three about
// every paragraph, so it computes them once; the overloads without them compute them.
struct LabelForms {
  std::string norm;
  std::string stripped;
};
LabelForms LabelFormsOf(std::string_view paragraph);

// If a paragraph is a section heading, which one; the text after a heading's colon (as in
// "六、其他需要报告的事项：无。") is returned in *rest.
std::optional<SectionId> MatchSectionHeading(std::string_view paragraph, std::string* rest);
// REQUIRES: forms == LabelFormsOf(paragraph).
std::optional<SectionId> MatchSectionHeading(std::string_view paragraph, const LabelForms& forms,
                                             std::string* rest);

// Headings of the reports before the 2019 form that open a part the record has no section for
// (六、政府信息公开情况统计表, 四、政府信息公开的收费及减免情况, …): they end the section
// before them, and what follows them is no section's text. Numbered ("六、…") and standing
// alone, as MatchSectionHeading's are.
std::span<const std::string_view> HeadingsOfNoSection();
bool IsHeadingOfNoSection(std::string_view paragraph);
bool IsHeadingOfNoSection(const LabelForms& forms);

// Content that tells a section whose heading was lost (in an export, a conversion): a
// paragraph that opens with (kPrefix) or holds (kContains) these words, where the report is
// past the section before it and has not yet reached this one. The words of 五 and 六 only:
// the sections with tables are told by their rows, 一 by its place.
struct SectionContentSpec {
  SectionId id;
  std::string_view words;  // normalised, numbering stripped
  bool prefix;             // opens the paragraph (true) or anywhere in it (false)
};
std::span<const SectionContentSpec> SectionContentMarkers();
// The section whose content the paragraph is, by the table above; nothing otherwise.
std::optional<SectionId> MatchSectionContent(std::string_view paragraph);
std::optional<SectionId> MatchSectionContent(const LabelForms& forms);

enum class Match { kContains, kEquals };

struct LabelSpec {
  std::string_view key;      // record key, e.g. "withheld.state_secret"
  std::string_view pattern;  // normalised label text to look for
  Match match;
};

// ---- Section 二 (proactive) ----

struct ProactiveColumn {
  std::string_view field;   // record field, e.g. "made"
  std::string_view header;  // the form's column header, for messages
  bool money;               // amounts in 万元 rather than counts
};

struct ProactiveRowSpec {
  std::string_view key;    // record key, e.g. "regulations"
  std::string_view label;  // the form's row label, for messages
  std::span<const ProactiveColumn> columns;
};

std::span<const ProactiveRowSpec> ProactiveRows(Template form);
// Row labels of section 二 for both forms (key -> pattern).
std::span<const LabelSpec> ProactiveLabels();

// Group headings of section 二 (第二十条第（一）项 …) and their known misspellings.
bool IsProactiveGroupHeading(std::string_view normalized);
struct HeadingTypo {
  std::string_view wrong;    // normalised
  std::string_view correct;  // the form's own words
};
std::optional<HeadingTypo> FindHeadingTypo(std::string_view normalized);

// ---- Section 三 (applications) ----

inline constexpr int kApplicationColumns = 7;
std::span<const std::string_view> ApplicationColumnNames();  // 自然人 … 总计

struct ApplicationRowSpec {
  std::string_view key;
  std::string_view label;  // the form's words, for messages
  bool outcome;  // one of the outcome rows （一）…（六） summed into （七）总计
};
std::span<const ApplicationRowSpec> ApplicationRows(Template form);
std::span<const LabelSpec> ApplicationLabels();
// Group labels such as （三）不予公开 / （六）其他处理: they give context to the sub-rows.
std::span<const LabelSpec> ApplicationGroups();

// ---- Section 四 (reviews and litigation) ----

inline constexpr int kReviewColumns = 5;
std::span<const std::string_view> ReviewColumnNames();  // 结果维持 … 总计
struct ReviewGroupSpec {
  std::string_view key;    // "review", "litigation_direct", "litigation_after_review"
  std::string_view label;  // 行政复议 …
};
std::span<const ReviewGroupSpec> ReviewGroups();
std::span<const LabelSpec> ReviewLabels();

// ---- Header rows and form markers ----

// Words that only appear in header rows (信息内容, 自然人, 结果维持, …).
bool IsHeaderWord(std::string_view normalized);
// Evidence for one form or the other in a normalised header or label cell.
Template FormMarker(std::string_view normalized);

// Matches a normalised, numbering-stripped label against a table; returns the key or "".
std::string_view MatchLabel(std::span<const LabelSpec> table, std::string_view label);

}  // namespace nianbao::parser
