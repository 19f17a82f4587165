#include "parser/layout.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "parser/labels.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

// The thresholds of the rebuild, each a multiple of the line's font size, so that a report
// set in 10.5 pt and one set in 16 pt are read alike. Measured on LibreOffice's and WPS's
// exports: words of one cell are at most a quarter em apart (the automatic space between
// Chinese and digits), cells of a table mostly an em or more (a group label and its row
// label can stand a third of an em apart: the table splits those, SplitAtStarts); a table's
// rows are 1.5-3 lines apart, a paragraph's lines 1.2-1.7.
struct Tolerances {
  double same_line = 0.35;        // centres of runs on one line differ by less
  double cell_gap = 0.8;          // a gap this wide splits a line into cells
  double latin_space = 0.15;      // a gap this wide between Latin letters/digits is a space
  double paragraph_gap = 0.8;     // blank between lines that starts a paragraph (WPS lines: 0.63)
  double indent = 1.5;            // an indented first line starts a paragraph
  double aligned = 4.0;           // a line starting this far in is centred or right-aligned
  double short_line = 2.0;        // a line ending this far left of the right edge ends one
  double header_gap = 4.0;        // header lines above a table's first row are this close
  double fragment_gap = 4.0;      // label fragments between rows are this close to a row
  double tail_gap = 1.6;          // a label's last line below the table's last row
  double furniture_band = 0.08;   // top and bottom share of a page where furniture lives
  double page_break_pitch = 1.5;  // the flow distance from one page's last line to the next
};
constexpr Tolerances kTol;

// A page number in a header or footer, in the forms Chinese documents use.
const std::vector<std::u32string>& PageNumberShapes() {
  // '#' stands for one or more digits; spaces and dashes are removed before matching.
  static const std::vector<std::u32string> kShapes = {
      U"#", U"第#页", U"第#页共#页", U"#/#", U"共#页第#页", U"page#", U"page#of#",
  };
  return kShapes;
}

bool IsAsciiAlnum(unsigned char c) { return std::isalnum(c) != 0; }

std::string Trim(const std::string& s) {
  std::u32string u = ToU32(s);
  size_t b = 0, e = u.size();
  while (b < e && IsSpace(u[b])) ++b;
  while (e > b && IsSpace(u[e - 1])) --e;
  return ToUtf8(u.substr(b, e - b));
}

// Digits folded to '#' (runs of digits to one '#'), full-width to ASCII, spaces and dashes
// removed, lower case: the shape of a page number, or a repeated running header's key.
std::u32string Shape(const std::string& text) {
  std::u32string out;
  for (char32_t c : ToU32(text)) {
    if (c >= U'０' && c <= U'９') c = c - U'０' + U'0';
    if (c == U'／') c = U'/';
    if (IsSpace(c) || c == U'-' || c == U'－' || c == U'—' || c == U'–' || c == U'·') continue;
    if (c >= U'0' && c <= U'9') {
      if (out.empty() || out.back() != U'#') out.push_back(U'#');
      continue;
    }
    if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
    out.push_back(c);
  }
  return out;
}

// A figure of a table: digits with a decimal point, a percent sign or a unit, or the marks
// portals write for "none" (无, /, —).
bool IsFigure(const std::string& text) {
  std::u32string u = ToU32(RemoveSpaces(text));
  if (u.empty()) return false;
  static const std::u32string kNone[] = {U"无", U"/", U"／", U"-", U"－", U"—", U"——", U"－－"};
  for (const auto& n : kNone) {
    if (u == n) return true;
  }
  static const std::u32string kUnits[] = {U"万元", U"万", U"元", U"件", U"条", U"个", U"次"};
  for (const auto& unit : kUnits) {
    if (u.size() > unit.size() && u.compare(u.size() - unit.size(), unit.size(), unit) == 0) {
      u.resize(u.size() - unit.size());
      break;
    }
  }
  bool digit = false;
  for (char32_t c : u) {
    if ((c >= U'0' && c <= U'9') || (c >= U'０' && c <= U'９')) {
      digit = true;
    } else if (c != U'.' && c != U'．' && c != U',' && c != U'%' && c != U'％') {
      return false;
    }
  }
  return digit;
}

// One cell of a line: runs no more than a cell gap apart, joined.
struct Piece {
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  double flow = 0;  // the line's position in the flow of pages
  std::string text;
  bool figure = false;
  // Where a run after the first begins inside the piece: its x and its offset in `text`, so
  // that a table can split a piece at a column its other rows start at.
  std::vector<std::pair<double, size_t>> joints;
};

struct Line {
  int page = 0;
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  double font_size = 0;
  double flow = 0;  // centre, in a flow where each page follows the last
  std::vector<Piece> cells;
  bool furniture = false;
  bool anchor = false;  // a table row: cells ≥ 2 and at least one figure

  double Centre() const { return (y0 + y1) / 2; }
  std::string Text(const char* sep) const {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += sep;
      out += cells[i].text;
    }
    return out;
  }
};

double FontSize(const TextRun& r) {
  double fs = r.font_size > 0 ? r.font_size : (r.y1 - r.y0);
  // A size out of all proportion (a corrupt file) is clamped so that the tolerances stay sane.
  return std::clamp(fs, 1.0, 1000.0);
}

// The runs of one line, left to right, into cells.
std::vector<Piece> CellsOf(std::vector<const TextRun*> runs, double fs) {
  std::sort(runs.begin(), runs.end(),
            [](const TextRun* a, const TextRun* b) { return a->x0 < b->x0; });
  std::vector<Piece> cells;
  const TextRun* prev = nullptr;
  for (const TextRun* r : runs) {
    // A run drawn twice a hair apart (a "bold" made by overprinting) is read once.
    if (prev && prev->text == r->text && std::abs(prev->x0 - r->x0) < 0.2 * fs) continue;
    double gap = prev ? r->x0 - cells.back().x1 : 0;
    if (!prev || gap > kTol.cell_gap * fs) {
      cells.push_back(Piece{r->x0, r->x1, r->y0, r->y1, 0, r->text, false, {}});
    } else {
      Piece& c = cells.back();
      if (gap > kTol.latin_space * fs) c.joints.emplace_back(r->x0, c.text.size());
      unsigned char last = c.text.empty() ? 0 : static_cast<unsigned char>(c.text.back());
      unsigned char first = static_cast<unsigned char>(r->text.front());
      if (IsAsciiAlnum(last) && IsAsciiAlnum(first) &&
          (gap > kTol.latin_space * fs || prev->space_after)) {
        c.text += ' ';
      }
      c.text += r->text;
      c.x1 = std::max(c.x1, r->x1);
      c.y0 = std::min(c.y0, r->y0);
      c.y1 = std::max(c.y1, r->y1);
    }
    prev = r;
  }
  for (auto& c : cells) c.figure = IsFigure(c.text);
  return cells;
}

// The runs of one page into lines, top to bottom.
std::vector<Line> LinesOfPage(int page, std::vector<const TextRun*> runs) {
  auto centre = [](const TextRun* r) { return (r->y0 + r->y1) / 2; };
  std::sort(runs.begin(), runs.end(), [&](const TextRun* a, const TextRun* b) {
    return centre(a) < centre(b) || (centre(a) == centre(b) && a->x0 < b->x0);
  });
  std::vector<Line> lines;
  std::vector<const TextRun*> current;
  double current_centre = 0;
  double current_fs = 0;
  auto flush = [&] {
    if (current.empty()) return;
    std::vector<double> sizes;
    for (const TextRun* r : current) sizes.push_back(FontSize(*r));
    std::nth_element(sizes.begin(), sizes.begin() + sizes.size() / 2, sizes.end());
    Line line;
    line.page = page;
    line.font_size = sizes[sizes.size() / 2];
    line.cells = CellsOf(current, line.font_size);
    line.x0 = line.cells.front().x0;
    line.x1 = line.cells.back().x1;
    line.y0 = current.front()->y0;
    line.y1 = current.front()->y1;
    for (const TextRun* r : current) {
      line.y0 = std::min(line.y0, r->y0);
      line.y1 = std::max(line.y1, r->y1);
    }
    lines.push_back(std::move(line));
    current.clear();
  };
  for (const TextRun* r : runs) {
    double fs = FontSize(*r);
    if (!current.empty() &&
        std::abs(centre(r) - current_centre) > kTol.same_line * std::max(fs, current_fs)) {
      flush();
    }
    if (current.empty()) {
      current_centre = centre(r);
      current_fs = fs;
    }
    current.push_back(r);
  }
  flush();
  return lines;
}

// Page numbers and running headers/footers: lines in the top or bottom band of a page that
// are a page number, or whose shape (digits folded) recurs in the bands of most pages.
void MarkFurniture(const std::vector<PageSize>& pages, std::vector<Line>* lines) {
  auto in_band = [&](const Line& l) {
    double h = pages[static_cast<size_t>(l.page)].height;
    if (h <= 0) return false;
    return l.y1 < h * kTol.furniture_band || l.y0 > h * (1 - kTol.furniture_band);
  };
  std::map<std::u32string, std::set<int>> pages_of_shape;
  for (const Line& l : *lines) {
    if (in_band(l)) pages_of_shape[Shape(l.Text(""))].insert(l.page);
  }
  size_t page_count = pages.size();
  for (Line& l : *lines) {
    if (!in_band(l)) continue;
    std::string text = l.Text("");
    if (IsPageNumber(text)) {
      l.furniture = true;
      continue;
    }
    size_t seen = pages_of_shape[Shape(text)].size();
    if (page_count >= 3 && seen >= 3 && 2 * seen >= page_count) l.furniture = true;
  }
}

// ---- tables ----

struct Column {
  double x0 = 0, x1 = 0;
};

struct TableBuild {
  std::vector<size_t> header;     // line indices above the first row
  std::vector<size_t> anchors;    // the rows' lines
  std::vector<size_t> fragments;  // label text between rows
};

bool HasRuleBetween(const std::vector<RuleSegment>& rules, const Line& a, const Line& b, double x0,
                    double x1) {
  if (a.page != b.page) return false;
  double top = std::min(a.Centre(), b.Centre());
  double bottom = std::max(a.Centre(), b.Centre());
  for (const RuleSegment& r : rules) {
    if (r.page != a.page || std::abs(r.y1 - r.y0) > 0.5) continue;  // horizontal only
    double ry = (r.y0 + r.y1) / 2;
    double rx0 = std::min(r.x0, r.x1), rx1 = std::max(r.x0, r.x1);
    if (ry > top && ry < bottom && rx0 < x1 && rx1 > x0) return true;
  }
  return false;
}

// A line crossed by a vertical ruled line stands inside a ruled table (a cell's border runs
// past it); prose never does.
bool InsideRuledBox(const std::vector<RuleSegment>& rules, const Line& l) {
  for (const RuleSegment& r : rules) {
    if (r.page != l.page || std::abs(r.x1 - r.x0) > 0.5) continue;  // vertical only
    double top = std::min(r.y0, r.y1), bottom = std::max(r.y0, r.y1);
    double x = (r.x0 + r.x1) / 2;
    if (top < l.Centre() && bottom > l.Centre() && x > l.x0 - 3 * l.font_size &&
        x < l.x1 + 3 * l.font_size) {
      return true;
    }
  }
  return false;
}

std::vector<Column> ColumnsOf(const std::vector<Line>& lines, const std::vector<size_t>& anchors) {
  std::vector<Column> spans;
  for (size_t i : anchors) {
    for (const Piece& p : lines[i].cells) {
      if (p.figure) spans.push_back({p.x0, p.x1});
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const Column& a, const Column& b) { return a.x0 < b.x0; });
  std::vector<Column> cols;
  for (const Column& s : spans) {
    if (!cols.empty() && s.x0 <= cols.back().x1 + 0.5) {
      cols.back().x1 = std::max(cols.back().x1, s.x1);
    } else {
      cols.push_back(s);
    }
  }
  return cols;
}

// The columns a piece covers: those it overlaps, else the nearest by centre.
std::pair<size_t, size_t> ColumnRange(const std::vector<Column>& cols, const Piece& p) {
  size_t first = cols.size(), last = 0;
  for (size_t c = 0; c < cols.size(); ++c) {
    if (p.x0 < cols[c].x1 && p.x1 > cols[c].x0) {
      first = std::min(first, c);
      last = std::max(last, c);
    }
  }
  if (first < cols.size()) return {first, last};
  double mid = (p.x0 + p.x1) / 2;
  size_t best = 0;
  double best_d = 1e18;
  for (size_t c = 0; c < cols.size(); ++c) {
    double d = std::abs(mid - (cols[c].x0 + cols[c].x1) / 2);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return {best, best};
}

// A label piece that runs over into the next label column (a group label and a row label
// set a third of an em apart: "（五）不" "3.要求提供公开出版物") is split where another row's
// label starts.
std::vector<Piece> SplitAtStarts(const Piece& p, const std::vector<double>& starts) {
  std::vector<Piece> out{p};
  out.back().joints.clear();
  for (const auto& joint : p.joints) {
    const double x = joint.first;
    const size_t offset = joint.second;
    bool at_start =
        std::any_of(starts.begin(), starts.end(), [x](double s) { return std::abs(s - x) < 1.0; });
    if (!at_start) continue;
    Piece& left = out.back();
    size_t cut = offset - (p.text.size() - left.text.size());
    Piece right = left;
    right.x0 = x;
    right.text = left.text.substr(cut);
    left.text.resize(cut);
    left.x1 = x;
    out.push_back(std::move(right));
  }
  return out;
}

// Label pieces of one row into cells: pieces whose x ranges overlap are one cell, its lines
// joined with '\n' top to bottom.
std::vector<Cell> LabelCells(std::vector<Piece> pieces) {
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.x0 < b.x0; });
  std::vector<std::vector<Piece>> groups;
  double group_x1 = 0;
  for (Piece& p : pieces) {
    if (!groups.empty() && p.x0 < group_x1) {
      group_x1 = std::max(group_x1, p.x1);
      groups.back().push_back(std::move(p));
    } else {
      group_x1 = p.x1;
      groups.push_back({std::move(p)});
    }
  }
  std::vector<Cell> cells;
  for (auto& g : groups) {
    std::stable_sort(g.begin(), g.end(),
                     [](const Piece& a, const Piece& b) { return a.flow < b.flow; });
    Cell c;
    for (size_t i = 0; i < g.size(); ++i) {
      if (i) c.text += '\n';
      c.text += g[i].text;
    }
    cells.push_back(std::move(c));
  }
  return cells;
}

Table MakeTable(const std::vector<Line>& lines, const TableBuild& t,
                const std::vector<RuleSegment>& rules) {
  std::vector<Column> cols = ColumnsOf(lines, t.anchors);
  double fs = lines[t.anchors.front()].font_size;
  double label_edge = cols.empty() ? 1e18 : cols.front().x0 - 0.3 * fs;
  auto is_label = [&](const Piece& p) { return p.x1 <= label_edge; };

  struct RowBuild {
    std::vector<Piece> labels;
    std::vector<Cell> values;
    std::vector<bool> copy;
  };
  auto place_values = [&](const Line& line, RowBuild* row, bool spans) {
    row->values.assign(cols.size(), Cell{});
    row->copy.assign(cols.size(), false);
    for (const Piece& p : line.cells) {
      if (is_label(p)) {
        Piece q = p;
        q.flow = line.flow;
        row->labels.push_back(std::move(q));
        continue;
      }
      auto [first, last] = ColumnRange(cols, p);
      Cell& c = row->values[first];
      if (!c.text.empty()) c.text += ' ';
      c.text += p.text;
      for (size_t k = first + 1; spans && k <= last; ++k) {
        row->values[k].text = p.text;
        row->values[k].span_copy = true;
      }
    }
  };

  // A header line's words set closer than a cell gap (结果维 结果纠 其他结 in narrow columns)
  // are split where they fall into different columns.
  auto split_header = [&](const Line& line) {
    Line out = line;
    out.cells.clear();
    auto column_of = [&](double a, double b) {
      Piece probe;
      probe.x0 = probe.x1 = (a + b) / 2;
      return ColumnRange(cols, probe).first;
    };
    for (const Piece& p : line.cells) {
      if (is_label(p) || p.joints.empty() || cols.empty()) {
        out.cells.push_back(p);
        continue;
      }
      Piece rest = p;
      rest.joints.clear();
      size_t consumed = 0;
      double seg_x0 = p.x0;
      for (size_t k = 0; k < p.joints.size(); ++k) {
        auto [x, offset] = p.joints[k];
        double next_x = k + 1 < p.joints.size() ? p.joints[k + 1].first : p.x1;
        if (column_of(seg_x0, x) != column_of(x, next_x)) {
          Piece left = rest;
          left.text = p.text.substr(consumed, offset - consumed);
          left.x0 = seg_x0;
          left.x1 = x;
          out.cells.push_back(std::move(left));
          consumed = offset;
          rest.x0 = x;
        }
        seg_x0 = x;
      }
      rest.text = p.text.substr(consumed);
      out.cells.push_back(std::move(rest));
    }
    return out;
  };
  std::vector<RowBuild> header_rows;
  for (size_t i : t.header) {
    RowBuild row;
    place_values(split_header(lines[i]), &row, true);
    header_rows.push_back(std::move(row));
  }
  std::vector<RowBuild> rows(t.anchors.size());
  for (size_t k = 0; k < t.anchors.size(); ++k) place_values(lines[t.anchors[k]], &rows[k], false);
  // Each fragment joins the nearest row not separated from it by a ruled line.
  for (size_t i : t.fragments) {
    const Line& f = lines[i];
    size_t best = t.anchors.size();
    double best_d = 1e18;
    for (size_t k = 0; k < t.anchors.size(); ++k) {
      const Line& a = lines[t.anchors[k]];
      if (!rules.empty() && HasRuleBetween(rules, f, a, f.x0, f.x1)) continue;
      double d = std::abs(a.flow - f.flow);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    if (best == t.anchors.size()) {
      for (size_t k = 0; k < t.anchors.size(); ++k) {
        double d = std::abs(lines[t.anchors[k]].flow - f.flow);
        if (d < best_d) {
          best_d = d;
          best = k;
        }
      }
    }
    for (const Piece& p : f.cells) {
      Piece q = p;
      q.flow = f.flow;
      rows[best].labels.push_back(std::move(q));
    }
  }

  std::vector<double> starts;
  for (const RowBuild& r : rows) {
    for (const Piece& p : r.labels) starts.push_back(p.x0);
  }
  for (RowBuild& r : rows) {
    std::vector<Piece> split;
    for (const Piece& p : r.labels) {
      for (Piece& q : SplitAtStarts(p, starts)) split.push_back(std::move(q));
    }
    r.labels = std::move(split);
  }
  // A header's cell covers the empty columns up to the next one, as its colspan did (行政复议
  // over its five columns): those are copies, never values.
  for (RowBuild& r : header_rows) {
    const Cell* last = nullptr;
    for (Cell& c : r.values) {
      if (!c.text.empty()) {
        last = &c;
      } else if (last != nullptr) {
        c.text = last->text;
        c.span_copy = true;
      }
    }
    const Cell* next = nullptr;
    for (auto it = r.values.rbegin(); it != r.values.rend(); ++it) {
      if (!it->text.empty() && !it->span_copy) {
        next = &*it;
      } else if (it->text.empty() && next != nullptr) {
        it->text = next->text;
        it->span_copy = true;
      }
    }
  }
  // Every row gets as many label cells as the widest: the missing ones are copies of its
  // last label, as a colspan would have given (一、本年新收… spans the three label columns).
  std::vector<std::vector<Cell>> labels;
  size_t width = 1;
  auto collect = [&](std::vector<RowBuild>& rs) {
    for (RowBuild& r : rs) {
      labels.push_back(LabelCells(r.labels));
      width = std::max(width, labels.back().size());
    }
  };
  collect(header_rows);
  collect(rows);
  Table table;
  size_t li = 0;
  auto emit = [&](std::vector<RowBuild>& rs) {
    for (RowBuild& r : rs) {
      Row out = std::move(labels[li++]);
      if (out.empty()) out.push_back(Cell{});
      Cell last = out.back();
      while (out.size() < width) {
        Cell copy = last;
        copy.span_copy = true;
        out.push_back(copy);
      }
      for (Cell& c : r.values) out.push_back(std::move(c));
      table.rows.push_back(std::move(out));
    }
  };
  emit(header_rows);
  emit(rows);
  return table;
}

// ---- paragraphs ----

bool StartsNumbered(const std::string& text) {
  std::u32string u = ToU32(text);
  if (u.empty()) return false;
  static const std::u32string kNumerals = U"一二三四五六七八九十";
  size_t i = 0;
  if (u[0] == U'（' || u[0] == U'(') {
    i = 1;
    while (i < u.size() && kNumerals.find(u[i]) != std::u32string::npos) ++i;
    return i > 1 && i < u.size() && (u[i] == U'）' || u[i] == U')');
  }
  while (i < u.size() && kNumerals.find(u[i]) != std::u32string::npos) ++i;
  return i > 0 && i < u.size() && u[i] == U'、';
}

// A section heading (三、收到和处理政府信息公开申请情况) ends a table and never heads one.
bool IsHeading(const Line& line) {
  std::string rest;
  return line.cells.size() == 1 && MatchSectionHeading(line.cells[0].text, &rest).has_value();
}

void AppendLineText(std::string* para, const Line& line) {
  std::string text = line.Text(" ");
  if (!para->empty() && !text.empty() && IsAsciiAlnum(static_cast<unsigned char>(para->back())) &&
      IsAsciiAlnum(static_cast<unsigned char>(text.front()))) {
    *para += ' ';
  }
  *para += text;
}

}  // namespace

bool IsPageNumber(const std::string& text) {
  std::u32string shape = Shape(text);
  if (shape.empty()) return false;
  for (const auto& s : PageNumberShapes()) {
    if (shape == s) return true;
  }
  return false;
}

std::vector<Block> BuildBlocks(const LayoutInput& input) {
  // Runs by page, furniture and empty runs left out.
  std::vector<std::vector<const TextRun*>> by_page(input.pages.size());
  for (const TextRun& r : input.runs) {
    if (r.page < 0 || static_cast<size_t>(r.page) >= input.pages.size()) continue;
    if (Trim(r.text).empty() || !(r.x1 >= r.x0) || !(r.y1 >= r.y0)) continue;
    bool finite = std::isfinite(r.x0) && std::isfinite(r.x1) && std::isfinite(r.y0) &&
                  std::isfinite(r.y1) && std::isfinite(r.font_size);
    if (!finite) continue;
    by_page[static_cast<size_t>(r.page)].push_back(&r);
  }
  std::vector<Line> all;
  for (size_t p = 0; p < by_page.size(); ++p) {
    for (Line& l : LinesOfPage(static_cast<int>(p), by_page[p])) all.push_back(std::move(l));
  }
  MarkFurniture(input.pages, &all);
  std::vector<Line> lines;
  for (Line& l : all) {
    if (!l.furniture) lines.push_back(std::move(l));
  }
  if (lines.empty()) return {};

  // The flow: each page's lines follow the last page's, a line apart.
  double offset = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& l = lines[i];
    if (i > 0 && l.page != lines[i - 1].page) {
      offset = lines[i - 1].flow + kTol.page_break_pitch * l.font_size - l.Centre();
    }
    l.flow = l.Centre() + offset;
    size_t figures = 0;
    for (const Piece& c : l.cells) figures += c.figure ? 1 : 0;
    l.anchor = l.cells.size() >= 2 && figures >= 1;
  }
  // The left margin of each page: where its text lines start.
  std::map<int, double> margin;
  std::map<int, double> right;
  for (const Line& l : lines) {
    auto [it, fresh] = margin.emplace(l.page, l.x0);
    if (!fresh) it->second = std::min(it->second, l.x0);
    auto [rt, rfresh] = right.emplace(l.page, l.x1);
    if (!rfresh) rt->second = std::max(rt->second, l.x1);
  }
  // The right edge of the prose, where it exists: the longest single-cell line (a table is
  // often wider than the text, and would make every line of prose look short).
  std::map<int, double> prose_right;
  for (const Line& l : lines) {
    if (l.cells.size() != 1 || ToU32(l.cells[0].text).size() < 10) continue;
    auto [pt, pfresh] = prose_right.emplace(l.page, l.x1);
    if (!pfresh) pt->second = std::max(pt->second, l.x1);
  }
  for (const auto& [page, x] : prose_right) right[page] = x;

  // Tables first: each is grown from a row line, with its header above and its label
  // fragments between rows; what no table takes becomes paragraphs.
  std::vector<int> owner(lines.size(), -1);  // table index per line
  std::vector<TableBuild> tables;
  auto gap = [&](size_t a, size_t b) {  // flow distance between lines a < b, in b's font size
    return (lines[b].flow - lines[a].flow) / lines[b].font_size;
  };
  size_t i = 0;
  while (i < lines.size()) {
    if (!lines[i].anchor) {
      ++i;
      continue;
    }
    TableBuild t;
    int index = static_cast<int>(tables.size());
    // Header: lines just above, each close to the next, not prose at the margin.
    for (size_t h = i; h > 0; --h) {
      size_t k = h - 1;
      if (owner[k] != -1 || lines[k].anchor || IsHeading(lines[k])) break;
      if (gap(k, h) > kTol.header_gap) break;
      const Line& l = lines[k];
      bool at_margin = l.x0 < margin[l.page] + l.font_size;
      bool ruled = !input.rules.empty() && InsideRuledBox(input.rules, l);
      if (l.cells.size() < 2 && at_margin && !ruled) break;
      // In a ruled table, a line that no rule parts from the first row is that row's label
      // begun above its figures (一、本年新收政府信息公开 | 申请数量 14 3 …).
      if (ruled && !HasRuleBetween(input.rules, l, lines[i], l.x0, l.x1)) {
        t.fragments.push_back(k);
      } else {
        t.header.insert(t.header.begin(), k);
      }
    }
    // Rows and the label text between them.
    std::vector<Column> cols;
    size_t last_anchor = i;
    std::vector<size_t> pending;
    size_t j = i;
    for (; j < lines.size(); ++j) {
      const Line& l = lines[j];
      if (l.anchor) {
        for (size_t p : pending) t.fragments.push_back(p);
        pending.clear();
        t.anchors.push_back(j);
        last_anchor = j;
        cols = ColumnsOf(lines, t.anchors);
        continue;
      }
      double edge = cols.empty() ? 0 : cols.front().x0 - 0.3 * l.font_size;
      bool in_labels = l.x1 <= edge;
      size_t prev = pending.empty() ? last_anchor : pending.back();
      if (!in_labels || gap(prev, j) > kTol.fragment_gap || IsHeading(l)) break;
      pending.push_back(j);
    }
    // A label's last line just below the last row stays with it; the rest is not the table's.
    for (size_t p : pending) {
      if (gap(last_anchor, p) <= kTol.tail_gap) t.fragments.push_back(p);
    }
    for (size_t k : t.header) owner[k] = index;
    for (size_t k : t.anchors) owner[k] = index;
    for (size_t k : t.fragments) owner[k] = index;
    tables.push_back(std::move(t));
    i = last_anchor + 1;
  }

  std::vector<Block> blocks;
  std::string para;
  const Line* prev = nullptr;
  auto flush_para = [&] {
    if (!para.empty()) {
      Block b;
      b.kind = Block::Kind::kParagraph;
      b.text = std::move(para);
      blocks.push_back(std::move(b));
    }
    para.clear();
    prev = nullptr;
  };
  int emitted = -1;
  for (size_t k = 0; k < lines.size(); ++k) {
    const Line& l = lines[k];
    if (owner[k] != -1) {
      flush_para();
      if (owner[k] > emitted) {
        emitted = owner[k];
        Block b;
        b.kind = Block::Kind::kTable;
        b.table = MakeTable(lines, tables[static_cast<size_t>(owner[k])], input.rules);
        blocks.push_back(std::move(b));
      }
      continue;
    }
    if (prev) {
      double fs = l.font_size;
      bool same_page = prev->page == l.page;
      double blank = same_page ? l.y0 - prev->y1 : 0;
      bool starts = blank > kTol.paragraph_gap * fs || l.x0 > margin[l.page] + kTol.indent * fs ||
                    prev->x1 < right[prev->page] - kTol.short_line * fs ||
                    prev->x0 > margin[prev->page] + kTol.aligned * prev->font_size ||
                    std::abs(prev->font_size - fs) > 1.0 || StartsNumbered(l.Text(""));
      if (starts) flush_para();
    }
    AppendLineText(&para, l);
    prev = &l;
  }
  flush_para();
  return blocks;
}

}  // namespace nianbao::parser
