#include "base/url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace nianbao::url {
namespace {

using Handle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// One part of a parsed URL; "" when absent (or when libcurl cannot give it).
std::string Get(CURLU* h, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(h, part, &out, flags) != CURLUE_OK || out == nullptr) return {};
  std::string s(out);
  curl_free(out);
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 6.2.2.1 and 6.2.2.2: "%7e" -> "~", "%2f" -> "%2F"; a '%' not followed by two hex
// digits is left as it is (libcurl accepts it, and it names the same page either way).
std::string NormaliseEscapes(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = s[i] == '%' && i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(s[i + 2]) : -1;
    if (lo < 0) {
      out.push_back(s[i]);
      continue;
    }
    auto c = static_cast<unsigned char>(hi * 16 + lo);
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[hi]);
      out.push_back(kHex[lo]);
    }
    i += 2;
  }
  return out;
}

}  // namespace

std::string Canonicalize(std::string_view ref, std::string_view base) {
  Handle h(curl_url(), &curl_url_cleanup);
  if (!h) return {};
  // Without CURLU_NON_SUPPORT_SCHEME only schemes libcurl knows parse; http(s) is checked below.
  if (!base.empty() &&
      curl_url_set(h.get(), CURLUPART_URL, std::string(base).c_str(), 0) != CURLUE_OK) {
    return {};
  }
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(ref).c_str(), CURLU_URLENCODE) !=
      CURLUE_OK) {
    return {};
  }
  std::string scheme = Lower(Get(h.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") return {};
  std::string host = Lower(Get(h.get(), CURLUPART_HOST));
  if (host.empty()) return {};
  if (curl_url_set(h.get(), CURLUPART_SCHEME, scheme.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_HOST, host.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK) {
    return {};
  }
  std::string out = Get(h.get(), CURLUPART_URL, CURLU_NO_DEFAULT_PORT);
  if (out.empty()) return {};
  // Scheme, userinfo and host hold no escapes that matter here; path and query do.
  size_t path = out.find('/', scheme.size() + 3);
  if (path == std::string::npos) return out;
  return out.substr(0, path) + NormaliseEscapes(std::string_view(out).substr(path));
}

std::string IdentityKey(std::string_view canonical) {
  auto p = canonical.find("://");
  std::string_view rest = p == std::string_view::npos ? canonical : canonical.substr(p + 3);
  // Credentials are not part of what a page is.
  size_t authority_end = rest.find_first_of("/?");
  if (auto at = rest.substr(0, authority_end).rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  return std::string(rest);
}

HostAndPort SplitHostAndPort(std::string_view url) {
  Handle h(curl_url(), &curl_url_cleanup);
  if (!h || curl_url_set(h.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return {};
  }
  std::string scheme = Lower(Get(h.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") return {};
  HostAndPort out{Lower(Get(h.get(), CURLUPART_HOST)),
                  Get(h.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT)};
  if (out.host.empty() || out.port.empty()) return {};
  return out;
}

}  // namespace nianbao::url
