// Document model shared by the readers (HTML, text, and the documents of reader_limits.h) and
// consumed by the report parser.
//
// A report, whatever its source format, becomes a flat sequence of blocks in reading order:
// paragraphs of prose and tables whose rowspan/colspan have been expanded into a grid. The
// readers drop portal chrome (navigation, breadcrumbs, share buttons, footers); the report
// parser never sees markup. Cell and paragraph text is UTF-8; line breaks inside a cell are
// kept as '\n' because labels such as 不予\n以公\n开 are broken that way in real reports.
//
// Ownership: plain values, owned by whoever called the reader. Threading: none.
#pragma once

#include <string>
#include <vector>

namespace nianbao::parser {

struct Cell {
  std::string text;
  // True for the copies that rowspan/colspan expansion places in the grid. The report parser
  // reads labels from copies (a rowspanned group label applies to every row it covers) but
  // never reads a value from one.
  bool span_copy = false;
  // True for the values of a row read from text whose cells ran together (a report delivered
  // as one line: "本年新收政府信息公开申请数量 713000074"). Such a row's values are read only
  // when they are exactly as many as the form's columns; otherwise they are unreadable.
  bool run_on = false;
};

using Row = std::vector<Cell>;

struct Table {
  std::vector<Row> rows;
};

struct Block {
  enum class Kind { kParagraph, kTable };
  Kind kind = Kind::kParagraph;
  std::string text;  // kParagraph only
  Table table;       // kTable only
};

struct Document {
  std::vector<Block> blocks;
  // Page metadata the HTML reader finds outside the report body; empty when absent.
  std::string page_title;  // <meta name="ArticleTitle">, else <title>
  std::string page_date;   // YYYY-MM-DD from 发布日期/发布时间 or <meta name="PubDate">
  // The format the blocks were read from, as a media type ("text/html", "application/pdf",
  // …), set by the reader that read them; it becomes source.media_type.
  std::string media_type;
  // The encoding the text was decoded from (source.charset): the HTML or text page's charset,
  // or the encoding a binary format keeps its text in (document_reader.h's table).
  std::string charset;
  // True when the document has pages but no text where its tables should be (a scanned PDF,
  // tables pasted as pictures): the record keeps what could be read and the finding
  // structure.image_only says why its tables are missing.
  bool image_only = false;
};

}  // namespace nianbao::parser
