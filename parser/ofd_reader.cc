#include "parser/ofd_reader.h"
namespace nianbao::parser {
Result<Document> ReadOfd(std::string_view, const ReaderLimits&) {
  return Status::Internal("OFD: not yet");
}
}  // namespace nianbao::parser
