#include "parser/text_util.h"

#include <array>
#include <cmath>

namespace nianbao::parser {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Marks that reports use for "nothing here". Compared after width folding and space removal.
constexpr std::array<std::u32string_view, 12> kEmptyMarks = {
    U"", U"-", U"--", U"—", U"——", U"–", U"/", U"\\", U"无", U"空", U"／", U"－"};

bool IsDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

// Chinese numerals used in numbering (一、 … 十、).
bool IsChineseNumeral(char32_t c) {
  static constexpr std::u32string_view kNumerals = U"一二三四五六七八九十";
  return kNumerals.find(c) != std::u32string_view::npos;
}

// One code point of UTF-8 from p[i..n), advancing i: an invalid byte is U+FFFD (one byte
// read), a sequence cut by the end is U+FFFD and ends the text (i = n). ToU32 and the
// filters below all decode through it, so that they agree on every input.
inline char32_t DecodeNext(const unsigned char* p, size_t n, size_t& i) {
  const unsigned char b = p[i];
  if (b < 0x80) {
    ++i;
    return b;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b & 0xE0) == 0xC0) {
    cp = b & 0x1F;
    len = 2;
  } else if ((b & 0xF0) == 0xE0) {
    cp = b & 0x0F;
    len = 3;
  } else if ((b & 0xF8) == 0xF0) {
    cp = b & 0x07;
    len = 4;
  } else {
    ++i;
    return kReplacement;
  }
  if (i + len > n) {
    i = n;
    return kReplacement;
  }
  for (int k = 1; k < len; ++k) {
    const unsigned char cb = p[i + k];
    if ((cb & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (cb & 0x3F);
  }
  i += len;
  return cp;
}

// Writes c as UTF-8 at o (U+FFFD for what is not a Unicode scalar value); the new end.
inline unsigned char* Encode(char32_t c, unsigned char* o) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
  if (c < 0x80) {
    *o++ = static_cast<unsigned char>(c);
  } else if (c < 0x800) {
    *o++ = static_cast<unsigned char>(0xC0 | (c >> 6));
    *o++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *o++ = static_cast<unsigned char>(0xE0 | (c >> 12));
    *o++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
    *o++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
  } else {
    *o++ = static_cast<unsigned char>(0xF0 | (c >> 18));
    *o++ = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
    *o++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
    *o++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
  }
  return o;
}

// Decodes `text`, passes each code point to `filter`, which writes what it keeps through
// `put(c)`, and returns the UTF-8 of what was kept: one pass, one allocation, no string of
// code points between. Every byte of input gives at most 3 bytes of output (an invalid byte
// becomes U+FFFD), so the output is sized once.
template <typename Filter>
std::string Rewrite(std::string_view text, Filter filter) {
  std::string out(text.size() * 3, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const auto* begin = o;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  auto put = [&o](char32_t c) { o = Encode(c, o); };
  for (size_t i = 0; i < text.size();) filter(DecodeNext(p, text.size(), i), put);
  out.resize(static_cast<size_t>(o - begin));
  return out;
}

// Whether Encode gives back the `len` bytes at p from which DecodeNext read c: true for
// well-formed UTF-8 (shortest form, a Unicode scalar value, U+FFFD written as such), false for
// an invalid byte or a cut sequence (read as U+FFFD), an overlong form, a surrogate or a value
// past U+10FFFF.
inline bool RoundTrips(const unsigned char* p, char32_t c, size_t len) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
  if (c == kReplacement) return len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD;
  const size_t shortest = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  return len == shortest;
}

// Whether every code point of `text` round-trips (RoundTrips): then the bytes of any run of
// its code points are the UTF-8 that ToUtf8 would write for them. That is well-formed UTF-8
// (Unicode table 3-7), checked here by byte ranges rather than by decoding.
bool WellFormed(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    bool truncated = false;
    const size_t len = Utf8SequenceLength(text, i, &truncated);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace

// ToU32, ToUtf8 and the filters write through a pointer into a string sized for the worst
// case and cut it to length at the end: they run on every label, cell and line of a report,
// and a push_back per character (a call each, with its capacity check) cost more than the
// rest of the report parser together.
std::u32string ToU32(std::string_view s) {
  std::u32string out(s.size(), U'\0');  // every code point takes at least one byte
  char32_t* o = out.data();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) *o++ = DecodeNext(p, s.size(), i);
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

std::string ToUtf8(std::u32string_view text) {
  std::string out(text.size() * 4, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const auto* begin = o;
  for (char32_t c : text) o = Encode(c, o);
  out.resize(static_cast<size_t>(o - begin));
  return out;
}

std::string NormalizeLabel(std::string_view text) {
  return Rewrite(text, [](char32_t c, auto put) {
    if (IsSpace(c)) return;
    c = FoldWidth(c);
    if (c == U'〔' || c == U'［' || c == U'【') c = U'(';
    if (c == U'〕' || c == U'］' || c == U'】') c = U')';
    if (c == U'．' || c == U'。' || c == U'·') c = U'.';
    if (IsSpace(c)) return;  // U+3000 folded to ' '
    put(c);
  });
}

std::string StripNumbering(std::string_view normalized_label) {
  // A normalised label is well-formed (NormalizeLabel writes nothing else): the numbering is
  // read code point by code point from the bytes and the rest is returned as its bytes, with
  // no string of code points. Text that is not well-formed takes the path below, which turns
  // what is not into U+FFFD.
  if (WellFormed(normalized_label)) {
    const auto* p = reinterpret_cast<const unsigned char*>(normalized_label.data());
    const size_t n = normalized_label.size();
    // The code point at byte `at` (a boundary), and the byte after it in *next.
    auto at = [&](size_t pos, size_t* next) {
      *next = pos;
      return DecodeNext(p, n, *next);
    };
    auto numeral = [](char32_t c) { return IsChineseNumeral(c) || IsDigit(c); };
    size_t i = 0, next = 0;
    for (;;) {
      size_t start = i;
      // "(一)" / "(1)"
      if (i < n && p[i] == '(') {
        size_t j = i + 1;
        while (j < n && numeral(at(j, &next))) j = next;
        if (j > i + 1 && j < n && p[j] == ')') i = j + 1;
      }
      // "一、" / "1." / "1、"
      size_t j = i;
      while (j < n && numeral(at(j, &next))) j = next;
      if (j > i && j < n) {
        const char32_t sep = at(j, &next);
        if (sep == U'、' || sep == U'.' || sep == U',' || sep == U'，') i = next;
      }
      if (i == start) break;
    }
    return std::string(normalized_label.substr(i));
  }
  std::u32string s = ToU32(normalized_label);
  size_t i = 0;
  for (;;) {
    size_t start = i;
    // "(一)" / "(1)"
    if (i < s.size() && s[i] == U'(') {
      size_t j = i + 1;
      while (j < s.size() && (IsChineseNumeral(s[j]) || IsDigit(s[j]))) ++j;
      if (j > i + 1 && j < s.size() && s[j] == U')') i = j + 1;
    }
    // "一、" / "1." / "1、"
    size_t j = i;
    while (j < s.size() && (IsChineseNumeral(s[j]) || IsDigit(s[j]))) ++j;
    if (j > i && j < s.size() && (s[j] == U'、' || s[j] == U'.' || s[j] == U',' || s[j] == U'，')) {
      i = j + 1;
    }
    if (i == start) break;
  }
  return ToUtf8(s.substr(i));
}

std::string CollapseSpaces(std::string_view text) {
  bool wrote = false, pending_space = false;
  return Rewrite(text, [&](char32_t c, auto put) {
    if (IsSpace(c)) {
      pending_space = wrote;
      return;
    }
    if (pending_space) put(U' ');
    pending_space = false;
    wrote = true;
    put(c);
  });
}

std::string RemoveSpaces(std::string_view text) {
  return Rewrite(text, [](char32_t c, auto put) {
    if (!IsSpace(c)) put(c);
  });
}

size_t CodePointCount(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t count = 0;
  for (size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      ++i;
    } else {
      DecodeNext(p, s.size(), i);
    }
    ++count;
  }
  return count;
}

bool IsWellFormedUtf8(std::string_view text) { return WellFormed(text); }

std::string_view TrimSpacesView(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsSpace(DecodeNext(p, text.size(), next))) break;
    begin = next;
  }
  size_t end = text.size();
  while (end > begin) {
    // Back to the lead byte of the last code point: well-formed, so it is the last byte that
    // is not a continuation byte.
    size_t lead = end - 1;
    while (lead > begin && (p[lead] & 0xC0) == 0x80) --lead;
    size_t next = lead;
    if (!IsSpace(DecodeNext(p, text.size(), next))) break;
    end = lead;
  }
  return text.substr(begin, end - begin);
}

bool IsBlank(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    if (!IsSpace(DecodeNext(p, text.size(), i))) return false;
  }
  return true;
}

std::string TrimSpaces(std::string_view text) {
  // Well-formed text (what every reader hands on: the decoder sanitises the page) keeps its
  // bytes between the first and the last non-space, so one decoding pass that only finds those
  // two places and checks the bytes round-trip gives the answer as a copy of a substring: no
  // encoding and no buffer of three times the size. Other text takes the rewriting path below,
  // which turns what is not well-formed into U+FFFD.
  {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    size_t first = text.size(), last = 0;
    bool round_trips = true;
    for (size_t i = 0; i < text.size() && round_trips;) {
      const size_t at = i;
      const char32_t c = DecodeNext(p, text.size(), i);
      round_trips = RoundTrips(p + at, c, i - at);
      if (IsSpace(c)) continue;
      if (first == text.size()) first = at;
      last = i;
    }
    if (round_trips) return first < last ? std::string(text.substr(first, last - first)) : "";
  }
  // Spaces inside are written as they come; the output is cut after its last non-space.
  std::string out(text.size() * 3, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const auto* begin = o;
  const auto* kept = o;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  bool started = false;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = DecodeNext(p, text.size(), i);
    const bool space = IsSpace(c);
    if (space && !started) continue;
    started = true;
    o = Encode(c, o);
    if (!space) kept = o;
  }
  out.resize(static_cast<size_t>(kept - begin));
  return out;
}

CellReading ReadCell(std::string_view text, CellUnit unit) {
  // The folded code points go to a buffer on the stack when the cell is short (every cell of
  // a form is; this runs two or three times per cell), else to the heap.
  constexpr size_t kShortCell = 64;
  char32_t small[kShortCell];
  std::u32string large;
  char32_t* folded = small;
  if (text.size() > kShortCell) {
    large.resize(text.size());
    folded = large.data();
  }
  size_t kept = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    const char32_t c = FoldWidth(DecodeNext(p, text.size(), i));
    if (!IsSpace(c)) folded[kept++] = c;
  }
  const std::u32string_view s(folded, kept);
  for (auto mark : kEmptyMarks) {
    if (s == mark) return {CellReading::Kind::kEmpty, 0};
  }
  CellReading bad{CellReading::Kind::kBad, 0};
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == U'+' || s[i] == U'-' || s[i] == U'−' || s[i] == U'－')) {
    negative = s[i] != U'+';
    ++i;
  }
  double value = 0;
  size_t digits = 0;
  while (i < s.size() && (IsDigit(s[i]) || s[i] == U',')) {
    if (s[i] != U',') {
      value = value * 10 + static_cast<double>(s[i] - U'0');
      ++digits;
      if (digits > 15) return bad;  // beyond exact double integers: not a real count
    }
    ++i;
  }
  if (digits == 0) return bad;
  bool fractional = false;
  if (i < s.size() && s[i] == U'.') {
    ++i;
    double scale = 0.1;
    size_t frac_digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      value += scale * static_cast<double>(s[i] - U'0');
      scale /= 10;
      ++i;
      ++frac_digits;
    }
    if (frac_digits == 0) return bad;
    fractional = true;
  }
  std::u32string_view suffix = std::u32string_view(s).substr(i);
  if (unit == CellUnit::kCount) {
    // Counts may carry their measure word (12件, 3条, 5个) but never a fraction.
    static constexpr std::array<std::u32string_view, 8> kCountSuffixes = {
        U"", U"件", U"条", U"个", U"项", U"次", U"起", U"篇"};
    bool ok = false;
    for (auto suf : kCountSuffixes) ok = ok || suffix == suf;
    if (!ok || fractional) return bad;
  } else {
    if (suffix == U"万" || suffix == U"万元") {
      // already 万元
    } else if (suffix == U"元") {
      value /= 10000.0;
    } else if (suffix.empty()) {
      if (unit == CellUnit::kMoneyYuan) value /= 10000.0;
    } else {
      return bad;
    }
  }
  if (negative) value = -value;
  return {CellReading::Kind::kNumber, value};
}

}  // namespace nianbao::parser
