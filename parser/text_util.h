// Text utilities for the report parser: UTF-8 <-> code points, label normalisation and the
// reading of one table cell.
//
// Reports are typed by hand in Word, so the same label or number comes in many spellings:
// full- or half-width digits and brackets, spaces inside words (结果 维持), line breaks inside
// labels (不予\n以公\n开), numbering as 一、 / (一) / 1. / 1、. NormalizeLabel() folds these
// so that label tables can be matched by plain substring search.
//
// Pure. Threading: safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nianbao::parser {

std::u32string ToU32(std::string_view utf8);  // invalid bytes become U+FFFD
std::string ToUtf8(std::u32string_view text);

// ASCII space/tab/CR/LF, U+00A0, U+3000, U+2000-U+200B, U+FEFF. Inline (as FoldWidth): they
// run on every character of a report, from every reader.
inline bool IsSpace(char32_t c) {
  if (c < 0x80) return c == U' ' || (c >= U'\t' && c <= U'\r');
  return c == 0x00A0 || c == 0x3000 || (c >= 0x2000 && c <= 0x200B) || c == 0xFEFF;
}

// Full-width ASCII (U+FF01-U+FF5E) folded to ASCII, U+3000 to a space.
inline char32_t FoldWidth(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c == 0x3000) return U' ';
  return c;
}

// Folds width, removes every space and line break, and maps brackets and dots to ASCII:
// "（三）不予\n以公\n开" -> "(三)不予以公开", "１．属于国家秘密" -> "1.属于国家秘密".
std::string NormalizeLabel(std::string_view text);

// Removes leading numbering from a normalised label, repeatedly: "三、", "(一)", "1.", "1、",
// "(三)1." -> "". "(一)予以公开" -> "予以公开"; "四、结转下年度继续办理" -> "结转下年度继续办理".
std::string StripNumbering(std::string_view normalized_label);

// Collapses runs of whitespace to one ASCII space and trims; keeps no line breaks.
std::string CollapseSpaces(std::string_view text);

// Removes all whitespace (for titles such as "五龙口镇人民政府 2020 年…年度报 告").
std::string RemoveSpaces(std::string_view text);

// Removes the whitespace at both ends.
std::string TrimSpaces(std::string_view text);

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), or 0 when the bytes
// there are ill-formed. *truncated is set when the sequence is merely cut by the end of s.
// Inline: the charset decoder and IsWellFormedUtf8 call it for every non-ASCII sequence.
inline size_t Utf8SequenceLength(std::string_view s, size_t i, bool* truncated) {
  *truncated = false;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      *truncated = true;
      return 0;
    }
    unsigned char b = byte(i + k);
    unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) return 0;
  }
  return len;
}

// Whether `text` is well-formed UTF-8 (shortest forms of Unicode scalar values): what the
// charset decoder hands on, and what the *View functions below require.
bool IsWellFormedUtf8(std::string_view text);

// TrimSpaces for well-formed text, as a view into it: reads only the spaces at both ends.
// REQUIRES: IsWellFormedUtf8(text) (then it equals TrimSpaces(text)).
std::string_view TrimSpacesView(std::string_view text);

// Whether TrimSpaces(text) would be empty, without building it.
bool IsBlank(std::string_view text);

// ToU32(s).size() without building the string: the length in code points that the label
// limits (kMaxLabelLine) count.
size_t CodePointCount(std::string_view s);

// The reading of one table cell.
struct CellReading {
  enum class Kind { kEmpty, kNumber, kBad };
  Kind kind = Kind::kEmpty;
  double value = 0;  // kNumber only; money already converted to 万元
};

// How a column's numbers are read.
enum class CellUnit {
  kCount,      // integers, optionally signed (本年增/减), thousands separators allowed
  kMoneyWan,   // money whose bare numbers are 万元; "40万", "108万元", "251000元" accepted
  kMoneyYuan,  // money whose header says 元: bare numbers are 元 and divided by 10,000
};

// Reads a cell: empty marks (blank, -, —, /, 无) give kEmpty; a readable number kNumber;
// anything else kBad. Never turns an unreadable cell into 0.
CellReading ReadCell(std::string_view text, CellUnit unit);

}  // namespace nianbao::parser
