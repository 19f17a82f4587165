// Retry-After (RFC 9110 10.2.3), read the same way by everything that asks a server again:
// the crawler's retries and the alert targets' backoff.
//
// Pure; libcurl only for curl_getdate, which reads the three date formats HTTP allows.
// Threading: safe from any thread.
#pragma once

#include <ctime>
#include <optional>
#include <string_view>

namespace nianbao {

// Seconds from `now` that a Retry-After value asks for: delta-seconds ("120") or an HTTP-date
// ("Sun, 06 Nov 2026 08:49:37 GMT"); a date in the past is 0. nullopt when absent or
// unreadable (a negative number, text that is not a date).
std::optional<double> RetryAfterSeconds(std::string_view value, std::time_t now);

}  // namespace nianbao
