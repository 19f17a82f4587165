#include "parser/text_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

enum class LineKind {
  kBlank,      // nothing but spaces
  kRule,       // ---\t--- or |---|---|: a markdown table rule, dropped
  kPipeRow,    // | a | b |
  kTabRow,     // a\tb\tc: a whole row on one line
  kCellLine,   // \ta: one cell of the row being built
  kSpacedRow,  // a row laid out with spaces, as pdftotext -layout writes it
  kText,       // anything else
};

std::string_view Trim(std::string_view s) {
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsLayoutSpace(char32_t c) { return c == U' ' || c == 0x3000 || c == 0x00A0; }

// A piece of a laid-out line that is a cell value: a number (signed, decimal, 万元/元) or a
// dash standing for an empty cell. Empty marks that are words (无) are not values here: a
// line of prose may end with one.
bool IsValueToken(std::string_view piece) {
  if (piece.empty()) return false;
  CellReading r = ReadCell(piece, CellUnit::kMoneyWan);
  if (r.kind == CellReading::Kind::kNumber) return true;
  return r.kind == CellReading::Kind::kEmpty && piece != "无" && piece != "空";
}

// pdftotext -layout and PDF-to-text converters lay a table row out on one line: its label, a
// run of spaces, then its values separated by spaces ("一、本年新收…数量      21    0 …  21"),
// or only the values when the label stood on the line above, or a header row of several
// column names separated by wide gaps. Returns the cells, or nothing for a line of prose.
// Prose lines never end in two or more bare numbers, nor hold three pieces set apart by wide
// gaps without sentence punctuation.
std::optional<Row> SpacedRow(std::string_view line) {
  // Most lines are prose without a single space or tab between words: they are one piece and
  // no row. In well-formed UTF-8 (REQUIRES of ReadText) the bytes of a separator appear only as
  // that separator, so a line without them is told from its bytes, without decoding.
  if (line.find_first_of(" \t") == std::string_view::npos &&
      line.find("\xC2\xA0") == std::string_view::npos &&
      line.find("\xE3\x80\x80") == std::string_view::npos) {
    return std::nullopt;
  }
  std::u32string u = ToU32(line);
  // Pieces separated by any whitespace, and whether a wide gap (2+ spaces) precedes each.
  struct Piece {
    std::u32string text;
    bool wide_gap_before;
  };
  std::vector<Piece> pieces;
  size_t i = 0;
  while (i < u.size()) {
    size_t gap = 0;
    while (i < u.size() && (IsLayoutSpace(u[i]) || u[i] == U'\t')) {
      gap += u[i] == U'\t' ? 2 : 1;
      ++i;
    }
    if (i >= u.size()) break;
    size_t start = i;
    while (i < u.size() && !IsLayoutSpace(u[i]) && u[i] != U'\t') ++i;
    pieces.push_back({u.substr(start, i - start), gap >= 2 || pieces.empty()});
  }
  if (pieces.size() < 2) return std::nullopt;
  // The values at the end of the line.
  size_t first_value = pieces.size();
  while (first_value > 0 && IsValueToken(ToUtf8(pieces[first_value - 1].text))) --first_value;
  size_t values = pieces.size() - first_value;
  Row row;
  if (values >= 2 || (values == 1 && first_value > 0 && pieces[first_value].wide_gap_before)) {
    // Label words (one cell, however many spaces they hold) then one cell per value.
    std::string label;
    for (size_t k = 0; k < first_value; ++k) {
      if (!label.empty()) label += ' ';
      label += ToUtf8(pieces[k].text);
    }
    if (first_value > 0) row.push_back(Cell{label, false});
    for (size_t k = first_value; k < pieces.size(); ++k) {
      row.push_back(Cell{ToUtf8(pieces[k].text), false});
    }
    return row;
  }
  // A header row: three or more cells set apart by wide gaps, no sentence in them.
  std::vector<std::string> cells;
  for (const auto& p : pieces) {
    if (p.text.find_first_of(U"。，；：,;") != std::u32string::npos) return std::nullopt;
    if (p.wide_gap_before || cells.empty()) {
      cells.push_back(ToUtf8(p.text));
    } else {
      cells.back() += ' ' + ToUtf8(p.text);
    }
  }
  if (cells.size() < 3) return std::nullopt;
  for (auto& c : cells) row.push_back(Cell{std::move(c), false});
  return row;
}

// The kind of a line; for a kSpacedRow, its cells in *spaced.
LineKind Classify(std::string_view line, std::optional<Row>* spaced) {
  std::string_view t = Trim(line);
  if (t.empty())
    return line.find('\t') != std::string_view::npos ? LineKind::kCellLine : LineKind::kBlank;
  if (IsBlank(t)) return LineKind::kBlank;
  bool rule = true;
  int dashes = 0;
  for (char c : t) {
    if (c == '-') ++dashes;
    if (c != '-' && c != '|' && c != ':' && c != '=' && c != '+' && c != ' ' && c != '\t') {
      rule = false;
      break;
    }
  }
  if (rule && dashes >= 3) return LineKind::kRule;
  if (t.front() == '|' && t.size() > 1) return LineKind::kPipeRow;
  size_t first_tab = line.find('\t');
  if (first_tab == std::string_view::npos) {
    *spaced = SpacedRow(line);
    return *spaced ? LineKind::kSpacedRow : LineKind::kText;
  }
  bool content_before_tab = !Trim(line.substr(0, first_tab)).empty();
  bool more_tabs = line.find('\t', first_tab + 1) != std::string_view::npos;
  if (content_before_tab || more_tabs) return LineKind::kTabRow;
  return LineKind::kCellLine;
}

// TrimSpaces, as a view when the text is well-formed (the usual case: the decoder sanitises
// every page), which reads only the spaces at both ends of a line instead of all of it.
std::string Trimmed(std::string_view s, bool well_formed) {
  return well_formed ? std::string(TrimSpacesView(s)) : TrimSpaces(s);
}

Row SplitRow(std::string_view line, char sep, bool well_formed) {
  Row row;
  size_t start = 0;
  for (;;) {
    size_t pos = line.find(sep, start);
    std::string_view part = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
    row.push_back(Cell{Trimmed(part, well_formed), false});
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return row;
}

// Paragraph text without the markdown and Word-export artefacts that text versions carry.
// `well_formed`: IsWellFormedUtf8 of the whole text (then of every piece of it cut at ASCII).
std::string CleanParagraph(std::string_view line, bool well_formed) {
  std::string s = Trimmed(line, well_formed);
  if (s.rfind("[bookmark:", 0) == 0) {
    auto close = s.find(']');
    if (close != std::string::npos) s = Trimmed(std::string_view(s).substr(close + 1), well_formed);
  }
  if (s.rfind("- ", 0) == 0 || s.rfind("* ", 0) == 0) {
    s = Trimmed(std::string_view(s).substr(2), well_formed);
  }
  // One pass each, not an erase per mark: a line of 100,000 '*' or '#' would be quadratic.
  // Pairs are dropped as repeated erasing of the first "**" would: an odd run leaves one '*'.
  std::string unbolded;
  unbolded.reserve(s.size());
  for (char c : s) {
    if (c == '*' && !unbolded.empty() && unbolded.back() == '*') {
      unbolded.pop_back();
    } else {
      unbolded.push_back(c);
    }
  }
  return Trimmed(
      std::string_view(unbolded).substr(std::min(unbolded.find_first_not_of('#'), unbolded.size())),
      well_formed);
}

class TextReader {
 public:
  Document Read(std::string_view text) {
    well_formed_ = IsWellFormedUtf8(text);
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      std::string_view line =
          text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      Feed(line);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    FlushRow();
    FlushTable();
    return std::move(doc_);
  }

 private:
  void Feed(std::string_view line) {
    std::optional<Row> spaced;
    LineKind kind = Classify(line, &spaced);
    switch (kind) {
      case LineKind::kBlank:
        FlushRow();
        last_was_cell_ = false;
        return;
      case LineKind::kRule:
        FlushRow();
        last_was_cell_ = false;
        return;
      case LineKind::kPipeRow: {
        FlushRow();
        std::string_view t = Trim(line);
        t.remove_prefix(1);
        if (!t.empty() && t.back() == '|') t.remove_suffix(1);
        table_.rows.push_back(SplitRow(t, '|', well_formed_));
        last_was_cell_ = false;
        return;
      }
      case LineKind::kTabRow:
        FlushRow();
        table_.rows.push_back(SplitRow(line, '\t', well_formed_));
        last_was_cell_ = false;
        return;
      case LineKind::kSpacedRow:
        FlushRow();
        table_.rows.push_back(std::move(*spaced));
        last_was_cell_ = false;
        return;
      case LineKind::kCellLine:
        row_.push_back(Cell{Trimmed(line, well_formed_), false});
        last_was_cell_ = true;
        return;
      case LineKind::kText:
        if (last_was_cell_ && !row_.empty()) {
          // A line break inside a cell: "（三）不予" / "以公" / "开".
          std::string& cell = row_.back().text;
          if (!cell.empty()) cell += '\n';
          cell += Trimmed(line, well_formed_);
          return;
        }
        FlushRow();
        FlushTable();
        std::string para = CleanParagraph(line, well_formed_);
        if (!para.empty()) {
          Block b;
          b.kind = Block::Kind::kParagraph;
          b.text = std::move(para);
          doc_.blocks.push_back(std::move(b));
        }
        return;
    }
  }

  void FlushRow() {
    if (!row_.empty()) table_.rows.push_back(std::move(row_));
    row_.clear();
  }

  void FlushTable() {
    if (table_.rows.empty()) return;
    Block b;
    b.kind = Block::Kind::kTable;
    b.table = std::move(table_);
    doc_.blocks.push_back(std::move(b));
    table_ = Table{};
  }

  Document doc_;
  Table table_;
  Row row_;
  bool last_was_cell_ = false;
  bool well_formed_ = false;  // IsWellFormedUtf8 of the whole text
};

}  // namespace

Document ReadText(std::string_view utf8) { return TextReader().Read(utf8); }

}  // namespace nianbao::parser
