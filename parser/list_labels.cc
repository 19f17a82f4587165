#include "parser/list_labels.h"

#include <array>
#include <string>
#include <utility>

namespace nianbao::parser {
namespace {

std::string Decimal(int n) { return std::to_string(n); }

std::string ChineseCounting(int n) {
  static constexpr std::array<std::string_view, 10> kDigits = {"〇", "一", "二", "三", "四",
                                                               "五", "六", "七", "八", "九"};
  if (n <= 0 || n >= 100) return Decimal(n);
  std::string out;
  if (n >= 10) {
    if (n >= 20) out += kDigits[n / 10];
    out += "十";
  }
  if (n % 10 != 0) out += kDigits[n % 10];
  return out;
}

std::string IdeographTraditional(int n) {  // 甲 乙 丙 … (the ten heavenly stems)
  static constexpr std::array<std::string_view, 10> kStems = {"甲", "乙", "丙", "丁", "戊",
                                                              "己", "庚", "辛", "壬", "癸"};
  return n >= 1 && n <= 10 ? std::string(kStems[n - 1]) : Decimal(n);
}

std::string Letter(int n, char a) {
  if (n <= 0) return Decimal(n);
  std::string out;
  // Word repeats the letter past z: aa, bb, …
  out.assign(static_cast<std::size_t>((n - 1) / 26 + 1), static_cast<char>(a + (n - 1) % 26));
  return out;
}
std::string LowerLetter(int n) { return Letter(n, 'a'); }
std::string UpperLetter(int n) { return Letter(n, 'A'); }

std::string Roman(int n, bool upper) {
  static constexpr std::array<std::pair<int, std::string_view>, 13> kRoman = {{{1000, "m"},
                                                                               {900, "cm"},
                                                                               {500, "d"},
                                                                               {400, "cd"},
                                                                               {100, "c"},
                                                                               {90, "xc"},
                                                                               {50, "l"},
                                                                               {40, "xl"},
                                                                               {10, "x"},
                                                                               {9, "ix"},
                                                                               {5, "v"},
                                                                               {4, "iv"},
                                                                               {1, "i"}}};
  if (n <= 0 || n >= 4000) return Decimal(n);
  std::string out;
  for (const auto& [value, digits] : kRoman) {
    for (; n >= value; n -= value) out += digits;
  }
  if (upper) {
    for (char& c : out) c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}
std::string LowerRoman(int n) { return Roman(n, false); }
std::string UpperRoman(int n) { return Roman(n, true); }

std::string DecimalFullWidth(int n) {
  std::string out;
  for (char c : std::to_string(n)) {
    if (c == '-') {
      out += "－";
      continue;
    }
    // U+FF10 + digit, in UTF-8 EF BC 90+d.
    out += "\xEF\xBC";
    out += static_cast<char>(0x90 + (c - '0'));
  }
  return out;
}

std::string DecimalEnclosedCircle(int n) {  // ① … ⑳ are U+2460 … U+2473
  if (n < 1 || n > 20) return Decimal(n);
  int cp = 0x2460 + n - 1;
  std::string out;
  out += static_cast<char>(0xE0 | (cp >> 12));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
  return out;
}

// The formats whose labels are rendered; any other format (bullet, none, the rarer East Asian
// counters) gives no label, as if the paragraph were not numbered.
constexpr std::array<ListNumberFormat, 13> kNumberFormats = {{
    {"decimal", 0, &Decimal},
    {"chineseCounting", 37, &ChineseCounting},
    {"chineseCountingThousand", 39, &ChineseCounting},
    {"japaneseCounting", 11, &ChineseCounting},
    {"taiwaneseCounting", 33, &ChineseCounting},
    {"ideographTraditional", 30, &IdeographTraditional},
    {"lowerLetter", 4, &LowerLetter},
    {"upperLetter", 3, &UpperLetter},
    {"lowerRoman", 2, &LowerRoman},
    {"upperRoman", 1, &UpperRoman},
    {"decimalFullWidth", 14, &DecimalFullWidth},
    {"decimalFullWidth2", 19, &DecimalFullWidth},
    {"decimalEnclosedCircle", 18, &DecimalEnclosedCircle},
}};

}  // namespace

const ListNumberFormat* FindListNumberFormat(std::string_view name) {
  for (const auto& f : kNumberFormats) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const ListNumberFormat* FindListNumberFormat(int nfc) {
  for (const auto& f : kNumberFormats) {
    if (f.nfc == nfc) return &f;
  }
  return nullptr;
}

}  // namespace nianbao::parser
