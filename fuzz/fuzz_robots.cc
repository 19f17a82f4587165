// Fuzz target: crawler::RobotsRules. The input's first line is the path asked about
// (e.g. "/zfxxgk/ndbg/index_1.html?x=1"), the rest is the robots.txt body. Parse() and
// Allowed() must be total and linear enough to stay under the timeout; "/robots.txt" is
// always allowed (RFC 9309 2.2.2).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crawler/robots.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace crawler = nianbao::crawler;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  const std::string_view path = input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);

  const crawler::RobotsRules rules = crawler::RobotsRules::Parse(body, "nianbao/0.1 (+https://x)");
  (void)rules.Allowed(path);
  (void)rules.Allowed("");
  (void)rules.disallows_everything();
  Check(rules.Allowed("/robots.txt"), "RobotsRules: /robots.txt disallowed");
  if (const auto delay = rules.crawl_delay()) Check(*delay >= 0, "RobotsRules: negative delay");
  for (const auto& sitemap : rules.sitemaps()) {
    Check(!sitemap.empty(), "RobotsRules: empty sitemap URL");
  }
  // The rules for "*" are parsed the same way; an empty token matches no named group.
  const crawler::RobotsRules star = crawler::RobotsRules::Parse(body, "");
  (void)star.Allowed(path);
  return 0;
}
