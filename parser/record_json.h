// A parse result as JSON, field for field as docs/record-v1.md and docs/rules.md say.
//
// Kept apart from parser.h so that the parser's public header does not carry nlohmann::json
// into every component that only parses: include this where records are serialised (ingest's
// messages, `nianbao parse`, tests, fuzz targets, benchmarks).
//
// Pure. Threading: safe to call concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include "parser/parser.h"
#include "parser/record.h"

namespace nianbao::parser {

// {"report": <record>, "findings": [...]} exactly as spec record-v1 / rules v1 describe.
nlohmann::ordered_json ToJson(const ParseOutput& output);
nlohmann::ordered_json RecordToJson(const Record& record);
nlohmann::ordered_json FindingToJson(const Finding& finding, const Record& record);

// The identity of a report's content: the lower-case hex SHA-256 of ToJson(output) without
// the record's `source` (URL, fetch time, raw hash, charset: provenance, not content). Two
// fetches of one report whose pages differ only around it (a view counter, the current time,
// menus, a re-encoding) have the same fingerprint; any change of a value, a section, the
// text of 问题 / 其他, or a finding gives another.
std::string ContentFingerprint(const ParseOutput& output);

}  // namespace nianbao::parser
