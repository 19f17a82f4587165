// `nianbao parse [--url URL] FILE...`: the parser on local files, one JSON line per file.
//
// Contract (spec record-v1.md): prints {"report": ..., "findings": [...]} for each file on
// stdout; exits 0 when every file was read, whatever the findings; for a file that cannot
// be read (missing, a directory, over --max-bytes, unreadable) prints one line naming it on
// stderr, goes on with the others and exits 1. A document whose reader cannot read it
// (meta.unreadable_document: an encrypted PDF, a truncated DOCX) is printed like any other
// file (its line carries the finding) and also named on stderr, and the exit status is 1. The rules
// across years (history.*, rules.md) run between the files given: a report of year N gets the
// findings of its comparison with each report of the same organisation on year N−1 among them,
// whatever the order of the files; so every file is parsed before the lines are printed (in the
// order given).
//
// Threading: runs on the main thread only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nianbao::app {

struct ParseCommandOptions {
  std::vector<std::string> files;
  std::string url;                    // canonical URL the file was fetched from; "" for none
  std::string content_type;           // overrides sniffing, e.g. "text/html; charset=gbk"
  std::size_t max_bytes = 16u << 20;  // HTML and text files
  // Binary documents (DOCX, DOC/WPS, PDF, OFD, sniffed from their bytes).
  std::size_t max_document_bytes = 32u << 20;
  bool pretty = false;  // indented JSON for people; the contract is one line per file
};

int RunParseCommand(const ParseCommandOptions& options);

}  // namespace nianbao::app
