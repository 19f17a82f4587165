// Canonical URLs: the one place where a URL becomes the form the project compares, stores and
// publishes, and the key a report's identity is derived from.
//
// Used by the crawler (every link it resolves, every host it compares) and by the parser
// (source.url and report_id of a record), so that both always agree on what "the same page"
// is. Built on libcurl's URL API (RFC 3986 parsing, dot segments removed), then normalised as
// RFC 3986 section 6.2.2 describes: scheme and host lower-cased, the scheme's default port
// dropped, percent-escapes in upper case and those of unreserved characters decoded, characters
// that may not appear in a URL (spaces, raw UTF-8) percent-encoded, an empty path made "/", the
// fragment dropped. Only http and https URLs are canonical.
//
// Pure (no I/O; libcurl's URL API needs no global initialisation). Threading: safe from any
// thread. Owner: none (free functions).
#pragma once

#include <string>
#include <string_view>

namespace nianbao::url {

// The canonical form of `ref`, resolved against `base` when `base` is not empty (RFC 3986
// section 5). "" when the result is not an absolute http(s) URL that libcurl accepts.
// Canonicalize("HTTP://Example.GOV.cn:80/a/../b.html") == "http://example.gov.cn/b.html".
std::string Canonicalize(std::string_view ref, std::string_view base = {});

// What a report's identity is derived from: host (with a port other than the scheme's
// default), path and query of a canonical URL, without the scheme, so that a portal moving
// from http to https keeps every report_id. "example.gov.cn/b.html?id=1".
// REQUIRES: `canonical` came from Canonicalize() (else it is returned from its "://" on).
std::string IdentityKey(std::string_view canonical);

// The lower-case host of an absolute http(s) URL and its port, the scheme's default filled in
// when the URL names none (libcurl's CURLU_DEFAULT_PORT): "http://A.gov.cn/x" -> {"a.gov.cn",
// "80"}. An IPv6 address keeps its brackets ("[::1]"). Both "" when `url` is not one.
struct HostAndPort {
  std::string host;
  std::string port;
};
HostAndPort SplitHostAndPort(std::string_view url);

}  // namespace nianbao::url
