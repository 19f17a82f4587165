#include "base/retry_after.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace nianbao {

std::optional<double> RetryAfterSeconds(std::string_view value, std::time_t now) {
  const std::string v(value);
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  const double secs = std::strtod(v.c_str(), &end);
  if (end != v.c_str() && *end == '\0') {
    return secs >= 0 ? std::optional<double>(secs) : std::nullopt;
  }
  const std::time_t at = curl_getdate(v.c_str(), nullptr);
  if (at == -1) return std::nullopt;
  return static_cast<double>(std::max<std::time_t>(at - now, 0));
}

}  // namespace nianbao
