// robots.txt as RFC 9309 defines it: parsing, group selection and path matching.
//
// The crawler fetches /robots.txt once per host and cache period and asks Allowed() before
// every request to that host. What the fetch outcome means (RFC 9309 section 2.3.1):
//   2xx            -> Parse(body)
//   4xx            -> AllowAll()   ("unavailable": crawl as if there were no file)
//   5xx, network   -> DisallowAll() ("unreachable": assume complete disallow), retried later
// JudgeRobotsResponse() makes that decision and says how long it holds: an unreachable
// robots.txt (a 5xx, or no response at all: refused, reset, timed out) is asked again after
// a short retry period, never kept for the whole cache period, so that a brief outage does
// not block a host for a day.
//
// Pure: no I/O. Threading: immutable after construction; safe to share.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nianbao::crawler {

class RobotsRules {
 public:
  // `product_token` is the crawler's token matched against user-agent lines, case-
  // insensitively ("nianbao"); groups for "*" apply when no group names the token. Only the
  // first 500 KiB of the body are parsed (RFC 9309 2.5).
  static RobotsRules Parse(std::string_view body, std::string_view product_token);
  static RobotsRules AllowAll();
  static RobotsRules DisallowAll();

  // `path` is the path and query of the URL, e.g. "/zfxxgk/ndbg/index_1.html?x=1"; "" is "/".
  // The longest matching rule wins; on a tie, allow wins; "/robots.txt" is always allowed.
  // Rules support "*" (any sequence) and a final "$" (end of path); percent-encodings are
  // compared case-insensitively and unreserved characters decoded before matching.
  bool Allowed(std::string_view path) const;

  // Crawl-delay of the selected group, if any (not in RFC 9309, but honoured as a lower
  // bound of the politeness delay when present).
  std::optional<double> crawl_delay() const { return crawl_delay_; }
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }
  bool disallows_everything() const;  // true when "/" itself is disallowed

 private:
  struct Rule {
    bool allow;
    std::string pattern;  // normalised
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
  std::vector<std::string> sitemaps_;
};

// What one robots.txt fetch means for its host, and for how long.
struct RobotsVerdict {
  RobotsRules rules;
  bool unreachable = false;  // 5xx or no HTTP response: complete disallow, asked again soon
  std::chrono::duration<double> valid_for{0};
};
// `status` 0 or `transport_error` = no HTTP response. `cache` holds for an answer (2xx, 4xx),
// `unreachable_retry` for no answer (5xx, transport error, anything else).
RobotsVerdict JudgeRobotsResponse(long status, bool transport_error, std::string_view body,
                                  std::string_view product_token,
                                  std::chrono::duration<double> cache,
                                  std::chrono::duration<double> unreachable_retry);

}  // namespace nianbao::crawler
