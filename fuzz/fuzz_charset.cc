// Fuzz target: parser::DecodeToUtf8. The first byte of the input picks the HTTP Content-Type
// from kContentTypes (every canonical charset, aliases, junk and none); the rest is the body.
// Checks the header's promise: the output is valid UTF-8 and names a canonical charset. Also
// checks SanitizeUtf8 (valid output, identity on valid input) and CanonicalCharset.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/charset.h"

namespace {

constexpr std::array<std::string_view, 20> kContentTypes = {
    "",
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=UTF8",
    "text/html; charset=gbk",
    "text/html;charset=GB2312",
    "text/html; charset=\"gb18030\"",
    "text/html; charset=big5",
    "text/html; charset=iso-8859-1",
    "text/html; charset=windows-1252",
    "text/html; charset=utf-16",
    "text/html; charset=utf-16le",
    "text/html; charset=utf-16be",
    "text/plain; charset=shift_jis",
    "text/plain; charset=euc-jp",
    "text/plain; charset=euc-kr",
    "text/plain; charset=x-unknown",
    "text/plain; charset=",
    "application/octet-stream",
    "charset=charset=gbk; charset='utf-8'",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  using nianbao::fuzz::IsValidUtf8;
  namespace parser = nianbao::parser;

  if (size == 0) return 0;
  const std::string_view content_type = kContentTypes[data[0] % kContentTypes.size()];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const parser::Decoded decoded = parser::DecodeToUtf8(body, content_type);
  Check(IsValidUtf8(decoded.utf8), "DecodeToUtf8: output is not valid UTF-8");
  Check(!decoded.charset.empty(), "DecodeToUtf8: no charset named");
  Check(parser::CanonicalCharset(decoded.charset) == decoded.charset,
        "DecodeToUtf8: charset is not a canonical name");

  const std::string sanitized = parser::SanitizeUtf8(body);
  Check(IsValidUtf8(sanitized), "SanitizeUtf8: output is not valid UTF-8");
  Check(sanitized.size() >= body.size() || !IsValidUtf8(body), "SanitizeUtf8: lost bytes");
  if (IsValidUtf8(body)) Check(sanitized == body, "SanitizeUtf8: changed valid UTF-8");
  Check(parser::SanitizeUtf8(sanitized) == sanitized, "SanitizeUtf8: not idempotent");

  const std::string canonical = parser::CanonicalCharset(body.substr(0, 64));
  Check(canonical.empty() || parser::CanonicalCharset(canonical) == canonical,
        "CanonicalCharset: result is not canonical");
  return 0;
}
