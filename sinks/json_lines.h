// The JSON Lines form of a message, shared by the file and stdout sinks:
//
//   {"topic":"nianbao.reports","key":"<report_id>","headers":{"schema":"nianbao.report.v1",...},
//    "value":<the value parsed as JSON, or the raw value as a JSON string if it is not JSON>}
//
// one object per line, fields in that order, no spaces, UTF-8. Invalid UTF-8 in any string is
// replaced by U+FFFD (a line is always valid JSON). Headers become an object: a header key that
// occurs twice keeps its last value. A value that is one line of valid JSON (every value nianbao
// publishes) is written as its bytes are, blanks around it dropped, without being parsed into a
// document and dumped again; any other value (several lines, not JSON, invalid UTF-8) is
// re-serialised in compact form, or written as a JSON string when it is not JSON.
//
// Threading: pure functions, any thread. Never throws.
#pragma once

#include <string>

#include "sinks/sink.h"

namespace nianbao::sinks {

// One line, ending in '\n'.
std::string FormatJsonLine(const Message& message);

// All the batch's lines, in message order.
std::string FormatJsonLines(const Batch& batch);

}  // namespace nianbao::sinks
