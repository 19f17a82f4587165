#include "parser/html_prepass.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

// The tokenizer below follows the HTML standard's tokenizer states as Gumbo 0.10.1 implements
// them, only as far as needed to know where each token ends: a mistake there would make the
// pre-pass drop or keep bytes that Gumbo reads differently. Where a construct is rare and its
// exact end subtle (a page that ends inside a tag, a <frameset>), the rest is copied as is.
namespace nianbao::parser {
namespace {

// The standard's whitespace in tags; '\r' counts because the input stream turns it into '\n'.
// ('\v' is not whitespace in HTML.)
bool IsTagSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(std::string_view raw, std::string_view lower) {
  if (raw.size() != lower.size()) return false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (Lower(raw[i]) != lower[i]) return false;
  }
  return true;
}

bool StartsWithLower(std::string_view s, size_t at, std::string_view lower) {
  return at <= s.size() && s.size() - at >= lower.size() &&
         EqualsLower(s.substr(at, lower.size()), lower);
}

// How the tokenizer reads the content of an element (the tree builder switches it at the start
// tag): up to "</name" and a delimiter, with script data's escapes, or to the end of the page.
enum class Content { kMarkup, kRawText, kScriptData, kPlainText };

struct ContentRule {
  std::string_view element;
  Content content;
};

// RCDATA (title, textarea) ends as RAWTEXT does; only its character references differ.
constexpr std::array<ContentRule, 9> kContentRules = {{
    {"script", Content::kScriptData},
    {"style", Content::kRawText},
    {"xmp", Content::kRawText},
    {"iframe", Content::kRawText},
    {"noembed", Content::kRawText},
    {"noframes", Content::kRawText},
    {"title", Content::kRawText},
    {"textarea", Content::kRawText},
    {"plaintext", Content::kPlainText},
}};

Content ContentOf(std::string_view raw_name) {
  for (const auto& r : kContentRules) {
    if (EqualsLower(raw_name, r.element)) return r.content;
  }
  return Content::kMarkup;
}

// Whether `lowered` (ASCII lower case already) contains one of the words: a plain substring
// search (memchr for the first byte), as the words are lower case.
bool HoldsLoweredWord(std::string_view lowered, std::span<const std::string_view> words) {
  for (std::string_view w : words) {
    if (!w.empty() && lowered.find(w) != std::string_view::npos) return true;
  }
  return false;
}

// Contains, ASCII case-insensitively, one of the words (lower case). A value of up to 512
// bytes (every class or id seen) is lower-cased once and searched as such, rather than
// compared letter by letter at every position for every word.
bool HoldsWord(std::string_view value, std::span<const std::string_view> words) {
  std::array<char, 512> buf;
  if (value.size() <= buf.size()) {
    for (size_t k = 0; k < value.size(); ++k) buf[k] = Lower(value[k]);
    return HoldsLoweredWord(std::string_view(buf.data(), value.size()), words);
  }
  for (std::string_view w : words) {
    if (w.empty() || value.size() < w.size()) continue;
    for (size_t i = 0; i + w.size() <= value.size(); ++i) {
      if (Lower(value[i]) == w[0] && EqualsLower(value.substr(i, w.size()), w)) return true;
    }
  }
  return false;
}

// The same after removing ASCII whitespace, as the reader compacts a style attribute.
bool HoldsWordCompact(std::string_view value, std::span<const std::string_view> words) {
  // A style attribute is short; a long one (kilobytes of mso- properties) is compacted in
  // chunks of a fixed buffer, keeping an overlap as long as the longest word.
  size_t longest = 0;
  for (std::string_view w : words) longest = std::max(longest, w.size());
  std::array<char, 512> buf{};
  if (longest >= buf.size() / 2) return true;  // cannot judge: keep
  size_t used = 0;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
    buf[used++] = Lower(c);
    if (used == buf.size()) {
      if (HoldsLoweredWord(std::string_view(buf.data(), used), words)) return true;
      std::memmove(buf.data(), buf.data() + used - longest, longest);
      used = longest;
    }
  }
  return HoldsLoweredWord(std::string_view(buf.data(), used), words);
}

class Prepass {
 public:
  Prepass(std::string_view html, const PrepassRules& rules, std::string* out)
      : html_(html), rules_(rules), out_(out) {}

  void Run() {
    const size_t n = html_.size();
    size_t i = 0;
    while (i < n) {
      const void* hit = std::memchr(html_.data() + i, '<', n - i);
      size_t lt =
          hit == nullptr ? n : static_cast<size_t>(static_cast<const char*>(hit) - html_.data());
      out_->append(html_.substr(i, lt - i));
      if (lt + 1 >= n) {
        out_->append(html_.substr(lt));
        return;
      }
      char c = html_[lt + 1];
      if (c == '!') {
        i = MarkupDeclaration(lt);
      } else if (c == '?') {
        i = BogusComment(lt, lt + 1);
      } else if (c == '/') {
        i = EndTag(lt);
      } else if (IsAsciiAlpha(c)) {
        i = StartTag(lt);
      } else {
        out_->push_back('<');  // a '<' in text
        i = lt + 1;
      }
    }
  }

 private:
  static constexpr std::string_view kEmptyComment = "<!---->";
  static constexpr size_t kNpos = std::string_view::npos;

  // A comment of html_[begin, end) becomes <!---->, unless it is already as short.
  size_t Comment(size_t begin, size_t end) {
    if (end - begin <= kEmptyComment.size()) {
      out_->append(html_.substr(begin, end - begin));
    } else {
      out_->append(kEmptyComment);
    }
    return end;
  }

  // From '<' at lt, the first '>' at or after `from` ends the comment (or the end of the page).
  size_t BogusComment(size_t lt, size_t from) {
    size_t gt = html_.find('>', from);
    return Comment(lt, gt == kNpos ? html_.size() : gt + 1);
  }

  size_t MarkupDeclaration(size_t lt) {
    const size_t n = html_.size();
    if (StartsWithLower(html_, lt, "<!--")) {
      size_t body = lt + 4;
      // <!--> and <!---> are whole (empty) comments.
      if (body < n && html_[body] == '>') return Comment(lt, body + 1);
      if (body + 1 < n && html_[body] == '-' && html_[body + 1] == '>') {
        return Comment(lt, body + 2);
      }
      // Otherwise the first "-->" or "--!>" from the comment's first character ends it.
      for (size_t p = body; (p = html_.find("--", p)) != kNpos; ++p) {
        if (p + 2 < n && html_[p + 2] == '>') return Comment(lt, p + 3);
        if (p + 3 < n && html_[p + 2] == '!' && html_[p + 3] == '>') return Comment(lt, p + 4);
      }
      return Comment(lt, n);
    }
    if (StartsWithLower(html_, lt + 2, "doctype")) {
      // The doctype decides quirks mode (whether <table> closes an open <p>): kept as is.
      size_t gt = html_.find('>', lt);
      size_t end = gt == kNpos ? n : gt + 1;
      out_->append(html_.substr(lt, end - lt));
      return end;
    }
    // <![if !supportLists]>, <![endif]>, <![CDATA[…]]> outside SVG: bogus comments.
    return BogusComment(lt, lt + 2);
  }

  // One attribute of a tag, as the tokenizer splits it.
  struct Attribute {
    size_t begin = 0;        // first byte of the name
    size_t name_end = 0;     // one past the name
    size_t value_begin = 0;  // first byte of the value (inside the quotes)
    size_t value_end = 0;
    size_t end = 0;  // one past the attribute (past the closing quote)
  };

  // Reads the attribute starting at p (not a space, '/' or '>'). Returns false at the end of
  // the page (inside the tag).
  bool ReadAttribute(size_t p, Attribute* a) const {
    const size_t n = html_.size();
    a->begin = p;
    ++p;  // the first character belongs to the name, even '='
    while (p < n && !IsTagSpace(html_[p]) && html_[p] != '/' && html_[p] != '>' &&
           html_[p] != '=') {
      ++p;
    }
    a->name_end = p;
    a->value_begin = a->value_end = a->end = p;
    size_t q = p;
    while (q < n && IsTagSpace(html_[q])) ++q;
    if (q >= n) return false;
    if (html_[q] != '=') return true;  // no value; q is read by the caller's loop
    ++q;
    while (q < n && IsTagSpace(html_[q])) ++q;
    if (q >= n) return false;
    char c = html_[q];
    if (c == '"' || c == '\'') {
      const void* close = std::memchr(html_.data() + q + 1, c, n - q - 1);
      if (close == nullptr) return false;
      a->value_begin = q + 1;
      a->value_end = static_cast<size_t>(static_cast<const char*>(close) - html_.data());
      a->end = a->value_end + 1;
      return true;
    }
    if (c == '>') {  // "name=>": an empty value, and the tag ends
      a->value_begin = a->value_end = a->end = q;
      return true;
    }
    size_t v = q;
    while (v < n && !IsTagSpace(html_[v]) && html_[v] != '>') ++v;
    a->value_begin = q;
    a->value_end = a->end = v;
    return true;
  }

  // A tag's name ends at a space, '/' or '>'.
  size_t NameEnd(size_t from) const {
    size_t p = from;
    while (p < html_.size() && !IsTagSpace(html_[p]) && html_[p] != '/' && html_[p] != '>') ++p;
    return p;
  }

  bool IsVerbatim(std::string_view name) const {
    for (std::string_view v : rules_.verbatim_elements) {
      if (EqualsLower(name, v)) return true;
    }
    return false;
  }

  bool IsEmptied(std::string_view name) const {
    for (std::string_view v : rules_.emptied_elements) {
      if (EqualsLower(name, v)) return true;
    }
    return false;
  }

  // Index in rules_.attributes of the rule for this attribute of this element, or -1.
  int RuleFor(std::string_view element, std::string_view name) const {
    for (size_t k = 0; k < rules_.attributes.size(); ++k) {
      const PrepassAttribute& r = rules_.attributes[k];
      if ((r.element.empty() || EqualsLower(element, r.element)) && EqualsLower(name, r.name)) {
        return static_cast<int>(k);
      }
    }
    return -1;
  }

  bool ValueWanted(PrepassValue test, std::string_view value) const {
    // A character reference or a NUL reads differently once decoded: kept, to be safe.
    if (value.find('&') != kNpos || value.find('\0') != kNpos) return true;
    switch (test) {
      case PrepassValue::kAlways:
        return true;
      case PrepassValue::kNameWords:
        return HoldsWord(value, rules_.name_words);
      case PrepassValue::kStyleWords:
        return HoldsWordCompact(value, rules_.style_words);
    }
    return true;
  }

  // The tag from '<' at lt. Returns where the tag ends (one past its '>'), or kNpos when the
  // page ends inside it. With `keep`, writes the tag with the attributes worth keeping.
  size_t Tag(size_t lt, size_t name_begin, bool end_tag) {
    const size_t n = html_.size();
    size_t name_end = NameEnd(name_begin);
    std::string_view name = html_.substr(name_begin, name_end - name_begin);
    const size_t mark = out_->size();
    out_->append(html_.substr(lt, name_end - lt));
    // Gumbo keeps the first of repeated attributes: a later one is never read.
    uint64_t seen = 0;
    bool self_closing = false;
    bool after_kept_quote = false;  // the last attribute written ended with a quote
    size_t p = name_end;
    while (true) {
      while (p < n && IsTagSpace(html_[p])) ++p;
      if (p >= n) break;
      char c = html_[p];
      if (c == '>') {
        if (self_closing && !end_tag) out_->push_back('/');
        out_->push_back('>');
        return p + 1;
      }
      if (c == '/') {
        ++p;
        self_closing = p < n && html_[p] == '>';
        continue;
      }
      self_closing = false;
      Attribute a;
      if (!ReadAttribute(p, &a)) break;
      bool kept = false;
      if (!end_tag) {
        std::string_view attr_name = html_.substr(a.begin, a.name_end - a.begin);
        int rule = RuleFor(name, attr_name);
        if (rule >= 0 && rule < 64 && (seen & (uint64_t{1} << rule)) == 0) {
          seen |= uint64_t{1} << rule;
          std::string_view value = html_.substr(a.value_begin, a.value_end - a.value_begin);
          if (ValueWanted(rules_.attributes[static_cast<size_t>(rule)].value, value)) {
            // A space, unless the attribute follows a kept quoted value directly (where the
            // source had none either). Where the source had none after a dropped attribute,
            // that one was longer than the space: the output never grows.
            if (!(after_kept_quote && a.begin == p && !IsTagSpace(html_[a.begin - 1]))) {
              out_->push_back(' ');
            }
            out_->append(html_.substr(a.begin, a.end - a.begin));
            kept = true;
          }
        }
      }
      after_kept_quote = kept && a.end > a.value_end;
      p = a.end;
    }
    // The page ends inside the tag: Gumbo drops it; so is it copied, as it was.
    out_->resize(mark);
    return kNpos;
  }

  size_t EndTag(size_t lt) {
    const size_t n = html_.size();
    if (lt + 2 >= n) {  // "</" at the end: text
      out_->append(html_.substr(lt));
      return n;
    }
    char c = html_[lt + 2];
    if (c == '>') {  // "</>" is ignored by the tokenizer
      out_->append(html_.substr(lt, 3));
      return lt + 3;
    }
    if (!IsAsciiAlpha(c)) return BogusComment(lt, lt + 2);
    size_t end = Tag(lt, lt + 2, /*end_tag=*/true);
    if (end == kNpos) {
      out_->append(html_.substr(lt));
      return n;
    }
    return end;
  }

  size_t StartTag(size_t lt) {
    const size_t n = html_.size();
    size_t name_end = NameEnd(lt + 1);
    std::string_view name = html_.substr(lt + 1, name_end - (lt + 1));
    if (EqualsLower(name, "frameset")) {
      // In frameset modes the tree builder ignores most tags, <script> included, so its
      // content is markup: whatever follows is left to Gumbo as it is.
      out_->append(html_.substr(lt));
      return n;
    }
    size_t end = IsVerbatim(name) ? VerbatimTag(lt) : Tag(lt, lt + 1, /*end_tag=*/false);
    if (end == kNpos) {
      out_->append(html_.substr(lt));
      return n;
    }
    Content content = ContentOf(name);
    if (content == Content::kMarkup) return end;
    if (content == Content::kPlainText) {
      out_->append(html_.substr(end));
      return n;
    }
    size_t close = content == Content::kScriptData ? ScriptEnd(end) : RawTextEnd(end, name);
    if (!IsEmptied(name)) out_->append(html_.substr(end, close - end));
    return close;  // the end tag, if any, is read as any end tag
  }

  // Copies the tag from '<' at lt as it is; returns one past its '>', or kNpos.
  size_t VerbatimTag(size_t lt) {
    const size_t mark = out_->size();
    size_t end = Tag(lt, lt + 1, /*end_tag=*/true);  // finds the end; writes no attribute
    out_->resize(mark);
    if (end == kNpos) return kNpos;
    out_->append(html_.substr(lt, end - lt));
    return end;
  }

  // "</name" followed by a space, '/' or '>' at p (the name ASCII case-insensitive).
  bool IsEndTagOf(size_t p, std::string_view name) const {
    size_t after = p + 2 + name.size();
    return html_[p + 1] == '/' && StartsWithLower(html_, p + 2, name) && after < html_.size() &&
           (IsTagSpace(html_[after]) || html_[after] == '/' || html_[after] == '>');
  }

  // Where the content of a RAWTEXT or RCDATA element ends: its end tag, or the end of the page.
  size_t RawTextEnd(size_t from, std::string_view raw_name) const {
    std::array<char, 16> lower{};
    size_t len = std::min(raw_name.size(), lower.size());
    for (size_t k = 0; k < len; ++k) lower[k] = Lower(raw_name[k]);
    std::string_view name(lower.data(), len);
    for (size_t p = from; (p = html_.find("</", p)) != kNpos; p += 2) {
      if (IsEndTagOf(p, name)) return p;
    }
    return html_.size();
  }

  // Script data: "</script" ends it, except inside "<!--" … "-->" after a "<script" (the
  // standard's double-escaped state), where it only leaves that state.
  size_t ScriptEnd(size_t from) const {
    enum class State { kData, kEscaped, kDoubleEscaped };
    State s = State::kData;
    const size_t n = html_.size();
    size_t p = from;
    while (p < n) {
      if (s == State::kData) {
        const void* hit = std::memchr(html_.data() + p, '<', n - p);
        if (hit == nullptr) return n;
        size_t q = static_cast<size_t>(static_cast<const char*>(hit) - html_.data());
        if (q + 1 < n && IsEndTagOf(q, "script")) return q;
        if (html_.compare(q, 4, "<!--") == 0) {
          s = State::kEscaped;
          p = q + 2;  // "<!-->" ends the escape at once: its "--" counts
          continue;
        }
        p = q + 1;
        continue;
      }
      size_t q = html_.find_first_of("-<", p);
      if (q == kNpos) return n;
      if (html_[q] == '-') {
        if (html_.compare(q, 3, "-->") == 0) {
          s = State::kData;
          p = q + 3;
        } else {
          p = q + 1;
        }
        continue;
      }
      if (q + 1 < n && IsEndTagOf(q, "script")) {
        if (s == State::kEscaped) return q;
        s = State::kEscaped;
        p = q + 8;
        continue;
      }
      size_t after = q + 7;
      if (s == State::kEscaped && StartsWithLower(html_, q + 1, "script") && after < n &&
          (IsTagSpace(html_[after]) || html_[after] == '/' || html_[after] == '>')) {
        s = State::kDoubleEscaped;
        p = after;
        continue;
      }
      p = q + 1;
    }
    return n;
  }

  std::string_view html_;
  const PrepassRules& rules_;
  std::string* out_;
};

}  // namespace

void PrepassHtml(std::string_view html, const PrepassRules& rules, std::string* out) {
  out->clear();
  out->reserve(html.size());
  Prepass(html, rules, out).Run();
}

}  // namespace nianbao::parser
