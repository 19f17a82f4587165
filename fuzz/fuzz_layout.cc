// Fuzz target: parser::BuildBlocks on boxes made from the bytes. Each 10 bytes are one run
// (page, x, y, width, height, font size, which text) or, when the first byte's top bit is set,
// one ruled line; the texts are labels, figures, headings and page numbers of real reports,
// so that the fuzzer builds tables, headers and page furniture rather than noise. Checks that
// every block is valid UTF-8, that no table row is empty and that each cell's text is one of
// the texts given, or several joined (nothing invented).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "parser/layout.h"

namespace {

const char* const kTexts[] = {
    "一、本年新收政府信息公开申请数量",
    "（三）不",
    "予公开",
    "1.属于国家秘密",
    "自然人",
    "商业企业",
    "总计",
    "0",
    "1",
    "12",
    "３",
    "12.5",
    "—",
    "无",
    "- 3 -",
    "第2页",
    "三、收到和处理政府信息公开申请情况",
    "青禾县自然资源局",
    "2021",
    "年",
    "PDF",
    "行政复议",
    "结果",
    "维持",
    "本报告根据《条例》要求编制。",
    "信息内容",
    "本年处理决定数量",
    " ",
};
constexpr size_t kTextCount = sizeof(kTexts) / sizeof(kTexts[0]);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace parser = nianbao::parser;

  parser::LayoutInput in;
  in.pages.assign(3, parser::PageSize{595, 842});
  for (size_t i = 0; i + 10 <= size; i += 10) {
    const uint8_t* b = data + i;
    int page = b[0] & 3;  // 3 is a page that does not exist
    double x = (b[1] << 8 | b[2]) / 64.0;
    double y = (b[3] << 8 | b[4]) / 64.0;
    double w = b[5] / 2.0;
    double h = b[6] / 8.0;
    if (b[0] & 0x80) {
      bool vertical = b[7] & 1;
      in.rules.push_back({page, x, y, vertical ? x : x + w * 4, vertical ? y + h * 8 : y});
      continue;
    }
    double fs = b[7] / 8.0;
    in.runs.push_back({page, x, y, x + w, y + h, kTexts[b[8] % kTextCount], fs, (b[9] & 1) != 0});
  }
  std::vector<parser::Block> blocks = parser::BuildBlocks(in);
  parser::Document doc;
  doc.blocks = blocks;
  nianbao::fuzz::CheckBlocksAreUtf8(doc, "BuildBlocks: paragraph is not valid UTF-8",
                                    "BuildBlocks: cell is not valid UTF-8");
  for (const parser::Block& block : blocks) {
    if (block.kind != parser::Block::Kind::kTable) continue;
    Check(!block.table.rows.empty(), "BuildBlocks: table without rows");
    for (const auto& row : block.table.rows) Check(!row.empty(), "BuildBlocks: empty row");
  }
  return 0;
}
