// The parser's version: nianbao's version plus a revision number of the parsing and the rules,
// published in every record (`parser_version`) and written into each archive file's warcinfo,
// so that `nianbao reparse` can say which parser read a page before and which reads it now.
//
// kParserRevision is bumped by every change that can change a record or its findings: a
// label table, a reader, a rule, a severity, a message. Plain constants. Threading: none.
#pragma once

#include <string>
#include <string_view>

#include "base/version.h"

namespace nianbao::parser {

inline constexpr int kParserRevision = 1;

// "0.1.0+parser.1"
inline std::string ParserVersion() {
  return std::string(kVersion) + "+parser." + std::to_string(kParserRevision);
}

}  // namespace nianbao::parser
