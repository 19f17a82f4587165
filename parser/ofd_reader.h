#pragma once
#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {
Result<Document> ReadOfd(std::string_view bytes, const ReaderLimits& limits);
}  // namespace nianbao::parser
