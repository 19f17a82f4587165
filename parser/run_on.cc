#include "parser/run_on.h"

#include <optional>
#include <string>
#include <vector>

#include "parser/labels.h"
#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

constexpr std::u32string_view kNumerals = U"一二三四五六";

bool IsDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool IsInlineSpace(char32_t c) { return c == U' ' || c == 0x3000 || c == 0x00A0 || c == U'\t'; }

struct InlineHeading {
  size_t begin;  // of the numeral
  size_t end;    // just after the heading's words
  SectionId id;
};

// Section headings written inline: "二、主动公开政府信息情况" where 二 is the section's own
// numeral, in the form's order. 一、本年新收… and 四、结转下年度继续办理 (rows of section 三) are
// not headings: their words are none of SectionHeadings().
std::vector<InlineHeading> FindInlineHeadings(std::u32string_view s) {
  // The headings' words as code points, decoded once (immutable after the first call).
  static const std::vector<std::u32string> kWants = [] {
    std::vector<std::u32string> wants;
    for (const auto& h : SectionHeadings()) wants.push_back(ToU32(h.words));
    return wants;
  }();
  std::vector<InlineHeading> out;
  int next = 0;  // the lowest section index still to come
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    size_t n = kNumerals.find(s[i]);
    if (n == std::u32string_view::npos || static_cast<int>(n) < next) continue;
    if (s[i + 1] != U'、' && s[i + 1] != U'.' && s[i + 1] != U'．') continue;
    size_t words = i + 2;
    while (words < s.size() && IsInlineSpace(s[words])) ++words;
    std::optional<InlineHeading> best;
    for (size_t hi = 0; hi < SectionHeadings().size(); ++hi) {
      const SectionHeadingSpec& h = SectionHeadings()[hi];
      if (static_cast<size_t>(h.id) != n) continue;
      // Heading words may hold spaces inside ("三、本年度办 理结果" is a row, but a heading
      // can be broken the same way): compare ignoring spaces.
      const std::u32string& want = kWants[hi];
      size_t j = words, k = 0;
      while (j < s.size() && k < want.size()) {
        if (IsInlineSpace(s[j])) {
          ++j;
          continue;
        }
        if (FoldWidth(s[j]) != FoldWidth(want[k])) break;
        ++j;
        ++k;
      }
      if (k == want.size() && (!best || j > best->end)) best = InlineHeading{i, j, h.id};
    }
    if (!best) continue;
    out.push_back(*best);
    next = static_cast<int>(n) + 1;
    i = best->end - 1;
  }
  return out;
}

Block Paragraph(std::u32string_view text) {
  Block b;
  b.kind = Block::Kind::kParagraph;
  b.text = CollapseSpaces(ToUtf8(text));
  return b;
}

// The label table of a table section, for finding the row label that ends a run of text.
std::span<const LabelSpec> LabelsOf(SectionId id) {
  if (id == SectionId::kProactive) return ProactiveLabels();
  if (id == SectionId::kApplications) return ApplicationLabels();
  return ReviewLabels();
}

// Where a numbering token begins a new label inside run-together text: "（三）", "1.", "2、",
// "三、". "第二十条第（一）项" is a heading, not numbering: "（一）" after 第 does not count.
bool NumberingAt(std::u32string_view s, size_t i) {
  char32_t c = FoldWidth(s[i]);
  if (c == U'(') {
    size_t j = i + 1;
    while (j < s.size() && (kNumerals.find(s[j]) != std::u32string_view::npos || s[j] == U'七' ||
                            s[j] == U'八' || s[j] == U'九' || IsDigit(s[j]))) {
      ++j;
    }
    return j > i + 1 && j < s.size() && FoldWidth(s[j]) == U')' && !(i > 0 && s[i - 1] == U'第');
  }
  bool numeral = IsDigit(c) || kNumerals.find(c) != std::u32string_view::npos;
  if (!numeral || i + 1 >= s.size()) return false;
  char32_t sep = FoldWidth(s[i + 1]);
  return (sep == U'、' || sep == U'.') && i + 2 < s.size() && !IsDigit(s[i + 2]);
}

// Splits a run of label text at numbering and after group headings (第二十条第（一）项), and
// cuts the shortest tail that the section's label table recognises into a piece of its own.
std::vector<std::u32string> LabelPieces(std::u32string_view text, SectionId section) {
  std::vector<std::u32string> pieces;
  size_t start = 0;
  for (size_t i = 1; i <= text.size(); ++i) {
    bool cut = i == text.size() || NumberingAt(text, i);
    // After "第…条第（…）项".
    if (!cut && text[i - 1] == U'项') {
      size_t di = text.rfind(U'第', i - 1);
      cut = di != std::u32string_view::npos && di >= start && i - di < 12 &&
            text.substr(start, i - start).find(U"条第") != std::u32string_view::npos;
    }
    if (!cut) continue;
    std::u32string piece(text.substr(start, i - start));
    if (!RemoveSpaces(ToUtf8(piece)).empty()) pieces.push_back(piece);
    start = i;
  }
  if (pieces.empty()) return pieces;
  // The row label is the shortest tail of the last piece that the label table knows.
  std::u32string& last = pieces.back();
  for (size_t k = last.size(); k-- > 0;) {
    std::string tail = StripNumbering(NormalizeLabel(ToUtf8(last.substr(k))));
    if (MatchLabel(LabelsOf(section), tail).empty()) continue;
    if (k > 0) {
      // Numbering that opened the piece stays with the label: "（七）总计".
      std::u32string head = last.substr(0, k);
      std::string head_norm = NormalizeLabel(ToUtf8(head));
      if (!StripNumbering(head_norm).empty()) {
        std::u32string label = last.substr(k);
        last = head;
        pieces.push_back(label);
      }
    }
    break;
  }
  return pieces;
}

// The rows of a table section's run-together text.
Table RunOnTable(std::u32string_view s, SectionId section) {
  Table t;
  size_t i = 0;
  size_t text_start = 0;
  while (i < s.size()) {
    if (!IsDigit(s[i]) && !(s[i] == U'+' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      ++i;
      continue;
    }
    // A run of values: digits, signs, decimal points, spaces; then 万元/元 if any.
    size_t begin = i;
    size_t end = i;
    while (end < s.size()) {
      char32_t c = s[end];
      if (IsDigit(c) || c == U'+' || c == U'-' || IsInlineSpace(c)) {
        ++end;
      } else if (c == U'.' && end + 1 < s.size() && IsDigit(s[end + 1]) && end > begin) {
        ++end;
      } else {
        break;
      }
    }
    // The numbering of the next label is not a value: "00000002.其他…" ends in its "2".
    size_t values_end = end;
    if (end < s.size() && NumberingAt(s, end - 1)) values_end = end - 1;
    if (values_end < s.size() && s[values_end] == U'万') ++values_end;
    if (values_end < s.size() && s[values_end] == U'元') ++values_end;
    while (values_end > begin && IsInlineSpace(s[values_end - 1])) --values_end;
    // Digits inside a label ("第二十条", "三安全一稳定" have none; "第1项" would) are part of it
    // when Han text follows directly with no space.
    std::u32string_view label_text = s.substr(text_start, begin - text_start);
    if (values_end <= begin) {
      i = end;
      continue;
    }
    std::vector<std::u32string> pieces = LabelPieces(label_text, section);
    Row values;
    std::u32string_view run = s.substr(begin, values_end - begin);
    size_t k = 0;
    while (k < run.size()) {
      while (k < run.size() && IsInlineSpace(run[k])) ++k;
      size_t b = k;
      while (k < run.size() && !IsInlineSpace(run[k])) ++k;
      if (k > b) {
        Cell c;
        c.text = ToUtf8(run.substr(b, k - b));
        c.run_on = true;
        values.push_back(std::move(c));
      }
    }
    bool labelled = false;
    if (!pieces.empty()) {
      std::string tail = StripNumbering(NormalizeLabel(ToUtf8(pieces.back())));
      labelled = !MatchLabel(LabelsOf(section), tail).empty();
      // Section 四's group names followed by its column headers ("…复议后起诉结果维持…总计")
      // head the form's one data row: the values after them are that row, not a group's.
      if (section == SectionId::kReviews && IsHeaderWord(tail)) labelled = false;
    }
    for (size_t p = 0; p + (labelled ? 1 : 0) < pieces.size(); ++p) {
      Cell c;
      c.text = CollapseSpaces(ToUtf8(pieces[p]));
      t.rows.push_back(Row{c});
    }
    Row row;
    if (labelled) {
      Cell c;
      c.text = CollapseSpaces(ToUtf8(pieces.back()));
      row.push_back(std::move(c));
    }
    for (auto& v : values) row.push_back(std::move(v));
    t.rows.push_back(std::move(row));
    i = values_end;
    text_start = values_end;
  }
  std::u32string_view rest = s.substr(text_start);
  if (!RemoveSpaces(ToUtf8(rest)).empty()) {
    Cell c;
    c.text = CollapseSpaces(ToUtf8(rest));
    t.rows.push_back(Row{c});
  }
  return t;
}

// The date "2020年1月7日" at position i of s, standing alone: a space before it and a space or
// the end after it ("…2020年1月13日印发" is the print line of a 抄送 block, not a signature).
// Returns the position just after 日, or 0.
size_t StandaloneDateAt(std::u32string_view s, size_t i) {
  if (i == 0 || !IsInlineSpace(s[i - 1])) return 0;
  size_t j = i;
  auto digits = [&](size_t min, size_t max) {
    size_t b = j;
    while (j < s.size() && IsDigit(s[j]) && j - b < max) ++j;
    return j - b >= min;
  };
  if (!digits(4, 4) || j >= s.size() || s[j++] != U'年') return 0;
  if (!digits(1, 2) || j >= s.size() || s[j++] != U'月') return 0;
  if (!digits(1, 2) || j >= s.size() || s[j++] != U'日') return 0;
  if (j < s.size() && !IsInlineSpace(s[j])) return 0;
  return j;
}

// Cuts the signature written inline at the end of the last section ("…无。 平潭综合实验区国有
// 资产管理局 2020年1月7日 来源：… 附件下载") into lines of their own: the text, the signing body,
// the date, and what the page printed after them. The body is the words just before the date,
// set apart by spaces and without sentence punctuation; the report parser then reads the
// signature as it reads one on lines of its own.
void SplitSignature(std::u32string_view content, std::vector<Block>* out) {
  for (size_t i = content.size(); i-- > 1;) {
    size_t date_end = StandaloneDateAt(content, i);
    if (date_end == 0) continue;
    size_t org_end = i;
    while (org_end > 0 && IsInlineSpace(content[org_end - 1])) --org_end;
    size_t org_begin = org_end;
    while (org_begin > 0 && !IsInlineSpace(content[org_begin - 1])) --org_begin;
    std::u32string_view org = content.substr(org_begin, org_end - org_begin);
    if (org.empty() || org.size() > 40 || org_begin == 0 ||
        org.find_first_of(U"。，；：:,") != std::u32string_view::npos) {
      continue;
    }
    out->push_back(Paragraph(content.substr(0, org_begin)));
    out->push_back(Paragraph(org));
    out->push_back(Paragraph(content.substr(i, date_end - i)));
    std::u32string_view after = content.substr(date_end);
    if (!RemoveSpaces(ToUtf8(after)).empty()) out->push_back(Paragraph(after));
    return;
  }
  out->push_back(Paragraph(content));
}

bool IsTableSection(SectionId id) {
  return id == SectionId::kProactive || id == SectionId::kApplications || id == SectionId::kReviews;
}

void SplitParagraph(const std::string& text, std::vector<Block>* out) {
  std::u32string s = ToU32(text);
  std::vector<InlineHeading> headings = FindInlineHeadings(s);
  if (headings.size() < 2) {
    // The paragraph as it is: CollapseSpaces reads the same code points from `text` as from
    // ToUtf8(s), so the round trip through s is skipped.
    Block b;
    b.kind = Block::Kind::kParagraph;
    b.text = CollapseSpaces(text);
    out->push_back(std::move(b));
    return;
  }
  if (headings.front().begin > 0) {
    std::u32string_view before = std::u32string_view(s).substr(0, headings.front().begin);
    if (!RemoveSpaces(ToUtf8(before)).empty()) out->push_back(Paragraph(before));
  }
  for (size_t h = 0; h < headings.size(); ++h) {
    const InlineHeading& head = headings[h];
    size_t content_end = h + 1 < headings.size() ? headings[h + 1].begin : s.size();
    out->push_back(Paragraph(std::u32string_view(s).substr(head.begin, head.end - head.begin)));
    std::u32string_view content = std::u32string_view(s).substr(head.end, content_end - head.end);
    if (RemoveSpaces(ToUtf8(content)).empty()) continue;
    if (IsTableSection(head.id)) {
      Block b;
      b.kind = Block::Kind::kTable;
      b.table = RunOnTable(content, head.id);
      if (!b.table.rows.empty()) out->push_back(std::move(b));
    } else if (h + 1 == headings.size()) {
      SplitSignature(content, out);
    } else {
      out->push_back(Paragraph(content));
    }
  }
}

}  // namespace

Document SplitRunOn(const Document& doc) {
  Document out;
  out.page_title = doc.page_title;
  out.page_date = doc.page_date;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) {
      SplitParagraph(b.text, &out.blocks);
    } else {
      out.blocks.push_back(b);
    }
  }
  return out;
}

}  // namespace nianbao::parser
