#include "parser/html_reader.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "parser/html_prepass.h"

// How a page is read, and why:
//   * The page is first rewritten by TagScanner (below) so that Gumbo 0.10.1 can neither take
//     quadratic time, nor blow up in memory, nor hit one of its aborting assertions; Gumbo's
//     memory is tracked by GumboMemory and freed without its recursive destroy.
//   * One pass (IndexPage) collects the page's metadata, which elements hold a table, which
//     hold the report's own words, and the article element (div.TRS_Editor, article_content).
//   * The reader walks the article element if it has the report, else the whole body,
//     iteratively. Chrome (nav, footer, class/id naming breadcrumbs, share boxes…) is skipped
//     unless it holds the report, since wrappers such as <form id="form1"> or a
//     "position-relative" div sometimes do.
//   * Nested tables: a table that holds another table is page layout (old portals put the
//     whole article in one), so it is read as flow (paragraphs) and only the innermost tables
//     become Table blocks, in document order. A data table with a table in one of its cells
//     is therefore read as layout too; report tables never nest in practice.
namespace nianbao::parser {
namespace {

// ---- Limits ----
//
// A report is ~10 KB inside 100-350 KB of portal chrome; these bounds are far above any real
// page and keep hostile ones (huge, deeply nested, absurd spans) linear in time and memory.

// Bytes of a page that are read; the rest is ignored (the parse facade refuses pages over
// 16 MiB before they get here).
constexpr size_t kMaxInputBytes = 16u << 20;
// Element nesting kept for Gumbo. Gumbo's tree construction scans the stack of open elements
// for every start tag, so a page nesting 50,000 <div> takes seconds and 200,000 minutes;
// real pages nest a few dozen deep. Tags beyond this depth are removed before parsing
// (their text is kept), see TagScanner.
constexpr size_t kMaxNesting = 256;
// Tags read: a 350 KB portal page has some 10,000; each becomes a Gumbo node of a few
// hundred bytes.
constexpr size_t kMaxTags = 500000;
// Span attributes are clamped as browsers do, only tighter.
constexpr long kMaxColspan = 100;
constexpr long kMaxRowspan = 1000;
constexpr size_t kMaxTableColumns = 256;
// Grid slots and text bytes the whole document may produce: a 1000 x 100 span copies its
// text 100,000 times, so copies are budgeted.
constexpr size_t kMaxCells = 1u << 20;
constexpr size_t kMaxTextBytes = 64u << 20;
constexpr size_t kMaxBlocks = 1u << 18;
// Chrome lines (来源：…, 发布时间：…) are short; a report paragraph starting with the same
// words would be long.
constexpr size_t kShortLineCodePoints = 80;
// An article element (TRS_Editor) that yields no table and less text than this is not the
// report body; the whole page is read instead.
constexpr size_t kLittleTextBytes = 600;

// ---- Small string helpers ----

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Length of the whitespace character at s[i], or 0. Besides ASCII whitespace, portals use
// U+00A0 (&nbsp;) and U+3000 (ideographic space) for layout, U+2000-U+200B and U+FEFF too.
size_t SpaceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsAsciiSpace(s[i]) ? 1 : 0;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && at(1) == 0xA0) return 2;
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;
  if (c == 0xE2 && at(1) == 0x80 && at(2) <= 0x8B) return 3;
  if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;
  return 0;
}

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// CJK and full-width characters (U+3000-U+FFFF, three-byte sequences led by E3-EF): the
// line breaks of the HTML source between two of them are not spaces (CSS Text 3 segment
// break transformation), so "洛碛镇\n人民政府" reads as one word.
bool IsWideLead(unsigned char lead) { return lead >= 0xE3 && lead <= 0xEF; }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Accumulates text the way a browser lays it out: whitespace runs become one space, leading
// and trailing whitespace vanish, explicit breaks become '\n' (never doubled, never first).
class TextBuilder {
 public:
  void Append(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
      if (size_t sp = SpaceLength(s, i)) {
        pending_space_ = true;
        if (s[i] == '\n' || s[i] == '\r') pending_newline_ = true;
        i += sp;
        continue;
      }
      size_t run = i;
      while (i < s.size() && SpaceLength(s, i) == 0) {
        i += Utf8Length(static_cast<unsigned char>(s[i]));
      }
      i = std::min(i, s.size());
      PutSeparator(static_cast<unsigned char>(s[run]));
      text_.append(s.substr(run, i - run));
      last_lead_ = LastLead();
    }
  }

  // An explicit line break (<br>, <p> inside a table cell).
  void Break() {
    if (!text_.empty()) pending_break_ = true;
  }

  bool empty() const { return text_.empty(); }

  std::string Take() {
    std::string out = std::move(text_);
    text_.clear();
    pending_space_ = pending_newline_ = pending_break_ = false;
    last_lead_ = 0;
    return out;
  }

 private:
  void PutSeparator(unsigned char next_lead) {
    if (!text_.empty()) {
      if (pending_break_) {
        text_.push_back('\n');
      } else if (pending_space_ &&
                 !(pending_newline_ && IsWideLead(last_lead_) && IsWideLead(next_lead))) {
        text_.push_back(' ');
      }
    }
    pending_space_ = pending_newline_ = pending_break_ = false;
  }

  unsigned char LastLead() const {
    size_t k = text_.size();
    while (k > 0 && (static_cast<unsigned char>(text_[k - 1]) & 0xC0) == 0x80) --k;
    return k > 0 ? static_cast<unsigned char>(text_[k - 1]) : 0;
  }

  std::string text_;
  bool pending_space_ = false;
  bool pending_newline_ = false;  // the pending whitespace held a source line break
  bool pending_break_ = false;
  unsigned char last_lead_ = 0;
};

// "2021-01-19", "2021年1月19日", "2021/1/19", "2021.01.19" at the start of s (more may
// follow, e.g. a time) -> "2021-01-19".
std::optional<std::string> DateAtStart(std::string_view s) {
  size_t i = 0;
  auto number = [&](size_t max_digits, int* out) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && IsAsciiDigit(s[i]) && i - start < max_digits)
      v = v * 10 + (s[i++] - '0');
    *out = v;
    return i > start;
  };
  auto separator = [&](std::string_view cjk) {
    if (i < s.size() && (s[i] == '-' || s[i] == '/' || s[i] == '.')) {
      ++i;
      return true;
    }
    if (StartsWith(s.substr(i), cjk)) {
      i += cjk.size();
      return true;
    }
    return false;
  };
  int y = 0, m = 0, d = 0;
  if (!number(4, &y) || i != 4 || !separator("年") || !number(2, &m) || !separator("月") ||
      !number(2, &d)) {
    return std::nullopt;
  }
  if (i < s.size() && IsAsciiDigit(s[i])) return std::nullopt;
  if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

// Labels after which portals print the page's own date: 发布日期：2021-01-19.
constexpr std::array<std::string_view, 5> kDateLabels = {"发布日期", "发布时间", "发布于",
                                                         "发文日期", "发稿时间"};

// The first "<label>[：:\s]*<date>" in text.
std::optional<std::string> FindLabelledDate(std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find("发", pos)) != std::string_view::npos) {
    std::string_view rest = text.substr(pos);
    for (std::string_view label : kDateLabels) {
      if (!StartsWith(rest, label)) continue;
      size_t i = label.size();
      for (int skipped = 0; i < rest.size() && skipped < 8; ++skipped) {
        if (size_t sp = SpaceLength(rest, i)) {
          i += sp;
        } else if (rest[i] == ':') {
          i += 1;
        } else if (StartsWith(rest.substr(i), "：")) {
          i += std::string_view("：").size();
        } else {
          break;
        }
      }
      if (auto d = DateAtStart(rest.substr(i))) return d;
    }
    pos += std::string_view("发").size();
  }
  return std::nullopt;
}

// ---- Pre-scan: bound what Gumbo is given ----
//
// Gumbo 0.10.1 has four ways to fail on hostile markup, all measured: its tree builder scans
// the stack of open elements for most tags (200,000 nested <div> take minutes); its list of
// active formatting elements is rebuilt into every new paragraph ("<p><b id=N>x</p>"
// repeated 100,000 times took over 13 GB); every tag becomes a node of a few hundred bytes;
// and its foreign-content and <select> modes hit assertions that abort the process
// ("<table><svg><select><title><select></table>"). Before parsing, the page is therefore
// rewritten (only when needed): formatting tags other than <a> are removed (they carry no
// text and nothing here reads them); <svg>, <math> and <select> are removed with their
// content (never report text); start tags nested deeper than kMaxNesting are removed with
// their end tags (their text is kept); and the page is cut after kMaxTags tags.

enum class TagKind {
  kCounted,     // an ordinary element
  kVoid,        // never has content
  kSoft,        // closed implicitly by the next sibling of its kind (<p>, <li>, <option>…)
  kTablePart,   // soft, and ignored by the parser outside a table (<td>, <tr>, <tbody>…)
  kIgnored,     // html, head, body: merged by the parser, never nested
  kRawText,     // content is text up to the matching end tag
  kPlainText,   // the rest of the page is text
  kFormatting,  // b, i, font…: the tags are removed, their content kept
  kRemoved,     // svg, math, select: removed with their content
};

struct PrescanTag {
  std::string_view name;
  TagKind kind;
};

constexpr std::array<PrescanTag, 62> kPrescanTags = {{
    {"area", TagKind::kVoid},
    {"base", TagKind::kVoid},
    {"br", TagKind::kVoid},
    {"col", TagKind::kVoid},
    {"embed", TagKind::kVoid},
    {"hr", TagKind::kVoid},
    {"img", TagKind::kVoid},
    {"input", TagKind::kVoid},
    {"link", TagKind::kVoid},
    {"meta", TagKind::kVoid},
    {"param", TagKind::kVoid},
    {"source", TagKind::kVoid},
    {"track", TagKind::kVoid},
    {"wbr", TagKind::kVoid},
    {"keygen", TagKind::kVoid},
    {"basefont", TagKind::kVoid},
    {"bgsound", TagKind::kVoid},
    {"frame", TagKind::kVoid},
    {"p", TagKind::kSoft},
    {"li", TagKind::kSoft},
    {"dt", TagKind::kSoft},
    {"dd", TagKind::kSoft},
    {"option", TagKind::kSoft},
    {"optgroup", TagKind::kSoft},
    {"rb", TagKind::kSoft},
    {"rt", TagKind::kSoft},
    {"rp", TagKind::kSoft},
    {"td", TagKind::kTablePart},
    {"th", TagKind::kTablePart},
    {"tr", TagKind::kTablePart},
    {"tbody", TagKind::kTablePart},
    {"thead", TagKind::kTablePart},
    {"tfoot", TagKind::kTablePart},
    {"colgroup", TagKind::kTablePart},
    {"html", TagKind::kIgnored},
    {"head", TagKind::kIgnored},
    {"body", TagKind::kIgnored},
    {"script", TagKind::kRawText},
    {"style", TagKind::kRawText},
    {"textarea", TagKind::kRawText},
    {"title", TagKind::kRawText},
    {"xmp", TagKind::kRawText},
    {"iframe", TagKind::kRawText},
    {"noembed", TagKind::kRawText},
    {"noframes", TagKind::kRawText},
    {"plaintext", TagKind::kPlainText},
    {"b", TagKind::kFormatting},
    {"big", TagKind::kFormatting},
    {"code", TagKind::kFormatting},
    {"em", TagKind::kFormatting},
    {"font", TagKind::kFormatting},
    {"i", TagKind::kFormatting},
    {"nobr", TagKind::kFormatting},
    {"s", TagKind::kFormatting},
    {"small", TagKind::kFormatting},
    {"strike", TagKind::kFormatting},
    {"strong", TagKind::kFormatting},
    {"tt", TagKind::kFormatting},
    {"u", TagKind::kFormatting},
    {"svg", TagKind::kRemoved},
    {"math", TagKind::kRemoved},
    {"select", TagKind::kRemoved},
}};

// The HTML standard's element categories that decide which end tags the tree builder obeys
// and which siblings close each other. Elements that are not listed are ordinary.
enum Category : unsigned {
  kSpecial = 1u << 0,      // "special" elements
  kScope = 1u << 1,        // boundaries of "has an element in scope" (svg/math approximated)
  kTableScope = 1u << 2,   // boundaries of "in table scope"
  kListScope = 1u << 3,    // extra boundaries of "in list item scope"
  kButtonScope = 1u << 4,  // extra boundary of "in button scope"
  kItemBlocker = 1u << 5,  // special elements that stop <li>/<dt>/<dd> closing a sibling
};
constexpr int kCategoryCount = 6;

struct CategorySpec {
  std::string_view name;
  unsigned categories;
};

constexpr unsigned kSpecialBlock = kSpecial | kItemBlocker;

constexpr std::array<CategorySpec, 60> kCategories = {{
    {"address", kSpecial},
    {"div", kSpecial},
    {"p", kSpecial},
    {"applet", kSpecialBlock | kScope},
    {"caption", kSpecialBlock | kScope},
    {"html", kSpecialBlock | kScope | kTableScope},
    {"table", kSpecialBlock | kScope | kTableScope},
    {"td", kSpecialBlock | kScope},
    {"th", kSpecialBlock | kScope},
    {"marquee", kSpecialBlock | kScope},
    {"object", kSpecialBlock | kScope},
    {"template", kSpecialBlock | kScope | kTableScope},
    {"svg", kSpecialBlock | kScope},
    {"math", kSpecialBlock | kScope},
    {"ol", kSpecialBlock | kListScope},
    {"ul", kSpecialBlock | kListScope},
    {"button", kSpecialBlock | kButtonScope},
    {"article", kSpecialBlock},
    {"aside", kSpecialBlock},
    {"blockquote", kSpecialBlock},
    {"center", kSpecialBlock},
    {"colgroup", kSpecialBlock},
    {"dd", kSpecialBlock},
    {"details", kSpecialBlock},
    {"dir", kSpecialBlock},
    {"dl", kSpecialBlock},
    {"dt", kSpecialBlock},
    {"fieldset", kSpecialBlock},
    {"figcaption", kSpecialBlock},
    {"figure", kSpecialBlock},
    {"footer", kSpecialBlock},
    {"form", kSpecialBlock},
    {"frameset", kSpecialBlock},
    {"h1", kSpecialBlock},
    {"h2", kSpecialBlock},
    {"h3", kSpecialBlock},
    {"h4", kSpecialBlock},
    {"h5", kSpecialBlock},
    {"h6", kSpecialBlock},
    {"header", kSpecialBlock},
    {"hgroup", kSpecialBlock},
    {"li", kSpecialBlock},
    {"listing", kSpecialBlock},
    {"main", kSpecialBlock},
    {"menu", kSpecialBlock},
    {"nav", kSpecialBlock},
    {"noscript", kSpecialBlock},
    {"pre", kSpecialBlock},
    {"section", kSpecialBlock},
    {"select", kSpecialBlock},
    {"summary", kSpecialBlock},
    {"tbody", kSpecialBlock},
    {"tfoot", kSpecialBlock},
    {"thead", kSpecialBlock},
    {"tr", kSpecialBlock},
    {"body", kSpecialBlock},
    {"head", kSpecialBlock},
    {"xmp", kSpecialBlock},
    {"iframe", kSpecialBlock},
    {"textarea", kSpecialBlock},
}};

// How a soft start tag closes an open sibling.
enum class CloseRule {
  kInScope,  // the innermost open member, unless a `blockers` element was opened after it
  kIfTop,    // the current node only, when it is a member (<option>, ruby parts)
};

struct SoftFamily {
  std::array<std::string_view, 3> members;
  CloseRule rule;
  unsigned blockers;  // categories
};

constexpr std::array<SoftFamily, 10> kSoftFamilies = {{
    {{"td", "th", ""}, CloseRule::kInScope, kTableScope},
    {{"tr", "", ""}, CloseRule::kInScope, kTableScope},
    {{"tbody", "thead", "tfoot"}, CloseRule::kInScope, kTableScope},
    {{"colgroup", "", ""}, CloseRule::kInScope, kTableScope},
    {{"li", "", ""}, CloseRule::kInScope, kItemBlocker},
    {{"dt", "dd", ""}, CloseRule::kInScope, kItemBlocker},
    {{"p", "", ""}, CloseRule::kInScope, kScope | kButtonScope},
    {{"option", "", ""}, CloseRule::kIfTop, 0},
    {{"optgroup", "option", ""}, CloseRule::kIfTop, 0},
    {{"rb", "rt", "rp"}, CloseRule::kIfTop, 0},
}};

// An approximation of the HTML tree builder's stack of open elements, cheap enough to run
// over every tag of a 16 MB page: elements nest; soft ones are closed by their next
// sibling; an end tag closes up to its element unless the tree builder would ignore it (an
// element in scope opened after it). Where it is unsure it keeps elements open: an
// over-estimated depth costs nothing but markup beyond kMaxNesting on a broken page.
class TagScanner {
 public:
  explicit TagScanner(std::string_view html) : html_(html) {}

  // True when the page had to be rewritten; *out then holds the new page.
  bool Run(std::string* out) {
    const size_t n = html_.size();
    size_t i = 0;
    size_t tags = 0;
    while (i < n) {
      size_t lt = html_.find('<', i);
      if (lt == std::string_view::npos || lt + 1 >= n) break;
      char c = html_[lt + 1];
      if (c == '!' || c == '?') {
        i = SkipMarkupDeclaration(lt);
        continue;
      }
      bool end_tag = c == '/';
      size_t name_start = lt + (end_tag ? 2 : 1);
      if (name_start >= n || !IsAsciiAlpha(html_[name_start])) {
        i = lt + 1;
        continue;
      }
      size_t name_end = name_start;
      while (name_end < n && !IsAsciiSpace(html_[name_end]) && html_[name_end] != '/' &&
             html_[name_end] != '>') {
        ++name_end;
      }
      size_t gt = end_tag ? html_.find('>', name_end) : FindTagEnd(name_end);
      if (gt == std::string_view::npos) break;  // EOF inside a tag: the parser drops it
      if (++tags > kMaxTags) {
        Drop(lt, n);  // the rest of the page is not read
        break;
      }
      i = gt + 1;
      int id = Intern(html_.substr(name_start, std::min<size_t>(name_end - name_start, 32)));
      NameInfo& info = names_[static_cast<size_t>(id)];
      if (info.kind == TagKind::kFormatting || (end_tag && info.kind == TagKind::kRemoved)) {
        Drop(lt, i);
        continue;
      }
      if (end_tag) {
        OnEndTag(id, lt, i);
        continue;
      }
      switch (info.kind) {
        case TagKind::kVoid:
        case TagKind::kIgnored:
        case TagKind::kFormatting:
          break;
        case TagKind::kRemoved:
          i = SkipElement(lt, i, &info);
          break;
        case TagKind::kPlainText:
          i = n;
          break;
        case TagKind::kRawText:
          i = FindEndTag(i, &info);
          break;
        case TagKind::kTablePart:
          if (Innermost(table_id_) < 0) break;  // outside a table the parser ignores it
          [[fallthrough]];
        case TagKind::kSoft:
        case TagKind::kCounted:
          if (info.family != nullptr) CloseSibling(info);
          if (id == a_id_) CloseOpenLink();
          if (stack_.size() >= kMaxNesting) {
            ++info.dropped;
            Drop(lt, i);
          } else {
            Push(id);
          }
          break;
      }
    }
    if (!changed_) return false;
    out_.append(html_.substr(copied_));
    *out = std::move(out_);
    return true;
  }

 private:
  struct NameInfo {
    std::string name;  // lower case
    TagKind kind = TagKind::kCounted;
    unsigned categories = 0;
    const SoftFamily* family = nullptr;
    std::vector<size_t> positions;  // stack indices of the open elements, innermost last
    size_t dropped = 0;             // start tags removed whose end tag has not been seen
    // FindEndTag's last answer: the first "</name" at or after where it last searched from.
    size_t next_end_tag = std::string_view::npos;
  };

  // <!-- comment -->, <!DOCTYPE …>, <![CDATA[…]]>, <?xml …?>: up to their end.
  size_t SkipMarkupDeclaration(size_t lt) const {
    if (html_.substr(lt, 4) == "<!--") {
      size_t end = html_.find("-->", lt + 4);
      return end == std::string_view::npos ? html_.size() : end + 3;
    }
    size_t gt = html_.find('>', lt);
    return gt == std::string_view::npos ? html_.size() : gt + 1;
  }

  // The '>' that ends a start tag, skipping quoted attribute values (which may hold '>').
  size_t FindTagEnd(size_t from) const {
    size_t j = from;
    while (j < html_.size()) {
      char c = html_[j];
      if (c == '>') return j;
      if (c == '=') {
        ++j;
        while (j < html_.size() && IsAsciiSpace(html_[j])) ++j;
        if (j < html_.size() && (html_[j] == '"' || html_[j] == '\'')) {
          size_t close = html_.find(html_[j], j + 1);
          if (close == std::string_view::npos) return std::string_view::npos;
          j = close + 1;
        }
        continue;
      }
      ++j;
    }
    return std::string_view::npos;
  }

  // Removes an element with its content, up to its end tag; without one, only the start tag
  // (the rest of the page is then read as ordinary markup). Returns where scanning resumes.
  size_t SkipElement(size_t lt, size_t after_start, NameInfo* info) {
    size_t end = FindEndTag(after_start, info);
    size_t gt = end < html_.size() ? html_.find('>', end) : std::string_view::npos;
    // "</svg" with no '>' after it ends nothing, and neither can any later one: remember it as
    // "no end tag" rather than search to the end of the page again for the next <svg>.
    if (gt == std::string_view::npos) info->next_end_tag = html_.size();
    size_t resume = gt == std::string_view::npos ? after_start : gt + 1;
    Drop(lt, resume);
    return resume;
  }

  // Position of "</name" (any case) at or after from, or the end of the input. Scanning only
  // moves forward, so the last answer for a name stands while `from` has not passed it:
  // without that, every one of 20,000 unclosed <svg> would search the rest of the page.
  size_t FindEndTag(size_t from, NameInfo* info) {
    if (info->next_end_tag != std::string_view::npos && from <= info->next_end_tag) {
      return info->next_end_tag;
    }
    info->next_end_tag = FindEndTagFrom(from, info->name);
    return info->next_end_tag;
  }

  size_t FindEndTagFrom(size_t from, std::string_view name) const {
    size_t p = from;
    while ((p = html_.find("</", p)) != std::string_view::npos) {
      size_t k = 0;
      while (k < name.size() && p + 2 + k < html_.size() &&
             LowerAscii(html_[p + 2 + k]) == name[k]) {
        ++k;
      }
      size_t after = p + 2 + k;
      if (k == name.size() && (after >= html_.size() || !IsAsciiAlpha(html_[after]))) return p;
      p += 2;
    }
    return html_.size();
  }

  // Names are interned once per page, with what the tables above say about them.
  int Intern(std::string_view raw) {
    // A page has a few dozen names and thousands of tags: a slot per (length, first and last
    // letter) remembers the last name seen there, confirmed by comparing the bytes, before
    // the lower-cased copy and the hash map.
    const size_t slot = QuickSlot(raw);
    if (int id = quick_[slot]; id >= 0 && EqualsLower(raw, names_[static_cast<size_t>(id)].name)) {
      return id;
    }
    const int id = InternSlow(raw);
    quick_[slot] = id;
    return id;
  }

  static size_t QuickSlot(std::string_view raw) {
    if (raw.empty()) return 0;
    const auto first = static_cast<unsigned char>(LowerAscii(raw.front()));
    const auto last = static_cast<unsigned char>(LowerAscii(raw.back()));
    return (raw.size() * 31 + first * 7 + last) % kQuickSlots;
  }

  // Whether `raw` lower-cased is `lower`.
  static bool EqualsLower(std::string_view raw, std::string_view lower) {
    if (raw.size() != lower.size()) return false;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (LowerAscii(raw[k]) != lower[k]) return false;
    }
    return true;
  }

  int InternSlow(std::string_view raw) {
    std::string name = LowerAscii(raw);
    auto [it, inserted] = ids_.try_emplace(name, static_cast<int>(names_.size()));
    if (!inserted) return it->second;
    NameInfo info;
    info.name = name;
    for (const auto& t : kPrescanTags) {
      if (t.name == name) info.kind = t.kind;
    }
    for (const auto& c : kCategories) {
      if (c.name == name) info.categories = c.categories;
    }
    for (const auto& f : kSoftFamilies) {
      if (f.members[0] == name || f.members[1] == name || f.members[2] == name) {
        info.family = &f;
        break;
      }
    }
    names_.push_back(std::move(info));
    if (name == "table") table_id_ = it->second;
    if (name == "a") a_id_ = it->second;
    return it->second;
  }

  long Innermost(int id) const {
    if (id < 0) return -1;
    const auto& p = names_[static_cast<size_t>(id)].positions;
    return p.empty() ? -1 : static_cast<long>(p.back());
  }

  long InnermostNamed(std::string_view name) const {
    if (name.empty()) return -1;
    auto it = ids_.find(std::string(name));
    return it == ids_.end() ? -1 : Innermost(it->second);
  }

  // Stack index of the innermost open element in any of the categories, or -1.
  long InnermostIn(unsigned categories) const {
    long top = -1;
    for (int k = 0; k < kCategoryCount; ++k) {
      if ((categories & (1u << k)) && !by_category_[static_cast<size_t>(k)].empty()) {
        top = std::max(top, static_cast<long>(by_category_[static_cast<size_t>(k)].back()));
      }
    }
    return top;
  }

  void Push(int id) {
    NameInfo& info = names_[static_cast<size_t>(id)];
    info.positions.push_back(stack_.size());
    for (int k = 0; k < kCategoryCount; ++k) {
      if (info.categories & (1u << k))
        by_category_[static_cast<size_t>(k)].push_back(stack_.size());
    }
    stack_.push_back(id);
  }

  // Pops the stack down to (and including) index `to`.
  void PopTo(size_t to) {
    while (stack_.size() > to) {
      int top = stack_.back();
      stack_.pop_back();
      NameInfo& info = names_[static_cast<size_t>(top)];
      info.positions.pop_back();
      for (int k = 0; k < kCategoryCount; ++k) {
        if (info.categories & (1u << k)) by_category_[static_cast<size_t>(k)].pop_back();
      }
    }
  }

  void CloseSibling(const NameInfo& info) {
    const SoftFamily* f = info.family;
    if (f == nullptr) return;
    if (f->rule == CloseRule::kIfTop) {
      if (stack_.empty()) return;
      const std::string& top = names_[static_cast<size_t>(stack_.back())].name;
      if (top == f->members[0] || top == f->members[1] || top == f->members[2]) {
        PopTo(stack_.size() - 1);
      }
      return;
    }
    long member = -1;
    for (auto m : f->members) member = std::max(member, InnermostNamed(m));
    // A member may be a blocker itself (<li> stops <dt> from closing a <dd>): only one
    // opened after the member blocks it.
    if (member >= 0 && member >= InnermostIn(f->blockers)) PopTo(static_cast<size_t>(member));
  }

  // A new <a> ends the open one (the adoption agency), when nothing special lies between.
  void CloseOpenLink() {
    long open = Innermost(a_id_);
    if (open >= 0 && open > InnermostIn(kSpecial)) PopTo(static_cast<size_t>(open));
  }

  // Categories whose element, opened after the innermost open `info`, makes the tree builder
  // ignore info's end tag.
  static unsigned EndTagBlockers(const NameInfo& info) {
    if (info.name == "template") return 0;
    if (info.name == "a") return kSpecial;  // the adoption agency keeps blocks open
    if (info.kind == TagKind::kTablePart || info.name == "table" || info.name == "caption") {
      return kTableScope;
    }
    if (info.name == "li") return kScope | kListScope;
    if (info.name == "p") return kScope | kButtonScope;
    if (info.categories & kSpecial) return kScope;
    return kSpecial;  // "any other end tag" stops at the first special element
  }

  void OnEndTag(int id, size_t begin, size_t end) {
    NameInfo& info = names_[static_cast<size_t>(id)];
    if (info.kind != TagKind::kCounted && info.kind != TagKind::kSoft &&
        info.kind != TagKind::kTablePart) {
      return;
    }
    long open = Innermost(id);
    if (open >= 0 && open >= InnermostIn(EndTagBlockers(info))) {
      PopTo(static_cast<size_t>(open));
    } else if (info.dropped > 0) {
      --info.dropped;
      Drop(begin, end);  // the end tag of a removed start tag
    }
  }

  void Drop(size_t begin, size_t end) {
    if (!changed_) out_.reserve(html_.size());
    changed_ = true;
    out_.append(html_.substr(copied_, begin - copied_));
    copied_ = end;
  }

  std::string_view html_;
  std::vector<int> stack_;  // ids of the open elements, innermost last
  std::array<std::vector<size_t>, kCategoryCount> by_category_;  // stack indices per category
  std::unordered_map<std::string, int> ids_;
  std::vector<NameInfo> names_;
  static constexpr size_t kQuickSlots = 256;
  std::array<int, kQuickSlots> quick_ = MakeQuickSlots();  // Intern's cache: an id or -1
  static constexpr std::array<int, kQuickSlots> MakeQuickSlots() {
    std::array<int, kQuickSlots> slots{};
    slots.fill(-1);
    return slots;
  }
  int table_id_ = -1;
  int a_id_ = -1;
  std::string out_;
  size_t copied_ = 0;
  bool changed_ = false;
};

// ---- Gumbo memory ----

// gumbo_destroy_output() frees the tree recursively and overflows the stack on deep trees
// (100,000 nested tables crash it). Every block Gumbo allocates is linked into an intrusive
// list instead, and the whole tree is freed in one loop; gumbo_destroy_output is never called.
class GumboMemory {
 public:
  GumboMemory() { head_.prev = head_.next = &head_; }
  ~GumboMemory() {
    for (Block* b = head_.next; b != &head_;) {
      Block* next = b->next;
      std::free(b);
      b = next;
    }
  }
  GumboMemory(const GumboMemory&) = delete;
  GumboMemory& operator=(const GumboMemory&) = delete;

  static void* Allocate(void* self, size_t size) {
    auto* b = static_cast<Block*>(std::malloc(sizeof(Block) + size));
    if (b == nullptr) std::abort();  // as operator new would; Gumbo does not check
    Block& head = static_cast<GumboMemory*>(self)->head_;
    b->prev = &head;
    b->next = head.next;
    head.next->prev = b;
    head.next = b;
    return b + 1;
  }

  static void Deallocate(void* /*self*/, void* ptr) {
    if (ptr == nullptr) return;
    Block* b = static_cast<Block*>(ptr) - 1;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    std::free(b);
  }

 private:
  // Keeps the payload aligned as malloc's own.
  struct alignas(std::max_align_t) Block {
    Block* prev;
    Block* next;
  };
  Block head_;
};

// ---- Element classification ----

const GumboVector* ChildrenOf(const GumboNode* node) {
  switch (node->type) {
    case GUMBO_NODE_DOCUMENT:
      return &node->v.document.children;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
      return &node->v.element.children;
    default:
      return nullptr;
  }
}

bool IsElement(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE;
}

GumboTag TagOf(const GumboNode* node) {
  return IsElement(node) ? node->v.element.tag : GUMBO_TAG_UNKNOWN;
}

std::string_view Attr(const GumboNode* node, const char* name) {
  if (!IsElement(node)) return {};
  const GumboAttribute* a = gumbo_get_attribute(&node->v.element.attributes, name);
  return a == nullptr || a->value == nullptr ? std::string_view() : std::string_view(a->value);
}

// The name of an element Gumbo does not know (o:p, xml, w:WordDocument), lower case.
std::string UnknownTagName(const GumboNode* node) {
  GumboStringPiece piece = node->v.element.original_tag;
  if (piece.data == nullptr || piece.length == 0) return "";
  gumbo_tag_from_original_text(&piece);
  return LowerAscii(std::string_view(piece.data, piece.length));
}

// Elements whose content is never report text, wherever they are.
constexpr std::array<GumboTag, 17> kDroppedTags = {
    GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE,  GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE, GUMBO_TAG_IFRAME,
    GUMBO_TAG_SELECT, GUMBO_TAG_BUTTON, GUMBO_TAG_OBJECT,   GUMBO_TAG_EMBED,    GUMBO_TAG_TEXTAREA,
    GUMBO_TAG_INPUT,  GUMBO_TAG_SVG,    GUMBO_TAG_MATH,     GUMBO_TAG_CANVAS,   GUMBO_TAG_AUDIO,
    GUMBO_TAG_VIDEO,  GUMBO_TAG_HEAD,
};

// Portal chrome by element: dropped unless it holds the report (some ASP.NET portals wrap
// the whole page in <form id="form1">, some templates the article in <header>).
constexpr std::array<GumboTag, 6> kChromeTags = {GUMBO_TAG_NAV,    GUMBO_TAG_HEADER,
                                                 GUMBO_TAG_FOOTER, GUMBO_TAG_ASIDE,
                                                 GUMBO_TAG_FORM,   GUMBO_TAG_MENU};

// Portal chrome by class or id (case-insensitive substrings), with the same exception.
constexpr std::array<std::string_view, 13> kChromeNames = {
    "nav",    "menu",    "breadcrumb", "crumb",    "share",    "footer", "foot",
    "header", "sidebar", "copyright",  "position", "location", "weizhi"};

// Where CMSs put the article body: TRS WCM's div.TRS_Editor, others' article_content.
constexpr std::array<std::string_view, 4> kArticleNames = {"trs_editor", "article_content",
                                                           "article-content", "articlecontent"};

// Text that only a report body contains (the section headings and table headers of the
// official forms). Navigation menus of 政府信息公开 platforms repeat words like 主动公开 or
// 依申请公开, so these are chosen from what menus never say, and two are required.
constexpr std::array<std::string_view, 6> kReportMarkers = {
    "总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请", "申请人情况", "尚未审结",
    "本年新收"};
constexpr int kReportMarkersRequired = 2;

// Short lines of chrome around the article (after leading 【 [ and spaces are skipped).
constexpr std::array<std::string_view, 23> kChromeLinePrefixes = {
    "当前位置", "您现在的位置", "您当前的位置", "你现在的位置", "所在位置", "来源：",
    "来源:",    "信息来源",     "文章来源",     "发布时间",     "发布日期", "浏览次数",
    "点击数",   "阅读次数",     "字号",         "字体：",       "打印本页", "打印此页",
    "打印】",   "关闭窗口",     "关闭】",       "分享到",       "扫一扫"};

// Elements that start and end a paragraph (a line in a table cell).
constexpr std::array<GumboTag, 38> kBlockTags = {
    GUMBO_TAG_P,       GUMBO_TAG_DIV,     GUMBO_TAG_H1,         GUMBO_TAG_H2,
    GUMBO_TAG_H3,      GUMBO_TAG_H4,      GUMBO_TAG_H5,         GUMBO_TAG_H6,
    GUMBO_TAG_LI,      GUMBO_TAG_UL,      GUMBO_TAG_OL,         GUMBO_TAG_DL,
    GUMBO_TAG_DT,      GUMBO_TAG_DD,      GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_PRE,
    GUMBO_TAG_SECTION, GUMBO_TAG_ARTICLE, GUMBO_TAG_MAIN,       GUMBO_TAG_ADDRESS,
    GUMBO_TAG_CENTER,  GUMBO_TAG_FIGURE,  GUMBO_TAG_FIGCAPTION, GUMBO_TAG_TABLE,
    GUMBO_TAG_CAPTION, GUMBO_TAG_TBODY,   GUMBO_TAG_THEAD,      GUMBO_TAG_TFOOT,
    GUMBO_TAG_TR,      GUMBO_TAG_TD,      GUMBO_TAG_TH,         GUMBO_TAG_FIELDSET,
    GUMBO_TAG_DETAILS, GUMBO_TAG_SUMMARY, GUMBO_TAG_HEADER,     GUMBO_TAG_FOOTER,
    GUMBO_TAG_BODY,    GUMBO_TAG_LISTING,
};

template <size_t N>
bool In(const std::array<GumboTag, N>& tags, GumboTag tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool IsBlock(const GumboNode* node) { return In(kBlockTags, TagOf(node)); }

// A style attribute hides its element when, lower-cased and without spaces, it holds one of
// these.
constexpr std::array<std::string_view, 2> kHiddenStyles = {"display:none", "visibility:hidden"};

// display:none / visibility:hidden in a style attribute.
bool IsHidden(const GumboNode* node) {
  std::string_view style = Attr(node, "style");
  if (style.empty()) return false;
  std::string compact;
  for (char c : style) {
    if (!IsAsciiSpace(c)) compact.push_back(LowerAscii(c));
  }
  return std::any_of(kHiddenStyles.begin(), kHiddenStyles.end(),
                     [&](std::string_view h) { return Contains(compact, h); });
}

// Elements never read: scripts and the like, hidden elements, Word's XML islands.
bool IsDropped(const GumboNode* node) {
  if (node->type == GUMBO_NODE_TEMPLATE) return true;
  if (node->type != GUMBO_NODE_ELEMENT) return false;
  GumboTag tag = node->v.element.tag;
  if (In(kDroppedTags, tag)) return true;
  if (tag == GUMBO_TAG_UNKNOWN) {
    std::string name = UnknownTagName(node);
    if (name == "xml" || StartsWith(name, "w:")) return true;
  }
  return IsHidden(node);
}

bool HasChromeName(const GumboNode* node) {
  std::string names = LowerAscii(Attr(node, "class"));
  names += ' ';
  names += LowerAscii(Attr(node, "id"));
  for (auto n : kChromeNames) {
    if (Contains(names, n)) return true;
  }
  return false;
}

bool IsArticle(const GumboNode* node) {
  std::string names = LowerAscii(Attr(node, "class"));
  names += ' ';
  names += LowerAscii(Attr(node, "id"));
  for (auto n : kArticleNames) {
    if (Contains(names, n)) return true;
  }
  return false;
}

// ---- Pre-pass rules: what of the markup the code above reads ----
//
// Each attribute the reader (or Gumbo's tree builder) reads, and when its value can matter.
// Attr() is called for class and id (HasChromeName, IsArticle), style (IsHidden), colspan
// and rowspan (SpanAttr), and name/content of <meta> (IndexPage). Gumbo reads <input type>
// (type=hidden stays inside a table).
constexpr std::array<PrepassAttribute, 8> kPrepassAttributes = {{
    {"", "class", PrepassValue::kNameWords},
    {"", "id", PrepassValue::kNameWords},
    {"", "style", PrepassValue::kStyleWords},
    {"", "colspan", PrepassValue::kAlways},
    {"", "rowspan", PrepassValue::kAlways},
    {"meta", "name", PrepassValue::kAlways},
    {"meta", "content", PrepassValue::kAlways},
    {"input", "type", PrepassValue::kAlways},
}};
// Gumbo merges the attributes of repeated <html>/<body> tags (the first of each name wins),
// and <isindex> turns its prompt into text: these keep all theirs. So do the formatting
// elements TagScanner leaves in place when it misreads a comment (Gumbo's "Noah's Ark" clause
// compares their attributes). <a> needs no such care: a new <a> first closes the open one, so
// the active formatting list never holds the three equal <a> the clause looks for.
constexpr std::array<std::string_view, 16> kPrepassVerbatim = {
    "html", "body", "isindex", "b",     "big",    "code",   "em", "font",
    "i",    "nobr", "s",       "small", "strike", "strong", "tt", "u"};
// Raw-text elements in kDroppedTags: their text is never read.
constexpr std::array<std::string_view, 4> kPrepassEmptied = {"script", "style", "textarea",
                                                             "iframe"};
// class/id words: kChromeNames and kArticleNames.
constexpr auto kPrepassNameWords = [] {
  std::array<std::string_view, kChromeNames.size() + kArticleNames.size()> words{};
  size_t k = 0;
  for (auto w : kChromeNames) words[k++] = w;
  for (auto w : kArticleNames) words[k++] = w;
  return words;
}();

const PrepassRules kPrepassRules = {kPrepassAttributes, kPrepassVerbatim, kPrepassEmptied,
                                    kPrepassNameWords, kHiddenStyles};

long SpanAttr(const GumboNode* cell, const char* name, long max) {
  std::string_view v = Attr(cell, name);
  size_t i = 0;
  while (i < v.size() && IsAsciiSpace(v[i])) ++i;
  long n = 0;
  size_t digits = 0;
  while (i < v.size() && IsAsciiDigit(v[i]) && digits < 9) {
    n = n * 10 + (v[i++] - '0');
    ++digits;
  }
  if (n < 1) return 1;
  return std::min(n, max);
}

// Pre-order walk with an explicit stack (pages nest deeper than a thread's stack allows).
// enter(node) returns whether to descend; leave(node) runs after the children of a node
// that was descended into.
template <typename Enter, typename Leave>
void Walk(const GumboNode* root, Enter&& enter, Leave&& leave) {
  struct Frame {
    const GumboNode* node;
    unsigned int next;
  };
  std::vector<Frame> stack;
  if (!enter(root)) return;
  stack.push_back({root, 0});
  while (!stack.empty()) {
    Frame& top = stack.back();
    const GumboVector* children = ChildrenOf(top.node);
    if (children == nullptr || top.next >= children->length) {
      const GumboNode* done = top.node;
      stack.pop_back();
      leave(done);
      continue;
    }
    const auto* child = static_cast<const GumboNode*>(children->data[top.next++]);
    if (enter(child)) stack.push_back({child, 0});
  }
}

// ---- Page index: one pass over the whole tree ----

struct PageIndex {
  const GumboNode* body = nullptr;
  const GumboNode* article = nullptr;
  std::unordered_set<const GumboNode*> holds_table;               // elements with a <table> inside
  std::unordered_map<const GumboNode*, unsigned> report_markers;  // bit per kReportMarkers
  std::string page_title;
  std::string page_date;

  bool HoldsReport(const GumboNode* node) const {
    auto it = report_markers.find(node);
    return it != report_markers.end() && std::popcount(it->second) >= kReportMarkersRequired;
  }
};

// <meta name> values that carry the page's date.
constexpr std::array<std::string_view, 5> kDateMetaNames = {
    "pubdate", "publishdate", "firstpublishedtime", "publishtime", "firstpublishtime"};

PageIndex IndexPage(const GumboNode* document) {
  PageIndex index;
  std::string meta_title, title, meta_date;
  std::string flat;  // the page's visible text, for 发布日期：…
  Walk(
      document,
      [&](const GumboNode* node) {
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
            node->type == GUMBO_NODE_CDATA) {
          std::string_view text(node->v.text.text);
          flat.append(text);
          flat.push_back(' ');
          unsigned bits = 0;
          for (size_t k = 0; k < kReportMarkers.size(); ++k) {
            if (Contains(text, kReportMarkers[k])) bits |= 1u << k;
          }
          // Each ancestor's mask only grows, so the climb stops early: linear overall.
          for (const GumboNode* p = node->parent; bits != 0 && p != nullptr; p = p->parent) {
            unsigned& mask = index.report_markers[p];
            if ((mask | bits) == mask) break;
            mask |= bits;
          }
          return false;
        }
        if (!IsElement(node)) return node->type == GUMBO_NODE_DOCUMENT;
        GumboTag tag = node->v.element.tag;
        switch (tag) {
          case GUMBO_TAG_META: {
            std::string name = LowerAscii(Attr(node, "name"));
            std::string_view content = Attr(node, "content");
            while (!content.empty() && IsAsciiSpace(content.front())) content.remove_prefix(1);
            if (name == "articletitle" && meta_title.empty()) {
              TextBuilder tb;
              tb.Append(content);
              meta_title = tb.Take();
            }
            if (meta_date.empty() && std::find(kDateMetaNames.begin(), kDateMetaNames.end(),
                                               name) != kDateMetaNames.end()) {
              if (auto d = DateAtStart(content)) meta_date = *d;
            }
            return false;
          }
          case GUMBO_TAG_TITLE:
            if (title.empty()) {
              TextBuilder tb;
              Walk(
                  node,
                  [&](const GumboNode* n) {
                    if (n->type == GUMBO_NODE_TEXT) tb.Append(n->v.text.text);
                    return IsElement(n);
                  },
                  [](const GumboNode*) {});
              title = tb.Take();
            }
            return false;
          case GUMBO_TAG_BODY:
            if (index.body == nullptr) index.body = node;
            break;
          case GUMBO_TAG_TABLE:
            for (const GumboNode* p = node->parent; p != nullptr; p = p->parent) {
              if (!index.holds_table.insert(p).second) break;
            }
            break;
          default:
            break;
        }
        if (tag != GUMBO_TAG_HEAD && IsDropped(node)) return false;
        if (index.article == nullptr && IsArticle(node)) index.article = node;
        return true;
      },
      [](const GumboNode*) {});
  index.page_title = !meta_title.empty() ? meta_title : title;
  if (!meta_date.empty()) {
    index.page_date = meta_date;
  } else if (auto d = FindLabelledDate(flat)) {
    index.page_date = *d;
  }
  return index;
}

// ---- The reader ----

// A short line of portal chrome (来源：…, 【打印本页】), after leading spaces and brackets.
bool IsChromeLine(std::string_view line) {
  if (CodePoints(line) >= kShortLineCodePoints) return false;
  while (!line.empty()) {
    if (size_t sp = SpaceLength(line, 0); sp > 0) {
      line.remove_prefix(sp);
    } else if (StartsWith(line, "【")) {
      line.remove_prefix(std::string_view("【").size());
    } else if (StartsWith(line, "[")) {
      line.remove_prefix(1);
    } else {
      break;
    }
  }
  for (auto prefix : kChromeLinePrefixes) {
    if (StartsWith(line, prefix)) return true;
  }
  return false;
}

class Reader {
 public:
  Reader(const PageIndex& index, Document* doc) : index_(index), doc_(doc) {}

  // Reads the content of root in document order into paragraphs and tables.
  void ReadFlow(const GumboNode* root) {
    Walk(
        root, [&](const GumboNode* node) { return EnterFlow(node); },
        [&](const GumboNode* node) {
          if (IsBlock(node)) Flush();
          if (TagOf(node) == GUMBO_TAG_PRE) --pre_depth_;
        });
    Flush();
  }

 private:
  bool EnterFlow(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_DOCUMENT:
        return true;
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        AppendFlowText(node->v.text.text);
        return false;
      case GUMBO_NODE_COMMENT:
        return false;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
    }
    if (IsDropped(node)) return false;
    GumboTag tag = node->v.element.tag;
    if ((In(kChromeTags, tag) || HasChromeName(node)) && !index_.HoldsReport(node)) return false;
    if (tag == GUMBO_TAG_BR || tag == GUMBO_TAG_HR) {
      Flush();
      return false;
    }
    // Only tables without tables inside are data; a table holding tables is page layout
    // (old portals put the whole article in one), read as flow so its inner tables and
    // prose keep their order.
    if (tag == GUMBO_TAG_TABLE && !index_.holds_table.count(node)) {
      Flush();
      ReadTable(node);
      return false;
    }
    if (IsBlock(node)) Flush();
    if (tag == GUMBO_TAG_PRE) ++pre_depth_;
    return true;
  }

  void AppendFlowText(std::string_view text) {
    if (pre_depth_ == 0) {
      para_.Append(text);
      return;
    }
    // Inside <pre> every source line is a line of the report.
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      para_.Append(text.substr(start, nl - start));
      Flush();
    }
    para_.Append(text.substr(start));
  }

  void Flush() {
    if (para_.empty()) return;
    std::string text = para_.Take();
    if (IsChromeLine(text)) return;
    AddParagraph(std::move(text));
  }

  void AddParagraph(std::string text) {
    if (doc_->blocks.size() >= kMaxBlocks || text_bytes_ + text.size() > kMaxTextBytes) return;
    text_bytes_ += text.size();
    Block b;
    b.kind = Block::Kind::kParagraph;
    b.text = std::move(text);
    doc_->blocks.push_back(std::move(b));
  }

  // The text of a table cell: lines split at <br> and block boundaries, spaces collapsed.
  static std::string CellText(const GumboNode* cell) {
    TextBuilder tb;
    Walk(
        cell,
        [&](const GumboNode* node) {
          switch (node->type) {
            case GUMBO_NODE_TEXT:
            case GUMBO_NODE_WHITESPACE:
            case GUMBO_NODE_CDATA:
              tb.Append(node->v.text.text);
              return false;
            case GUMBO_NODE_ELEMENT:
              break;
            default:
              return false;
          }
          if (node != cell && IsDropped(node)) return false;
          GumboTag tag = node->v.element.tag;
          if (tag == GUMBO_TAG_BR) {
            tb.Break();
            return false;
          }
          if (node != cell && IsBlock(node)) tb.Break();
          return true;
        },
        [&](const GumboNode* node) {
          if (node != cell && IsBlock(node)) tb.Break();
        });
    return tb.Take();
  }

  static void CollectRows(const GumboNode* table, std::vector<const GumboNode*>* rows) {
    const GumboVector& children = table->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(children.data[i]);
      GumboTag tag = TagOf(child);
      if (tag == GUMBO_TAG_TR) {
        rows->push_back(child);
      } else if (tag == GUMBO_TAG_TBODY || tag == GUMBO_TAG_THEAD || tag == GUMBO_TAG_TFOOT) {
        const GumboVector& grand = child->v.element.children;
        for (unsigned k = 0; k < grand.length; ++k) {
          const auto* row = static_cast<const GumboNode*>(grand.data[k]);
          if (TagOf(row) == GUMBO_TAG_TR) rows->push_back(row);
        }
      }
    }
  }

  // A data table into a grid: every slot a cell covers holds its text; all but the first
  // are marked span_copy.
  void ReadTable(const GumboNode* table) {
    const GumboVector& children = table->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(children.data[i]);
      if (TagOf(child) == GUMBO_TAG_CAPTION) AddParagraph(CellText(child));
    }
    std::vector<const GumboNode*> trs;
    CollectRows(table, &trs);
    const size_t nrows = trs.size();
    std::vector<Row> grid(nrows);
    std::vector<std::vector<bool>> filled(nrows);
    size_t used_rows = nrows;
    for (size_t r = 0; r < nrows && used_rows == nrows; ++r) {
      size_t c = 0;
      const GumboVector& cells = trs[r]->v.element.children;
      for (unsigned k = 0; k < cells.length; ++k) {
        const auto* cell = static_cast<const GumboNode*>(cells.data[k]);
        GumboTag tag = TagOf(cell);
        if (tag != GUMBO_TAG_TD && tag != GUMBO_TAG_TH) continue;
        while (c < filled[r].size() && filled[r][c]) ++c;
        if (c >= kMaxTableColumns) break;
        size_t colspan = std::min(static_cast<size_t>(SpanAttr(cell, "colspan", kMaxColspan)),
                                  kMaxTableColumns - c);
        size_t rowspan =
            std::min(static_cast<size_t>(SpanAttr(cell, "rowspan", kMaxRowspan)), nrows - r);
        std::string text = CellText(cell);
        size_t slots = colspan * rowspan;
        if (cells_ + slots > kMaxCells || text_bytes_ + slots * text.size() > kMaxTextBytes) {
          used_rows = r + 1;  // out of budget: keep the rows read so far
          break;
        }
        cells_ += slots;
        text_bytes_ += slots * text.size();
        for (size_t rr = r; rr < r + rowspan; ++rr) {
          if (grid[rr].size() < c + colspan) {
            grid[rr].resize(c + colspan);
            filled[rr].resize(c + colspan, false);
          }
          for (size_t cc = c; cc < c + colspan; ++cc) {
            grid[rr][cc].text = text;
            grid[rr][cc].span_copy = rr != r || cc != c;
            filled[rr][cc] = true;
          }
        }
        c += colspan;
      }
    }
    grid.resize(used_rows);
    Table out;
    size_t width = 0;
    for (const Row& row : grid) width = std::max(width, row.size());
    for (Row& row : grid) {
      if (row.empty()) continue;  // a <tr> with no cells, nothing spanning into it
      row.resize(width);          // grids are rectangular: short rows are padded with blank cells
      out.rows.push_back(std::move(row));
    }
    if (out.rows.empty() || doc_->blocks.size() >= kMaxBlocks) return;
    Block b;
    b.kind = Block::Kind::kTable;
    b.table = std::move(out);
    doc_->blocks.push_back(std::move(b));
  }

  const PageIndex& index_;
  Document* doc_;
  TextBuilder para_;
  int pre_depth_ = 0;
  size_t cells_ = 0;
  size_t text_bytes_ = 0;
};

bool HasTableOrText(const Document& doc) {
  size_t text = 0;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kTable) return true;
    text += b.text.size();
  }
  return text >= kLittleTextBytes;
}

// The longest prefix of s that does not end inside a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

const PrepassRules& HtmlReaderPrepassRules() { return kPrepassRules; }

Document ReadHtml(std::string_view utf8, const HtmlReadOptions& read_options) {
  std::string_view html = CutUtf8(utf8, kMaxInputBytes);
  std::string flattened;
  if (TagScanner(html).Run(&flattened)) html = flattened;
  // After TagScanner, so that its bounds (depth, tag count) see the page as before.
  std::string lean;
  if (read_options.prepass) {
    PrepassHtml(html, kPrepassRules, &lean);
    html = lean;
    std::string().swap(flattened);
  }

  GumboMemory memory;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &GumboMemory::Allocate;
  options.deallocator = &GumboMemory::Deallocate;
  options.userdata = &memory;
  options.max_errors = 0;  // broken pages have one error per tag; nobody reads them
  // The tree points into `html`, which outlives it; `memory` frees the tree.
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());

  PageIndex index = IndexPage(output->document);
  Document doc;
  doc.page_title = index.page_title;
  doc.page_date = index.page_date;
  const GumboNode* page = index.body != nullptr ? index.body : output->document;
  if (index.article != nullptr) {
    Reader(index, &doc).ReadFlow(index.article);
    if (HasTableOrText(doc)) return doc;
    doc.blocks.clear();
  }
  Reader(index, &doc).ReadFlow(page);
  return doc;
}

bool LooksLikeHtml(std::string_view bytes) {
  std::string window;
  bool utf16 = StartsWith(bytes, "\xFF\xFE") || StartsWith(bytes, "\xFE\xFF");
  if (utf16) {
    // ASCII markup in UTF-16 is the same letters with NULs between them.
    for (char c : bytes.substr(2, 4096)) {
      if (c != '\0') window.push_back(LowerAscii(c));
    }
  } else {
    if (StartsWith(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
    size_t i = 0;
    while (i < bytes.size() && IsAsciiSpace(bytes[i])) ++i;
    window = LowerAscii(bytes.substr(i, 2048));
  }
  static constexpr std::array<std::string_view, 11> kTags = {"<html",  "<head", "<body",    "<meta",
                                                             "<title", "<div",  "<table",   "<p",
                                                             "<span",  "<br",   "<!doctype"};
  for (auto tag : kTags) {
    size_t pos = 0;
    while ((pos = window.find(tag, pos)) != std::string::npos) {
      size_t after = pos + tag.size();
      if (tag == "<!doctype" || after >= window.size() || window[after] == '>' ||
          window[after] == '/' || IsAsciiSpace(window[after])) {
        return true;
      }
      pos = after;
    }
  }
  return false;
}

}  // namespace nianbao::parser
