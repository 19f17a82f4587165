// Charset detection and decoding to UTF-8.
//
// Order of evidence, as browsers use it: a byte-order mark, the charset of the HTTP
// Content-Type, a <meta charset> / <meta http-equiv="Content-Type"> in the first 4 KB, then
// statistical detection (uchardet) for pages that declare nothing. Labels gb2312, gbk, x-gbk
// and gb18030 all decode as GB18030 (a superset), as the WHATWG Encoding standard requires.
// A declared charset that the bytes contradict (e.g. "utf-8" over GBK bytes) loses to
// detection. Bytes that are invalid in the chosen charset become U+FFFD; the output is
// always valid UTF-8.
//
// Pure: no I/O, no global state (iconv descriptors are opened and closed per call).
// Threading: safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

namespace nianbao::parser {

struct Decoded {
  std::string utf8;     // valid UTF-8
  std::string charset;  // canonical lower-case name actually used: "utf-8", "gb18030", ...
};

// content_type: the HTTP Content-Type header value, or "" when there is none.
Decoded DecodeToUtf8(std::string_view bytes, std::string_view content_type);

// Canonical name for a charset label ("GB2312" -> "gb18030", "UTF8" -> "utf-8"), or "" when
// the label is unknown. Exposed for tests.
std::string CanonicalCharset(std::string_view label);

// Replaces every invalid UTF-8 sequence by U+FFFD.
std::string SanitizeUtf8(std::string_view bytes);

}  // namespace nianbao::parser
