#include "parser/doc_reader.h"

namespace nianbao::parser {

Result<Document> ReadDoc(std::string_view /*bytes*/, const ReaderLimits& /*limits*/) {
  return Status::InvalidArgument("not yet");
}

}  // namespace nianbao::parser
