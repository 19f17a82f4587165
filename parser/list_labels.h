// The numbers of list items as word processors write them: "一" for 1 in Chinese counting,
// "iv" in lower roman, "①" enclosed in a circle. Shared by the DOCX reader (formats named as
// in numbering.xml's w:numFmt) and the DOC reader (the same formats by their Word 97 nfc code,
// [MS-DOC] LVLF.nfc, numbered as [MS-OI29500] maps them to ST_NumberFormat).
//
// A format not in the table gives no label: bullets, "none", the rarer East Asian counters.
//
// Pure data. Threading: immutable, safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace nianbao::parser {

struct ListNumberFormat {
  std::string_view name;  // w:numFmt's value
  int nfc;                // Word 97's code for it
  std::string (*format)(int);
};

const ListNumberFormat* FindListNumberFormat(std::string_view name);
const ListNumberFormat* FindListNumberFormat(int nfc);

}  // namespace nianbao::parser
