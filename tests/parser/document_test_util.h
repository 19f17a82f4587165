// The rest of the parse pipeline on a Document that a reader of documents (PDF, OFD) made:
// what parser.cc's Parse() does after its reader, so that a reader's output is checked
// against the same goldens as the HTML version of the same report.
#pragma once

#include <string>

#include "parser/document.h"
#include "parser/narrative.h"
#include "parser/report_parser.h"
#include "parser/rules.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {

inline ParseOutput ParseReadDocument(const Document& doc, const std::string& bytes) {
  ParsedReport parsed = ParseDocument(doc);
  NarrativeFacts narrative = ReadNarrative(parsed.overview_text);
  parsed.record.narrative = narrative.values;
  std::string sha = Sha256Hex(bytes);
  parsed.record.source.sha256 = sha;
  parsed.record.source.media_type = doc.media_type;
  parsed.record.report_id = sha.substr(0, 32);
  ParseOutput out;
  // As Parse(): a report by its structure; a document whose tables are images is taken for
  // one when it has any sign of a report, so that structure.image_only is published.
  out.is_report =
      parsed.headings_found >= 2 || parsed.recognised_rows >= 3 ||
      (parsed.record.title && parsed.headings_found >= 1 && parsed.recognised_rows >= 1) ||
      doc.image_only;
  if (out.is_report) {
    out.findings = parsed.findings;
    for (auto& f : narrative.findings) out.findings.push_back(f);
    RunRules(RuleInput{parsed, narrative}, &out.findings);
  }
  out.record = parsed.record;
  out.overview_text = parsed.overview_text;
  return out;
}

inline Json ReadDocumentToJson(const Document& doc, const std::string& bytes) {
  return ToJson(ParseReadDocument(doc, bytes));
}

// The blocks of a document as text, for the message of a failed expectation.
inline std::string DumpBlocks(const Document& doc) {
  std::string out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) {
      out += "P: " + b.text + "\n";
      continue;
    }
    out += "T:\n";
    for (const Row& r : b.table.rows) {
      out += "  |";
      for (const Cell& c : r) out += (c.span_copy ? "~" : "") + c.text + "|";
      out += "\n";
    }
  }
  return out;
}

}  // namespace nianbao::parser::testing
