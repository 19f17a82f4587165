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

}  // namespace

std::u32string ToU32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1F;
      len = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0F;
      len = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07;
      len = 4;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    if (i + len > s.size()) {
      out.push_back(kReplacement);
      break;
    }
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cb & 0x3F);
    }
    if (!ok) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string ToUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t c : text) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\f' || c == U'\v' ||
         c == 0x00A0 || c == 0x3000 || (c >= 0x2000 && c <= 0x200B) || c == 0xFEFF;
}

char32_t FoldWidth(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c == 0x3000) return U' ';
  return c;
}

std::string NormalizeLabel(std::string_view text) {
  std::u32string out;
  for (char32_t c : ToU32(text)) {
    if (IsSpace(c)) continue;
    c = FoldWidth(c);
    if (c == U'〔' || c == U'［' || c == U'【') c = U'(';
    if (c == U'〕' || c == U'］' || c == U'】') c = U')';
    if (c == U'．' || c == U'。' || c == U'·') c = U'.';
    if (IsSpace(c)) continue;  // U+3000 folded to ' '
    out.push_back(c);
  }
  return ToUtf8(out);
}

std::string StripNumbering(std::string_view normalized_label) {
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
  std::u32string out;
  bool pending_space = false;
  for (char32_t c : ToU32(text)) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(c);
  }
  return ToUtf8(out);
}

std::string RemoveSpaces(std::string_view text) {
  std::u32string out;
  for (char32_t c : ToU32(text)) {
    if (!IsSpace(c)) out.push_back(c);
  }
  return ToUtf8(out);
}

CellReading ReadCell(std::string_view text, CellUnit unit) {
  std::u32string s;
  for (char32_t c : ToU32(text)) {
    c = FoldWidth(c);
    if (IsSpace(c)) continue;
    s.push_back(c);
  }
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
