#include "parser/report_parser.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string_view>

#include "parser/labels.h"
#include "parser/rule_table.h"
#include "parser/run_on.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

constexpr int kNoSection = -1;
// The text under an old heading that opens a part the record has no section for
// (六、政府信息公开情况统计表): after every section, so that no section's text takes it.
constexpr int kNoRecordSection = kSectionCount;
// The longest line taken for (part of) a row label standing above its values.
constexpr size_t kMaxLabelLine = 40;

bool IsDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

// Reads a 4-digit year followed by 年 at position i of s; 0 when there is none.
int YearAt(std::u32string_view s, size_t i) {
  if (i + 5 > s.size()) return 0;
  int y = 0;
  for (size_t k = 0; k < 4; ++k) {
    if (!IsDigit(s[i + k])) return 0;
    y = y * 10 + static_cast<int>(s[i + k] - U'0');
  }
  if (s[i + 4] != U'年' || y < 1990 || y > 2100) return 0;
  if (i > 0 && IsDigit(s[i - 1])) return 0;
  return y;
}

// The first "YYYY年" in s, with its position.
std::optional<std::pair<int, size_t>> FirstYear(std::u32string_view s) {
  for (size_t i = 0; i + 5 <= s.size(); ++i) {
    if (int y = YearAt(s, i)) return std::make_pair(y, i);
  }
  return std::nullopt;
}

// "2021年1月19日", "2021-01-19", "2021.1.19", "2021/1/19" standing alone -> "2021-01-19".
std::optional<std::string> ParseStandaloneDate(std::string_view text) {
  std::u32string s = ToU32(RemoveSpaces(text));
  for (auto& c : s) c = FoldWidth(c);
  int parts[3] = {0, 0, 0};
  int n = 0;
  size_t i = 0;
  while (n < 3) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 4)
      v = v * 10 + static_cast<int>(s[i++] - U'0');
    if (i == start) return std::nullopt;
    parts[n++] = v;
    if (i >= s.size()) break;
    char32_t sep = s[i];
    bool ok = (n == 1 && (sep == U'年' || sep == U'-' || sep == U'.' || sep == U'/')) ||
              (n == 2 && (sep == U'月' || sep == U'-' || sep == U'.' || sep == U'/')) ||
              (n == 3 && sep == U'日');
    if (!ok) return std::nullopt;
    ++i;
  }
  if (n != 3 || i != s.size()) return std::nullopt;
  if (parts[0] < 1990 || parts[0] > 2100 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 ||
      parts[2] > 31) {
    return std::nullopt;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", parts[0], parts[1], parts[2]);
  return std::string(buf);
}

// Suffixes of the names of bodies that sign reports.
constexpr std::array<std::u32string_view, 16> kOrgSuffixes = {
    U"政府", U"局", U"委员会", U"办公室", U"办事处", U"镇", U"乡", U"街道",
    U"中心", U"院", U"所",     U"厅",     U"委",     U"区", U"县", U"市"};

bool LooksLikeOrgName(std::u32string_view s) {
  if (s.empty() || s.size() > 40) return false;
  for (char32_t c : s) {
    if (c == U'。' || c == U'，' || c == U'：' || c == U':' || IsDigit(c)) return false;
  }
  for (auto suf : kOrgSuffixes) {
    if (s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf) return true;
  }
  return false;
}

struct CellView {
  const Cell* cell;
  std::string norm;   // NormalizeLabel
  std::string label;  // StripNumbering(norm)
  bool empty;
  // ReadCell(cell->text, kMoneyWan).kind once IsValueLike has read it (-1 before): the walk
  // asks it of the same cell several times.
  mutable int money_kind = -1;
};

enum class RowTable { kNone, kProactive, kApplications, kReviews };

class ReportBuilder {
 public:
  explicit ReportBuilder(const Document& doc) : doc_(doc) {}

  ParsedReport Build() {
    ComputeForms();
    DetectForm();
    size_t cell = 0;  // index of the row's first cell in cell_forms_
    for (size_t i = 0; i < doc_.blocks.size(); ++i) {
      const Block& b = doc_.blocks[i];
      if (b.kind == Block::Kind::kParagraph) {
        OnParagraph(i, b.text, para_forms_[i]);
      } else {
        for (const Row& row : b.table.rows) {
          OnRow(i, row, &cell_forms_[cell]);
          cell += row.size();
        }
      }
    }
    Finish();
    return std::move(out_);
  }

 private:
  Record& rec() { return out_.record; }
  const Record& rec() const { return out_.record; }

  // The normalised forms (NormalizeLabel, then StripNumbering) of every paragraph and every
  // cell, computed once: form detection, the heading and content matchers and the row walk
  // all compare them, and computing them at each was most of the parser's work on a report.
  void ComputeForms() {
    para_forms_.resize(doc_.blocks.size());
    for (size_t i = 0; i < doc_.blocks.size(); ++i) {
      const Block& b = doc_.blocks[i];
      if (b.kind == Block::Kind::kParagraph) {
        para_forms_[i] = LabelFormsOf(b.text);
        continue;
      }
      for (const Row& row : b.table.rows) {
        for (const Cell& c : row) cell_forms_.push_back(LabelFormsOf(c.text));
      }
    }
  }

  // ---- Form detection: a pre-pass over every table cell ----
  void DetectForm() {
    int votes2019 = 0, votes2021 = 0;
    size_t cell = 0;  // index in cell_forms_
    for (size_t i = 0; i < doc_.blocks.size(); ++i) {
      const Block& b = doc_.blocks[i];
      // Text extracted without layout puts every cell on a line of its own: a short line
      // is a cell.
      if (b.kind == Block::Kind::kParagraph && CodePointCount(b.text) <= kMaxLabelLine) {
        Template t = FormMarker(para_forms_[i].norm);
        if (t == Template::k2019) ++votes2019;
        if (t == Template::k2021) ++votes2021;
      }
      if (b.kind != Block::Kind::kTable) continue;
      for (const Row& row : b.table.rows) {
        for (const Cell& c : row) {
          const LabelForms& forms = cell_forms_[cell++];
          if (c.span_copy || c.text.empty()) continue;
          Template t = FormMarker(forms.norm);
          if (t == Template::k2019) ++votes2019;
          if (t == Template::k2021) ++votes2021;
        }
      }
    }
    if (votes2019 + votes2021 == 0) return;
    rec().form = votes2021 > votes2019 ? Template::k2021 : Template::k2019;
  }

  void MarkSection(SectionId id, size_t block) {
    auto& first = first_seen_[static_cast<size_t>(id)];
    if (!first || *first > block) first = block;
  }

  // ---- Paragraphs ----
  // REQUIRES: forms == LabelFormsOf(text).
  void OnParagraph(size_t block, const std::string& text, const LabelForms& forms) {
    std::string rest;
    if (auto id = MatchSectionHeading(text, forms, &rest)) {
      FlushColumnLines(block);
      current_ = static_cast<int>(*id);
      MarkSection(*id, block);
      heading_seen_[static_cast<size_t>(*id)] = true;
      ++out_.headings_found;
      if (*id == SectionId::kApplications) context_ = RowTable::kApplications;
      if (*id == SectionId::kReviews) context_ = RowTable::kReviews;
      if (*id == SectionId::kProactive) context_ = RowTable::kProactive;
      if (!rest.empty()) paragraphs_.push_back({block, current_, rest});
      pending_text_.clear();
      held_.reset();
      return;
    }
    if (IsHeadingOfNoSection(forms)) {
      FlushColumnLines(block);
      current_ = kNoRecordSection;
      context_ = RowTable::kNone;
      ++out_.headings_found;
      pending_text_.clear();
      return;
    }
    // A section whose heading was lost, told by its content (labels.h).
    if (auto id = MatchSectionContent(forms); id && ContentOpensSection(*id)) {
      current_ = static_cast<int>(*id);
      MarkSection(*id, block);
      context_ = RowTable::kNone;
      pending_text_.clear();
    }
    paragraphs_.push_back({block, current_, text});
    if (CompleteHeldRow(text)) {
      pending_text_.clear();
      return;
    }
    if (OnColumnLine(block, text)) return;
    // Inside a table, a short line of text is a row label whose values stand on a line of their
    // own (pdftotext, PDF-to-markdown): keep it for the row that follows.
    if (context_ != RowTable::kNone && CodePointCount(text) <= kMaxLabelLine) {
      pending_text_ += text;
    } else {
      pending_text_.clear();
    }
  }

  // The furthest section the walk has reached, by heading, content or table rows.
  int Reached() const {
    int reached = current_;
    for (int s = 0; s < kSectionCount; ++s) {
      if (first_seen_[static_cast<size_t>(s)]) reached = std::max(reached, s);
    }
    return reached;
  }

  // Content opens section `id` only just past the section before it: prose of 一 that lists
  // the report's parts ("…存在的主要问题及改进情况和其他需要报告的事项…") stays in 一, and
  // nothing is taken after a part that no section holds (the old forms' 统计表).
  bool ContentOpensSection(SectionId id) const {
    int s = static_cast<int>(id);
    if (current_ == kNoRecordSection || heading_seen_[static_cast<size_t>(s)] ||
        first_seen_[static_cast<size_t>(s)]) {
      return false;
    }
    return Reached() == s - 1;
  }

  // Row keys a text cell may carry, in priority order.
  struct LabelHit {
    RowTable table = RowTable::kNone;
    std::string key;
    bool group = false;    // an application group label such as （三）不予公开
    bool heading = false;  // a section 二 group heading 第二十条第（X）项
  };

  // ---- Tables as text extracted without layout (pdftotext without -layout) ----
  //
  // Each cell comes on a line of its own: a row's label, then its values one per line (row by
  // row), or the labels of several rows, then their values column by column; labels may also
  // come after their values or out of order. The lines are gathered in runs: labels, then the
  // values after them. A run of n labels followed by exactly n times the form's column count
  // of values is read row by row or column by column, whichever the rows' own totals (总计 =
  // the columns before it) confirm; when both or neither do and the readings differ, or the
  // counts do not match, the rows are unreadable (structure.cells_merged), never guessed.
  // Values with no label before them are placed nowhere.

  static bool IsColumnValue(std::string_view text) {
    std::string t = RemoveSpaces(text);
    // "-2-" is a page number.
    if (t.size() >= 3 && t.front() == '-' && t.back() == '-') return false;
    return !t.empty() && ReadCell(t, CellUnit::kMoneyWan).kind == CellReading::Kind::kNumber;
  }

  // Takes a paragraph of sections 二 to 四 as a line of a table extracted without layout.
  // Returns true when the paragraph is a value (it is then no label text for the rows below).
  bool OnColumnLine(size_t block, const std::string& text) {
    if (context_ == RowTable::kNone) return false;
    if (IsColumnValue(text)) {
      if (column_values_.empty()) column_values_block_ = block;
      column_values_.push_back(RemoveSpaces(text));
      column_lines_seen_ = true;
      return true;
    }
    Cell c{text, false, false};
    CellView v{&c, NormalizeLabel(text), "", false};
    v.label = StripNumbering(v.norm);
    LabelHit h = Recognise(v);
    // A bare 总计 is the header of the last column; the row is （七）总计. Section 四's group
    // names head its one data row's columns.
    bool bare_total = v.norm == v.label && (v.label == "总计" || v.label == "合计");
    bool header = IsHeaderWord(v.norm) || bare_total || h.table == RowTable::kReviews ||
                  v.norm.find("信息内容") != std::string::npos;
    bool label = !header && h.table != RowTable::kNone && !h.heading && !h.group;
    // Any line that is not a value ends a run of values (a label's continuation line comes
    // before its values: "（二）部分公开（区分处理的，只计这一情" / "形，不计其他情形）").
    if (!column_values_.empty()) FlushColumnLines(block);
    if (header) column_labels_.clear();
    if (h.group) app_group_ = h.key;
    if (label) column_labels_.push_back(ColumnLabel{h, block});
    return false;
  }

  static size_t ColumnsOf(const LabelHit& h, Template form) {
    if (h.table == RowTable::kApplications) return kApplicationColumns;
    if (h.table == RowTable::kReviews) return kReviewColumns;
    for (const auto& r : ProactiveRows(form)) {
      if (r.key == h.key) return r.columns.size();
    }
    return 0;
  }

  // The row's own total where the form has one: 总计, the last column, is the sum of the
  // others (sections 三 and 四); section 二's rows have none and confirm nothing.
  static bool TotalHolds(RowTable table, const std::vector<std::string>& row) {
    if (table == RowTable::kProactive || row.size() < 2) return false;
    double sum = 0;
    for (size_t i = 0; i + 1 < row.size(); ++i) sum += ReadCell(row[i], CellUnit::kCount).value;
    return std::fabs(sum - ReadCell(row.back(), CellUnit::kCount).value) < 1e-6;
  }

  void FlushColumnLines(size_t block) {
    std::vector<ColumnLabel> labels = std::move(column_labels_);
    std::vector<std::string> values = std::move(column_values_);
    column_labels_.clear();
    column_values_.clear();
    if (!column_lines_seen_) return;
    if (labels.empty()) {
      // Section 四's one data row: 15 values after its headers, each group's total holding.
      if (context_ == RowTable::kReviews && values.size() == kReviewColumns * 3) {
        bool holds = true;
        for (size_t g = 0; g < 3; ++g) {
          holds =
              holds && TotalHolds(RowTable::kReviews,
                                  {values.begin() + static_cast<long>(g * kReviewColumns),
                                   values.begin() + static_cast<long>((g + 1) * kReviewColumns)});
        }
        if (holds) {
          PlaceColumnRow(column_values_block_, LabelHit{RowTable::kReviews, "", false, false},
                         values);
          return;
        }
      }
      if (context_ == RowTable::kReviews && !values.empty()) review_values_unplaced_ = true;
      return;
    }
    size_t n = labels.size();
    size_t columns = ColumnsOf(labels.front().hit, rec().form);
    bool same_width = std::all_of(labels.begin(), labels.end(), [&](const ColumnLabel& l) {
      return ColumnsOf(l.hit, rec().form) == columns && l.hit.table == labels.front().hit.table;
    });
    std::vector<std::vector<std::string>> by_row(n), by_column(n);
    bool readable = same_width && columns > 0 && values.size() == n * columns;
    if (readable) {
      for (size_t r = 0; r < n; ++r) {
        for (size_t c = 0; c < columns; ++c) {
          by_row[r].push_back(values[r * columns + c]);
          by_column[r].push_back(values[c * n + r]);
        }
      }
      RowTable table = labels.front().hit.table;
      auto holds = [&](const std::vector<std::vector<std::string>>& rows) {
        return std::all_of(rows.begin(), rows.end(),
                           [&](const auto& row) { return TotalHolds(table, row); });
      };
      bool row_holds = holds(by_row), column_holds = holds(by_column);
      if (by_row == by_column) {
        // One reading (a single row, or rows that read the same either way). Where the form
        // has totals, they must hold: a row that does not add up may not be this label's.
        readable = table == RowTable::kProactive || row_holds;
      } else if (row_holds != column_holds) {
        if (column_holds) by_row = by_column;
      } else {
        readable = false;
      }
    }
    for (size_t r = 0; r < n; ++r) {
      const LabelHit& h = labels[r].hit;
      if (readable) {
        PlaceColumnRow(labels[r].block, h, by_row[r]);
        continue;
      }
      MarkUnreadableColumnRow(labels[r].block, h, n * columns, values.size());
    }
    (void)block;
  }

  void PlaceColumnRow(size_t block, const LabelHit& hit, const std::vector<std::string>& values) {
    std::vector<Cell> cells;
    cells.reserve(values.size());
    for (const auto& v : values) cells.push_back(Cell{v, false, false});
    std::vector<CellView> views;
    views.reserve(cells.size());
    for (const Cell& c : cells) views.push_back(CellView{&c, NormalizeLabel(c.text), "", false});
    std::vector<const CellView*> ptrs;
    for (const CellView& v : views) ptrs.push_back(&v);
    PlaceRow(block, hit, ptrs);
  }

  void MarkUnreadableColumnRow(size_t block, const LabelHit& hit, size_t expected, size_t got) {
    std::string_view label;
    std::string path;
    size_t width = 0;
    if (hit.table == RowTable::kApplications) {
      applications_seen_ = true;
      MarkSection(SectionId::kApplications, block);
      if (application_rows_.count(hit.key)) return;
      for (const auto& r : ApplicationRows(rec().form)) {
        if (r.key == hit.key) label = r.label;
      }
      if (label.empty()) return;
      application_rows_[hit.key] = Cells(kApplicationColumns);
      path = "applications." + hit.key;
      width = kApplicationColumns;
    } else if (hit.table == RowTable::kProactive) {
      proactive_seen_ = true;
      MarkSection(SectionId::kProactive, block);
      if (proactive_rows_.count(hit.key)) return;
      for (const auto& r : ProactiveRows(rec().form)) {
        if (r.key == hit.key) {
          label = r.label;
          width = r.columns.size();
        }
      }
      if (label.empty()) return;
      proactive_rows_[hit.key] = Cells(width);
      path = "proactive." + hit.key;
    } else {
      return;  // section 四's groups: left to row_missing
    }
    ++out_.recognised_rows;
    out_.findings.push_back(MakeFinding(
        "structure.cells_merged", path,
        std::string(label) +
            ": the table's cells came one per line (text extracted without layout) and its "
            "values cannot be aligned with its rows (" +
            std::to_string(got) + " values where " + std::to_string(expected) +
            " were due, or two readings)",
        static_cast<double>(expected), static_cast<double>(got)));
  }

  // ---- Table rows ----
  // `forms` are the row's cells' LabelForms (cell_forms_), taken: each row is walked once.
  void OnRow(size_t block, const Row& row, LabelForms* forms) {
    held_.reset();  // a value line is held for the line just below it only
    FlushColumnLines(block);
    std::vector<CellView> cells;
    cells.reserve(row.size());
    bool any = false;
    for (const Cell& c : row) {
      CellView v{&c, std::move(forms->norm), std::move(forms->stripped), false};
      ++forms;
      v.empty = ReadCell(c.text, CellUnit::kCount).kind == CellReading::Kind::kEmpty;
      any = any || !v.empty;
      cells.push_back(std::move(v));
    }
    if (!any) return;
    ProcessCells(block, cells, 0, cells.size());
  }

  bool IsValueLike(const CellView& v) const {
    // A run of digits from a one-line report is values, however long ("10203120001200000").
    if (v.cell->run_on) return true;
    if (v.empty) return true;
    if (v.money_kind < 0) {
      v.money_kind = static_cast<int>(ReadCell(v.cell->text, CellUnit::kMoneyWan).kind);
    }
    return static_cast<CellReading::Kind>(v.money_kind) != CellReading::Kind::kBad;
  }

  // After a row's label, unrecognised text is an unreadable value when it carries a digit
  // or is too short to be a label; longer text without digits continues the label
  // ("（二）部分公开" | "（区分处理的，只计这一情形，不计其他情形）" split over two cells).
  static bool LooksLikeValueAttempt(const CellView& v) {
    std::u32string u = ToU32(v.norm);
    if (u.size() <= 4) return true;
    return std::any_of(u.begin(), u.end(), [](char32_t c) { return IsDigit(c); });
  }

  LabelHit Recognise(const CellView& v) const {
    LabelHit h;
    if (v.label.empty()) return h;
    if (IsProactiveGroupHeading(v.norm)) {
      h.heading = true;
      h.table = RowTable::kProactive;
      return h;
    }
    if (auto k = MatchLabel(ProactiveLabels(), v.label); !k.empty()) {
      h.table = RowTable::kProactive;
      h.key = k;
      return h;
    }
    if (auto g = MatchLabel(ApplicationGroups(), v.label); !g.empty()) {
      h.table = RowTable::kApplications;
      h.group = true;
      h.key = g;
      // （六）其他处理 is a group in the 2021 form and a row in the 2019 form.
      if (g == "other" && rec().form != Template::k2021) h.group = false;
      return h;
    }
    if (auto k = MatchLabel(ApplicationLabels(), v.label); !k.empty()) {
      // A bare 总计 among section 四's headers is a column name; （七）总计 is the row.
      if (k == "total" && context_ == RowTable::kReviews && v.norm == v.label) return h;
      h.table = RowTable::kApplications;
      h.key = k;
      return h;
    }
    if (v.label == "其他" && app_group_ == "other") {
      h.table = RowTable::kApplications;
      h.key = "other.other";
      return h;
    }
    if (auto k = MatchLabel(ReviewLabels(), v.label); !k.empty()) {
      h.table = RowTable::kReviews;
      h.key = k;
      return h;
    }
    return h;
  }

  // The label of a row whose own label cell is missing or only the end of a label: a label
  // row just above (label line, then value line), or the text lines just above, alone or
  // joined with the row's own text ("1、申请人无正当理由逾期不补" + "正、行政机关不再处理…").
  LabelHit LabelFromLinesAbove(const std::vector<CellView>& cells, size_t begin,
                               size_t values_begin, const std::string& pending) const {
    std::string own;
    for (size_t i = begin; i < values_begin; ++i) own += cells[i].cell->text;
    if (own.empty() && pending_hit_) return *pending_hit_;
    if (pending.empty()) return {};
    for (const std::string& text : {pending + own, pending}) {
      Cell c{text, false, false};
      CellView v{&c, NormalizeLabel(text), "", false};
      v.label = StripNumbering(v.norm);
      LabelHit h = Recognise(v);
      if (h.table != RowTable::kNone && !h.group && !h.heading) return h;
    }
    return {};
  }

  void ProcessCells(size_t block, const std::vector<CellView>& cells, size_t begin, size_t end) {
    // A single cell that is a section heading (some portals put headings inside the table).
    size_t non_empty = 0;
    const CellView* only = nullptr;
    for (size_t i = begin; i < end; ++i) {
      if (!cells[i].empty && !cells[i].cell->span_copy) {
        ++non_empty;
        only = &cells[i];
      }
    }
    if (non_empty == 1 && only != nullptr && !IsValueLike(*only)) {
      std::string rest;
      LabelForms forms = LabelFormsOf(only->cell->text);
      if (MatchSectionHeading(only->cell->text, forms, &rest)) {
        OnParagraph(block, only->cell->text, forms);
        return;
      }
    }

    // Header rows: column headings and no values at all.
    bool has_number = false, has_header_word = false;
    for (size_t i = begin; i < end; ++i) {
      if (!cells[i].empty && IsValueLike(cells[i])) has_number = true;
      if (!cells[i].empty && IsHeaderWord(cells[i].norm)) has_header_word = true;
    }
    if (has_header_word && !has_number) {
      OnHeaderRow(block, cells, begin, end);
      return;
    }

    // Walk the cells: labels first, then values; a recognised label after values starts a
    // new row (a lost line break glued two rows together).
    LabelHit row_hit;
    size_t values_begin = begin;
    bool values_started = false;
    size_t split = end;
    for (size_t i = begin; i < end; ++i) {
      const CellView& v = cells[i];
      if (v.empty) continue;
      if (IsValueLike(v)) {
        values_started = true;
        continue;
      }
      LabelHit h = Recognise(v);
      bool recognised = h.table != RowTable::kNone;
      if (values_started) {
        if (recognised && !v.cell->span_copy) {
          split = i;
          break;
        }
        continue;  // unreadable text among the values: a bad cell
      }
      if (!recognised && row_hit.table != RowTable::kNone && LooksLikeValueAttempt(v)) {
        values_started = true;  // "约2", "N/A", "?" where the row's first value belongs
        continue;
      }
      if (h.heading) {
        OnProactiveHeading(block, v);
      } else if (h.group) {
        app_group_ = h.key;
        MarkSection(SectionId::kApplications, block);
      } else if (recognised) {
        row_hit = h;
      }
      values_begin = i + 1;
    }

    std::vector<const CellView*> values;
    for (size_t i = values_begin; i < split; ++i) {
      if (!cells[i].cell->span_copy) values.push_back(&cells[i]);
    }
    std::string pending = std::move(pending_text_);
    pending_text_.clear();
    // A label standing alone (at most one blank cell beside it, as converters pad rows).
    bool label_only = values.empty() || (values.size() == 1 && values.front()->empty);
    if (row_hit.table != RowTable::kNone && label_only && split == end) {
      // A label standing alone: its values are on the next line.
      pending_hit_ = row_hit;
      return;
    }
    if (row_hit.table == RowTable::kNone && !values.empty()) {
      row_hit = LabelFromLinesAbove(cells, begin, values_begin, pending);
    }
    pending_hit_.reset();
    if (row_hit.table == RowTable::kNone && values_begin == begin &&
        context_ == RowTable::kReviews) {
      row_hit.table = RowTable::kReviews;  // the unlabelled data row of section 四
    }
    if (row_hit.table == RowTable::kNone && !pending.empty() && values_begin == begin &&
        split == end && !values.empty()) {
      // The start of a label above a value line, its end still to come below it
      // ("5.要求行政机关确认或重新出" / values / "具已获取信息"): the values wait for that line.
      held_ = HeldRow{block, pending, {}};
      for (const CellView* v : values) held_->values.push_back(*v);
      return;
    }
    PlaceRow(block, row_hit, values);
    if (split < end) ProcessCells(block, cells, split, end);
  }

  void PlaceRow(size_t block, const LabelHit& hit, const std::vector<const CellView*>& values) {
    switch (hit.table) {
      case RowTable::kProactive:
        OnProactiveRow(block, hit.key, values);
        break;
      case RowTable::kApplications:
        OnApplicationRow(block, hit.key, values);
        break;
      case RowTable::kReviews:
        OnReviewRow(block, hit.key, values);
        break;
      case RowTable::kNone:
        break;
    }
  }

  // The line below a held value line: if the label above it and this line together name a
  // row, the values are that row's. Returns whether the line was taken so.
  bool CompleteHeldRow(const std::string& text) {
    if (!held_) return false;
    HeldRow held = std::move(*held_);
    held_.reset();
    if (CodePointCount(text) > kMaxLabelLine) return false;
    std::string joined = held.label_above + text;
    Cell c{joined, false, false};
    CellView v{&c, NormalizeLabel(joined), "", false};
    v.label = StripNumbering(v.norm);
    LabelHit h = Recognise(v);
    if (h.table == RowTable::kNone || h.group || h.heading) return false;
    std::vector<const CellView*> values;
    for (const CellView& value : held.values) values.push_back(&value);
    PlaceRow(held.block, h, values);
    return true;
  }

  void OnHeaderRow(size_t block, const std::vector<CellView>& cells, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const std::string& n = cells[i].norm;
      if (n.find("信息内容") != std::string::npos) {
        context_ = RowTable::kProactive;
        MarkSection(SectionId::kProactive, block);
      } else if (n.find("自然人") != std::string::npos ||
                 n.find("申请人情况") != std::string::npos ||
                 n.find("勾稽关系") != std::string::npos) {
        context_ = RowTable::kApplications;
        MarkSection(SectionId::kApplications, block);
        applications_seen_ = true;
      } else if (n.find("结果维持") != std::string::npos ||
                 n.find("行政诉讼") != std::string::npos) {
        context_ = RowTable::kReviews;
        MarkSection(SectionId::kReviews, block);
        reviews_seen_ = true;
      }
      if (IsProactiveGroupHeading(n)) OnProactiveHeading(block, cells[i]);
      // The unit of money columns: "采购总金额(单位:万元,保留4位小数)" / "金额（元）".
      if (n.find("金额") != std::string::npos) {
        bool wan = n.find("万元") != std::string::npos;
        bool yuan = !wan && n.find("元") != std::string::npos;
        money_unit_ = yuan ? CellUnit::kMoneyYuan : CellUnit::kMoneyWan;
      }
    }
  }

  void OnProactiveHeading(size_t block, const CellView& v) {
    context_ = RowTable::kProactive;
    proactive_seen_ = true;
    money_unit_ = CellUnit::kMoneyWan;
    MarkSection(SectionId::kProactive, block);
    if (auto typo = FindHeadingTypo(v.norm)) {
      out_.findings.push_back(MakeFinding("structure.heading_typo", "proactive",
                                          "section 二 heading reads " +
                                              CollapseSpaces(v.cell->text) +
                                              " where the form has " + std::string(typo->correct)));
    }
  }

  // Drops surplus blank cells (grids pad rows to the table's width), then reports a count
  // that still differs from the form's.
  // When the row has more cells than the form and some are blank, and `total_column` names
  // the form's total column, the blanks that converters insert (an empty leading cell, a
  // column of a merged header) are dropped if that is the one way to make the row's own total
  // equal the sum of its other cells.
  std::vector<const CellView*> FitCells(std::vector<const CellView*> values, size_t expected,
                                        const std::string& path, std::string_view label,
                                        std::optional<size_t> total_column = std::nullopt) {
    while (values.size() > expected && values.back()->empty) values.pop_back();
    while (values.size() > expected && values.front()->empty) values.erase(values.begin());
    if (values.size() > expected && total_column) {
      std::vector<const CellView*> filled;
      for (const CellView* v : values) {
        if (!v->empty) filled.push_back(v);
      }
      if (filled.size() == expected && TotalChecks(filled, *total_column)) values = filled;
    }
    if (values.size() != expected) {
      out_.findings.push_back(
          MakeFinding("structure.cell_count", path,
                      std::string(label) + ": " + std::to_string(values.size()) +
                          " cells where the form has " + std::to_string(expected),
                      static_cast<double>(expected), static_cast<double>(values.size())));
    }
    return values;
  }

  // True when the cells read as numbers and the total column equals the sum of the others.
  static bool TotalChecks(const std::vector<const CellView*>& cells, size_t total_column) {
    double sum = 0, total = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
      CellReading r = ReadCell(cells[i]->cell->text, CellUnit::kCount);
      if (r.kind != CellReading::Kind::kNumber) return false;
      (i == total_column ? total : sum) += r.value;
    }
    return sum == total;
  }

  // Values read from run-together text (Cell::run_on) that are not exactly the form's cells:
  // one structure.cells_merged finding for the row, whose cells stay null. Never guesses
  // where "713000074" divides.
  bool RunTogether(const std::vector<const CellView*>& values, size_t expected,
                   const std::string& path, std::string_view label) {
    bool run_on = std::any_of(values.begin(), values.end(),
                              [](const CellView* v) { return v->cell->run_on; });
    if (!run_on || values.size() == expected) return false;
    std::string text;
    for (const CellView* v : values) text += (text.empty() ? "" : " ") + v->cell->text;
    out_.findings.push_back(
        MakeFinding("structure.cells_merged", path,
                    std::string(label) + ": the cells ran together (\"" + text + "\" for " +
                        std::to_string(expected) + " cells) and cannot be told apart",
                    static_cast<double>(expected), static_cast<double>(values.size())));
    return true;
  }

  // Reads the placed cells; unreadable ones become null with a structure.bad_value finding.
  static std::function<std::string(size_t)> IndexPath(std::string path) {
    return [path](size_t i) { return path + "[" + std::to_string(i) + "]"; };
  }

  // `cell_path(i)` is the JSON path of cell i in the record, for findings.
  Cells ReadCells(const std::vector<const CellView*>& values, size_t expected,
                  const std::vector<CellUnit>& units,
                  const std::function<std::string(size_t)>& cell_path, std::string_view label,
                  std::span<const std::string_view> column_names) {
    Cells cells(expected);
    for (size_t i = 0; i < expected && i < values.size(); ++i) {
      CellReading r = ReadCell(values[i]->cell->text, units[i]);
      if (r.kind == CellReading::Kind::kNumber) {
        cells[i] = r.value;
      } else if (r.kind == CellReading::Kind::kBad) {
        out_.findings.push_back(MakeFinding("structure.bad_value", cell_path(i),
                                            std::string(label) + " / " +
                                                std::string(column_names[i]) + ": cannot read \"" +
                                                CollapseSpaces(values[i]->cell->text) + "\""));
      }
    }
    return cells;
  }

  void OnProactiveRow(size_t block, const std::string& key,
                      const std::vector<const CellView*>& values) {
    proactive_seen_ = true;
    MarkSection(SectionId::kProactive, block);
    if (proactive_rows_.count(key)) return;  // the first occurrence wins
    const ProactiveRowSpec* spec = nullptr;
    for (const auto& r : ProactiveRows(rec().form)) {
      if (r.key == key) spec = &r;
    }
    if (spec == nullptr) return;  // a row of the other form (e.g. 政府集中采购 in 2021)
    std::string path = "proactive." + key;
    if (RunTogether(values, spec->columns.size(), path, spec->label)) {
      proactive_rows_[key] = Cells(spec->columns.size());
      ++out_.recognised_rows;
      return;
    }
    auto placed = FitCells(values, spec->columns.size(), path, spec->label);
    std::vector<CellUnit> units;
    std::vector<std::string_view> names;
    for (const auto& c : spec->columns) {
      units.push_back(c.money ? money_unit_ : CellUnit::kCount);
      names.push_back(c.header);
    }
    auto cell_path = [&](size_t i) { return path + "." + std::string(spec->columns[i].field); };
    proactive_rows_[key] =
        ReadCells(placed, spec->columns.size(), units, cell_path, spec->label, names);
    ++out_.recognised_rows;
  }

  void OnApplicationRow(size_t block, const std::string& key,
                        const std::vector<const CellView*>& values) {
    applications_seen_ = true;
    MarkSection(SectionId::kApplications, block);
    context_ = RowTable::kApplications;
    // A sub-row places the rows after it in its group: "3、其他" after 2、…缴纳费用 is
    // （六）3.其他.
    auto dot = key.find('.');
    app_group_ = dot == std::string::npos ? std::string() : key.substr(0, dot);
    if (application_rows_.count(key)) return;
    std::string_view label;
    for (const auto& r : ApplicationRows(rec().form)) {
      if (r.key == key) label = r.label;
    }
    // A row of the other form ("其他处理（件）" is a 2019 row; 逾期不补正 a 2021 one): the
    // record has no place for it, and a finding about it would name a path that is not there.
    if (label.empty()) return;
    std::string path = "applications." + key;
    if (RunTogether(values, kApplicationColumns, path, label)) {
      application_rows_[key] = Cells(kApplicationColumns);
      ++out_.recognised_rows;
      return;
    }
    auto placed = FitCells(values, kApplicationColumns, path, label, kApplicationColumns - 1);
    std::vector<CellUnit> units(kApplicationColumns, CellUnit::kCount);
    application_rows_[key] = ReadCells(placed, kApplicationColumns, units, IndexPath(path), label,
                                       ApplicationColumnNames());
    ++out_.recognised_rows;
  }

  void OnReviewRow(size_t block, const std::string& key, const std::vector<const CellView*>& values,
                   bool final_part = false) {
    reviews_seen_ = true;
    MarkSection(SectionId::kReviews, block);
    std::vector<std::string_view> names;
    if (key.empty()) {
      // The form's one data row: 15 cells, five for each of the three groups.
      if (!review_rows_.empty()) return;
      constexpr size_t kAll = kReviewColumns * 3;
      // The 15 cells broken over two lines (a PDF page too narrow): the first part waits for
      // the rest; a part left waiting at the end is read as it is.
      for (const CellView* v : values) review_part_.push_back(*v);
      if (review_part_.size() < kAll && !final_part) return;
      std::vector<CellView> parts = std::move(review_part_);
      review_part_.clear();
      std::vector<const CellView*> all_values;
      for (const CellView& v : parts) all_values.push_back(&v);
      if (RunTogether(all_values, kAll, "reviews_litigation", "四、行政复议、行政诉讼")) {
        for (const auto& g : ReviewGroups())
          review_rows_[std::string(g.key)] = Cells(kReviewColumns);
        ++out_.recognised_rows;
        return;
      }
      auto placed =
          FitCells(all_values, kAll, "reviews_litigation", "四、行政复议、行政诉讼", std::nullopt);
      for (const auto& g : ReviewGroups()) {
        for (auto c : ReviewColumnNames()) names.push_back(c);
        (void)g;
      }
      std::vector<CellUnit> units(kAll, CellUnit::kCount);
      auto cell_path = [](size_t i) {
        return "reviews_litigation." + std::string(ReviewGroups()[i / kReviewColumns].key) + "[" +
               std::to_string(i % kReviewColumns) + "]";
      };
      Cells all = ReadCells(placed, kAll, units, cell_path, "四、行政复议、行政诉讼", names);
      size_t gi = 0;
      for (const auto& g : ReviewGroups()) {
        review_rows_[std::string(g.key)] =
            Cells(all.begin() + static_cast<long>(gi * kReviewColumns),
                  all.begin() + static_cast<long>((gi + 1) * kReviewColumns));
        ++gi;
      }
    } else {
      // A transposed layout: one row per group.
      if (review_rows_.count(key)) return;
      std::string_view label = key;
      for (const auto& g : ReviewGroups()) {
        if (g.key == key) label = g.label;
      }
      std::string path = "reviews_litigation." + key;
      if (RunTogether(values, kReviewColumns, path, label)) {
        review_rows_[key] = Cells(kReviewColumns);
        ++out_.recognised_rows;
        return;
      }
      auto placed = FitCells(values, kReviewColumns, path, label, kReviewColumns - 1);
      std::vector<CellUnit> units(kReviewColumns, CellUnit::kCount);
      review_rows_[key] =
          ReadCells(placed, kReviewColumns, units, IndexPath(path), label, ReviewColumnNames());
    }
    ++out_.recognised_rows;
  }

  // ---- After the walk ----
  void Finish() {
    FlushColumnLines(doc_.blocks.size());
    if (!review_part_.empty()) OnReviewRow(doc_.blocks.size(), "", {}, /*final_part=*/true);
    FindTitleAndSignature();
    FindYear();
    // A report from before the 2019 form has tables of its own: none of the form's rows are
    // in it, so nothing is read from its tables and nothing structural is said about them.
    bool old_form = rec().year && *rec().year <= kLastYearBeforeTheForms;
    if (old_form) {
      rec().form = Template::kUnknown;
      std::erase_if(out_.findings,
                    [](const Finding& f) { return f.rule.rfind("structure.", 0) == 0; });
    }
    BuildSections(old_form);
    if (!old_form) BuildTables();
    BuildTexts();
  }

  struct Para {
    size_t block;
    int section;
    std::string text;
  };

  // "标题: …", "发布机构: …", "发布时间: 2022-02-08 16:34": the lines a crawler or a portal's
  // page writes above a report's text.
  enum class MetaField { kTitle, kOrganization, kDate };
  struct MetaLineSpec {
    std::string_view key;
    MetaField field;
  };
  static constexpr std::array<MetaLineSpec, 6> kMetaLines = {{
      {"标题", MetaField::kTitle},
      {"发布机构", MetaField::kOrganization},
      {"发文机关", MetaField::kOrganization},
      {"发布时间", MetaField::kDate},
      {"发布日期", MetaField::kDate},
      {"成文日期", MetaField::kDate},
  }};

  void FindMetaLines() {
    for (size_t i = 0; i < paragraphs_.size() && i < 16; ++i) {
      const Para& p = paragraphs_[i];
      if (p.section != kNoSection) break;
      std::string t = RemoveSpaces(p.text);
      for (const auto& m : kMetaLines) {
        if (t.rfind(m.key, 0) != 0) continue;
        std::string_view rest = std::string_view(t).substr(m.key.size());
        if (rest.rfind(":", 0) == 0) {
          rest.remove_prefix(1);
        } else if (rest.rfind("：", 0) == 0) {
          rest.remove_prefix(3);
        } else {
          continue;
        }
        if (rest.empty()) continue;
        if (m.field == MetaField::kTitle) meta_title_ = std::string(rest);
        if (m.field == MetaField::kOrganization && LooksLikeOrgName(ToU32(rest))) {
          meta_org_ = std::string(rest);
        }
        if (m.field == MetaField::kDate) {
          // "2022-02-08 16:34" with its spaces removed: the date is the first ten characters.
          for (size_t len : {size_t{10}, rest.size()}) {
            if (auto d = ParseStandaloneDate(rest.substr(0, len))) {
              meta_date_ = d;
              break;
            }
          }
        }
        meta_lines_.push_back(i);
      }
    }
  }

  void FindTitleAndSignature() {
    FindMetaLines();
    // Title: a short line before the first section that names the annual report.
    std::optional<std::string> title;
    for (size_t i = 0; i < paragraphs_.size() && i < 8; ++i) {
      const Para& p = paragraphs_[i];
      if (p.section != kNoSection) break;
      std::string t = RemoveSpaces(p.text);
      std::u32string u = ToU32(t);
      if (u.size() > 80 ||
          (t.find("年度报告") == std::string::npos && t.find("年报") == std::string::npos)) {
        continue;
      }
      // A sentence that mentions the report ("根据…，现将…年度报告…通知如下：") is prose.
      if (std::any_of(u.begin(), u.end(), [](char32_t c) {
            return c == U'，' || c == U'。' || c == U'：' || c == U'；' || c == U':';
          })) {
        continue;
      }
      // "重庆市渝北区洛碛镇人民政府" / "2020年政府信息公开工作年度报告" on two lines.
      if (!u.empty() && IsDigit(u[0]) && i > 0 && paragraphs_[i - 1].section == kNoSection) {
        std::u32string prev = ToU32(RemoveSpaces(paragraphs_[i - 1].text));
        if (LooksLikeOrgName(prev)) t = ToUtf8(prev) + t;
      }
      title = t;
      title_index_ = i;
      break;
    }
    if (!title && meta_title_) title = meta_title_;
    if (!title && !doc_.page_title.empty()) {
      // "XX镇2020年政府信息公开工作年度报告_XX市人民政府": keep the segment about the report.
      std::string pt = RemoveSpaces(doc_.page_title);
      for (std::string_view sep : {"_", "|", "-", "——"}) {
        auto pos = pt.find(sep);
        if (pos == std::string::npos) continue;
        std::string a = pt.substr(0, pos), b = pt.substr(pos + sep.size());
        pt = (b.find("年度报告") != std::string::npos && a.find("年度报告") == std::string::npos)
                 ? b
                 : a;
      }
      if (pt.find("年度报告") != std::string::npos || pt.find("年报") != std::string::npos) {
        title = pt;
      }
    }
    rec().title = title;

    // Signature: a date standing alone near the end, the signing body on the line above.
    std::optional<std::string> signature_org;
    for (size_t k = 0; k < paragraphs_.size() && k < 8; ++k) {
      size_t i = paragraphs_.size() - 1 - k;
      if (auto d = ParseStandaloneDate(paragraphs_[i].text)) {
        rec().published_on = d;
        signature_date_ = i;
        if (i > 0) {
          std::u32string prev = ToU32(RemoveSpaces(paragraphs_[i - 1].text));
          if (LooksLikeOrgName(prev)) {
            signature_org = ToUtf8(prev);
            signature_org_ = i - 1;
          }
        }
        break;
      }
    }
    if (!rec().published_on && meta_date_) rec().published_on = meta_date_;
    if (!rec().published_on && !doc_.page_date.empty()) rec().published_on = doc_.page_date;

    // Organisation: the title's words before the year, or between the year and 政府信息公开.
    if (title) {
      std::u32string u = ToU32(*title);
      if (auto y = FirstYear(u)) {
        std::u32string org;
        if (y->second > 0) {
          org = u.substr(0, y->second);
          for (std::u32string_view tail : {U"关于", U"的"}) {
            if (org.size() >= tail.size() && org.substr(org.size() - tail.size()) == tail) {
              org.resize(org.size() - tail.size());
            }
          }
        } else {
          size_t from = y->second + 5;
          if (from < u.size() && u[from] == U'度') ++from;
          for (std::u32string_view stop : {U"政府信息公开", U"政务公开", U"信息公开"}) {
            size_t pos = u.find(stop, from);
            if (pos != std::u32string::npos) {
              org = u.substr(from, pos - from);
              break;
            }
          }
        }
        // "关于做好2021年度…年度报告编制工作的通知" names no body: it is a notice.
        if (org.rfind(U"关于", 0) == 0) org.clear();
        if (!org.empty()) rec().organization = ToUtf8(org);
        out_.title_year = y->first;
      }
    }
    if (!rec().organization && signature_org) rec().organization = signature_org;
    if (!rec().organization && meta_org_) rec().organization = meta_org_;
    if (!rec().organization && title_index_ && *title_index_ > 0) {
      std::u32string prev = ToU32(RemoveSpaces(paragraphs_[*title_index_ - 1].text));
      if (LooksLikeOrgName(prev)) rec().organization = ToUtf8(prev);
    }
  }

  void FindYear() {
    // The statistics period: "统计期限自2020年1月1日至2020年12月31日止".
    for (const Para& p : paragraphs_) {
      std::u32string u = ToU32(RemoveSpaces(p.text));
      for (std::u32string_view key : {U"统计期限", U"统计时限", U"统计期间", U"统计时间"}) {
        size_t pos = u.find(key);
        if (pos == std::u32string::npos) continue;
        std::u32string_view window = std::u32string_view(u).substr(pos, 24);
        if (auto y = FirstYear(window)) {
          out_.period_year = y->first;
          break;
        }
      }
      if (out_.period_year) break;
    }
    if (out_.title_year) {
      rec().year = out_.title_year;
    } else if (out_.period_year) {
      rec().year = out_.period_year;
    } else if (rec().published_on) {
      rec().year = std::stoi(rec().published_on->substr(0, 4)) - 1;
    }
  }

  void BuildSections(bool old_form) {
    // Overview content: prose before section 二 other than the title.
    for (size_t i = 0; i < paragraphs_.size(); ++i) {
      const Para& p = paragraphs_[i];
      if (p.section > static_cast<int>(SectionId::kOverview)) break;
      if (title_index_ && i <= *title_index_) continue;
      if (std::find(meta_lines_.begin(), meta_lines_.end(), i) != meta_lines_.end()) continue;
      if (p.text.size() < 3 * 10) continue;  // org lines, short headings
      MarkSection(SectionId::kOverview, p.block);
      out_.overview_text += p.text;
      out_.overview_text += '\n';
    }
    std::vector<std::pair<size_t, int>> order;
    for (int s = 0; s < kSectionCount; ++s) {
      if (first_seen_[static_cast<size_t>(s)])
        order.emplace_back(*first_seen_[static_cast<size_t>(s)], s);
    }
    std::stable_sort(order.begin(), order.end());
    for (auto& [block, s] : order) {
      rec().sections.emplace_back(SectionById(static_cast<SectionId>(s)).key);
    }
    for (const auto& s : Sections()) {
      if (first_seen_[static_cast<size_t>(s.id)] || old_form) continue;
      out_.findings.push_back(
          MakeFinding("structure.section_missing", std::string(s.field),
                      std::string(s.heading) + " is missing and its content was not found"));
    }
  }

  void BuildTables() {
    // Section 二
    if (proactive_seen_ || heading_seen_[static_cast<size_t>(SectionId::kProactive)]) {
      if (!proactive_seen_ && proactive_rows_.empty()) {
        out_.findings.push_back(
            MakeFinding("structure.row_missing", "proactive", "section 二 has no table rows"));
      } else {
        std::map<std::string, std::optional<Cells>> table;
        for (const auto& r : ProactiveRows(rec().form)) {
          auto it = proactive_rows_.find(std::string(r.key));
          if (it != proactive_rows_.end()) {
            table[std::string(r.key)] = it->second;
          } else {
            table[std::string(r.key)] = std::nullopt;
            out_.findings.push_back(MakeFinding("structure.row_missing",
                                                "proactive." + std::string(r.key),
                                                "section 二 has no row " + std::string(r.label)));
          }
        }
        rec().proactive = std::move(table);
      }
    }
    // Section 三
    if (applications_seen_ || heading_seen_[static_cast<size_t>(SectionId::kApplications)]) {
      if (application_rows_.empty()) {
        out_.findings.push_back(
            MakeFinding("structure.row_missing", "applications", "section 三 has no table rows"));
      } else {
        std::map<std::string, std::optional<Cells>> table;
        for (const auto& r : ApplicationRows(rec().form)) {
          auto it = application_rows_.find(std::string(r.key));
          if (it != application_rows_.end()) {
            table[std::string(r.key)] = it->second;
          } else {
            table[std::string(r.key)] = std::nullopt;
            out_.findings.push_back(MakeFinding("structure.row_missing",
                                                "applications." + std::string(r.key),
                                                "section 三 has no row " + std::string(r.label)));
          }
        }
        rec().applications = std::move(table);
      }
    }
    // Section 四
    if (reviews_seen_ || heading_seen_[static_cast<size_t>(SectionId::kReviews)]) {
      if (review_rows_.empty() && review_values_unplaced_) {
        out_.findings.push_back(MakeFinding(
            "structure.cells_merged", "reviews_litigation",
            "section 四's cells came one per line (text extracted without layout) and cannot be "
            "aligned with the form's 15 columns"));
      } else if (review_rows_.empty()) {
        out_.findings.push_back(MakeFinding("structure.row_missing", "reviews_litigation",
                                            "section 四 has no table rows"));
      } else {
        std::map<std::string, std::optional<Cells>> table;
        for (const auto& g : ReviewGroups()) {
          auto it = review_rows_.find(std::string(g.key));
          if (it != review_rows_.end()) {
            table[std::string(g.key)] = it->second;
          } else {
            table[std::string(g.key)] = std::nullopt;
            out_.findings.push_back(MakeFinding("structure.row_missing",
                                                "reviews_litigation." + std::string(g.key),
                                                "section 四 has no row " + std::string(g.label)));
          }
        }
        rec().reviews_litigation = std::move(table);
      }
    }
  }

  void BuildTexts() {
    auto join = [&](SectionId id) -> std::optional<std::string> {
      std::string text;
      for (size_t i = 0; i < paragraphs_.size(); ++i) {
        if (paragraphs_[i].section != static_cast<int>(id)) continue;
        // The signature, and what a page prints below it (抄送, 来源, 附件下载), are no
        // section's text.
        if ((signature_date_ && i >= *signature_date_) ||
            (signature_org_ && i == *signature_org_)) {
          continue;
        }
        if (!text.empty()) text += '\n';
        text += CollapseSpaces(paragraphs_[i].text);
      }
      if (text.empty()) return std::nullopt;
      return text;
    };
    rec().problems = join(SectionId::kProblems);
    rec().other_matters = join(SectionId::kOther);
  }

  const Document& doc_;
  std::vector<LabelForms> para_forms_;  // per block; empty for a table
  std::vector<LabelForms> cell_forms_;  // every cell of every table, in reading order
  ParsedReport out_;
  int current_ = kNoSection;
  RowTable context_ = RowTable::kNone;
  std::string app_group_;
  CellUnit money_unit_ = CellUnit::kMoneyWan;
  std::array<std::optional<size_t>, kSectionCount> first_seen_{};
  std::array<bool, kSectionCount> heading_seen_{};
  bool proactive_seen_ = false, applications_seen_ = false, reviews_seen_ = false;
  std::map<std::string, Cells> proactive_rows_, application_rows_, review_rows_;
  std::vector<Para> paragraphs_;
  std::optional<size_t> title_index_, signature_date_, signature_org_;
  // Text lines and a label row waiting for the value line below them.
  std::string pending_text_;
  // What the lines above the report's text say (FindMetaLines).
  std::optional<std::string> meta_title_, meta_org_, meta_date_;
  std::vector<size_t> meta_lines_;
  std::optional<LabelHit> pending_hit_;
  // A value line whose label began above it and was not yet recognised (CompleteHeldRow).
  struct HeldRow {
    size_t block;
    std::string label_above;
    std::vector<CellView> values;
  };
  std::optional<HeldRow> held_;
  // Lines of a table extracted without layout (OnColumnLine): labels, then values.
  struct ColumnLabel {
    LabelHit hit;
    size_t block;
  };
  std::vector<ColumnLabel> column_labels_;
  std::vector<std::string> column_values_;
  size_t column_values_block_ = 0;
  bool review_values_unplaced_ = false;  // values of section 四 that no reading placed
  bool column_lines_seen_ = false;       // a value has stood alone on a line in a table section
  // The first part of section 四's data row when it is broken over two lines.
  std::vector<CellView> review_part_;
};

}  // namespace

ParsedReport ParseDocument(const Document& doc) {
  // A report delivered as one line is first cut at its inline headings (run_on.h).
  Document split = SplitRunOn(doc);
  ParsedReport out = ReportBuilder(split).Build();
  if (doc.image_only) {
    // The tables are pictures: what is missing from the text says nothing about the report,
    // so one finding says why instead of a missing row or section each.
    std::erase_if(out.findings,
                  [](const Finding& f) { return f.rule.rfind("structure.", 0) == 0; });
    out.findings.push_back(MakeFinding("structure.image_only", std::nullopt,
                                       "the document's tables are images (a scan, or tables "
                                       "pasted as pictures) and could not be read"));
  }
  return out;
}

}  // namespace nianbao::parser
