#include "crawler/gateway.h"

#include <algorithm>
#include <initializer_list>

namespace nianbao::crawler {

namespace {

// Statuses that only a gateway sends: 521 is 加速乐's (and Cloudflare's "web server is down"
// when the origin refuses the gateway, also not the page).
struct StatusSignature {
  long status;
  std::string_view name;
};
constexpr StatusSignature kStatuses[] = {
    {521, "jsl_521"},
};

// Small 200 bodies that are a challenge script: every marker of a row must occur.
struct BodySignature {
  std::string_view name;
  std::initializer_list<std::string_view> markers;
};
const BodySignature kBodies[] = {
    {"jsl_clearance", {"__jsl_clearance"}},        // 加速乐's cookie
    {"wzws_challenge", {"wzwschallenge"}},         // 网站卫士
    {"yunsuo_verify", {"yunsuo_session_verify"}},  // 云锁
    {"cookie_reload", {"document.cookie", "location.reload"}},
    {"cookie_redirect", {"document.cookie", "location.href"}},
    {"cookie_replace", {"document.cookie", "location.replace"}},
};

}  // namespace

std::string_view GatewayChallenge(long status, std::string_view body) {
  for (const auto& s : kStatuses) {
    if (s.status == status) return s.name;
  }
  if (status != 200 || body.size() > kChallengeMaxBytes ||
      (body.find("<script") == body.npos && body.find("<SCRIPT") == body.npos)) {
    return {};
  }
  for (const auto& b : kBodies) {
    if (std::all_of(b.markers.begin(), b.markers.end(),
                    [&](std::string_view m) { return body.find(m) != body.npos; })) {
      return b.name;
    }
  }
  return {};
}

}  // namespace nianbao::crawler
