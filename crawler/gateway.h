// Firewalls in front of portals: answers that are a gateway's, not the page's.
//
// Anti-bot gateways (加速乐 and its kin) answer a crawler with a status of their own (521)
// or with a small 200 whose body is only a script that sets document.cookie and reloads the
// page (a JS challenge a browser solves by running it). Neither is the page, nor a version
// of it. GatewayChallenge() recognises both by a table of signatures; the crawler records
// such a fetch as the failure `blocked_by_gateway`, does not retry it within the pass, and
// never hands its body on (docs/RELIABILITY.md). A cookie-replay gateway (a 302 to the same
// URL with Set-Cookie) is not one of these: the fetcher's cookie jar passes it
// (crawler/curl_fetcher.h).
//
// Pure. Threading: safe from any thread.
#pragma once

#include <string_view>

namespace nianbao::crawler {

// The failure reason of a fetch a gateway answered (SourcePassStats::failures).
inline constexpr std::string_view kBlockedByGateway = "blocked_by_gateway";

// A challenge is a small page: a real list or report is never this small and script-only.
inline constexpr size_t kChallengeMaxBytes = 8 * 1024;

// The name of the gateway signature the answer matches ("jsl_521", "jsl_clearance",
// "cookie_reload", ...), or "" when it is no gateway's. `body` is the answer's body as
// received (the markers are ASCII in every charset).
std::string_view GatewayChallenge(long status, std::string_view body);

}  // namespace nianbao::crawler
