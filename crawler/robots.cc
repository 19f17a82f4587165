#include "crawler/robots.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace nianbao::crawler {

namespace {

// RFC 9309 2.5: crawlers must parse at least 500 KiB; parsing more only feeds hostile files.
constexpr std::size_t kMaxBodyBytes = 500 * 1024;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kWhitespace = " \t\v\f";
constexpr std::string_view kRobotsPath = "/robots.txt";

// Needles up to this length are searched with std::string_view::find, whose worst case
// (|haystack| * |needle|) is then still linear in the haystack; longer ones go through
// Knuth-Morris-Pratt so that a hostile pattern cannot make matching quadratic.
constexpr std::size_t kShortNeedle = 16;

std::string_view Trim(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  const std::size_t end = s.find_last_not_of(kWhitespace);
  return s.substr(begin, end - begin + 1);
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

// The product token of a user-agent value or of our own name: "Nianbao/0.1 (+url)" ->
// "Nianbao". RFC 9309 2.2.1 matches on the token alone, so versions and comments must not
// prevent a match.
std::string_view ProductToken(std::string_view value) {
  value = Trim(value);
  return value.substr(0, value.find_first_of("/ \t"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {  // RFC 3986 2.3
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendEscaped(std::string& out, unsigned char c) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xF]);
}

// Brings a path or a rule pattern to the one form in which they are compared octet by octet
// (RFC 9309 2.2.2): %XX of an unreserved character is decoded ("%7E" and "~" are the same
// URI), any other %XX gets upper-case hex ("%3c" and "%3C" are too), and octets that may not
// appear raw in a URI (non-ASCII, as in UTF-8 Chinese paths written straight into robots.txt,
// controls, space) are percent-encoded. Reserved characters are left as they are, encoded or
// not, because RFC 3986 does not make "/a%2Fb" equal to "/a/b".
//
// In a pattern "*" is the wildcard and a final "$" the end anchor; everywhere else "*" and "$"
// are literal and written "%2A" and "%24", which is also how a rule names them literally
// (RFC 9309 2.2.3). Encoding them the same way in paths keeps both sides comparable and
// leaves a raw "*" or "$" in a normalised string meaning only wildcard or anchor.
std::string Normalise(std::string_view in, bool is_pattern) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      const auto decoded =
          static_cast<unsigned char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      if (IsUnreserved(decoded)) {
        out.push_back(static_cast<char>(decoded));
      } else {
        AppendEscaped(out, decoded);
      }
      i += 2;
    } else if (c == '*') {
      if (is_pattern) {
        out.push_back('*');
      } else {
        AppendEscaped(out, c);
      }
    } else if (c == '$') {
      if (is_pattern && i + 1 == in.size()) {
        out.push_back('$');
      } else {
        AppendEscaped(out, c);
      }
    } else if (c <= 0x20 || c >= 0x7F) {
      AppendEscaped(out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string NormalisePath(std::string_view path) {
  // The fragment never reaches the server, so it cannot be what a rule is about.
  path = path.substr(0, path.find('#'));
  std::string prefixed;
  if (path.empty() || path.front() != '/') {
    prefixed = "/";
    prefixed.append(path);
    path = prefixed;
  }
  return Normalise(path, /*is_pattern=*/false);
}

// First occurrence of `needle` in `haystack` at or after `from`, in time linear in both.
std::size_t FindLinear(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (from > haystack.size()) return std::string_view::npos;
  if (needle.size() <= kShortNeedle) return haystack.find(needle, from);
  if (haystack.size() - from < needle.size()) return std::string_view::npos;
  // failure[i]: length of the longest proper border of needle[0..i].
  std::vector<std::size_t> failure(needle.size(), 0);
  for (std::size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && needle[i] != needle[k]) k = failure[k - 1];
    if (needle[i] == needle[k]) ++k;
    failure[i] = k;
  }
  for (std::size_t i = from, k = 0; i < haystack.size(); ++i) {
    while (k > 0 && haystack[i] != needle[k]) k = failure[k - 1];
    if (haystack[i] == needle[k]) ++k;
    if (k == needle.size()) return i + 1 - k;
  }
  return std::string_view::npos;
}

// Whether normalised `pattern` matches a prefix of normalised `path` (all of it with "$").
//
// The pattern is split at its wildcards into literal segments. The first must start the path;
// each middle one is placed at its leftmost occurrence after the previous one, which is never
// worse than any later placement since it leaves the most path for what follows; with "$" the
// last one must end the path. That is one forward pass with no backtracking, so a pattern such
// as "/*a*a*a*a*b" costs O(|path| + |pattern|) instead of the exponential time of a naive
// recursive matcher.
bool Matches(std::string_view path, std::string_view pattern) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);

  std::size_t star = pattern.find('*');
  const std::string_view head = pattern.substr(0, star);
  if (!path.starts_with(head)) return false;
  if (star == std::string_view::npos) return !anchored || path.size() == head.size();

  std::size_t pos = head.size();
  pattern.remove_prefix(star + 1);
  while (true) {
    star = pattern.find('*');
    const std::string_view segment = pattern.substr(0, star);
    if (star == std::string_view::npos) {
      if (anchored) return path.size() - pos >= segment.size() && path.ends_with(segment);
      return FindLinear(path, segment, pos) != std::string_view::npos;
    }
    if (!segment.empty()) {
      const std::size_t at = FindLinear(path, segment, pos);
      if (at == std::string_view::npos) return false;
      pos = at + segment.size();
    }
    pattern.remove_prefix(star + 1);
  }
}

// A non-negative decimal ("10", "2.5", ".5"); anything else, including signs, exponents,
// "inf" and "nan", is junk and yields nothing rather than a guessed delay.
std::optional<double> ParseDelay(std::string_view value) {
  bool digit = false;
  bool dot = false;
  for (char c : value) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  double delay = 0;
  const auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), delay, std::chars_format::fixed);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(delay)) {
    return std::nullopt;
  }
  return delay;
}

// The first `kMaxBodyBytes` of `body`, less a final line the cap cuts in two: a truncated
// "Disallow: /abcdef" would otherwise become the broader "Disallow: /a".
std::string_view CapBody(std::string_view body) {
  if (body.size() <= kMaxBodyBytes) return body;
  const char next = body[kMaxBodyBytes];
  body = body.substr(0, kMaxBodyBytes);
  if (next == '\r' || next == '\n') return body;
  const std::size_t last_break = body.find_last_of("\r\n");
  return last_break == std::string_view::npos ? std::string_view() : body.substr(0, last_break);
}

// Rules and crawl-delay collected from all groups that name one agent (RFC 9309 2.2.1 merges
// them).
struct Collected {
  bool named = false;
  std::vector<std::string> allows;
  std::vector<std::string> disallows;
  std::optional<double> crawl_delay;
};

}  // namespace

RobotsRules RobotsRules::Parse(std::string_view body, std::string_view product_token) {
  body = CapBody(body);
  if (body.starts_with(kUtf8Bom)) body.remove_prefix(kUtf8Bom.size());
  const std::string_view token = ProductToken(product_token);

  RobotsRules result;
  Collected ours;
  Collected star;
  std::unordered_set<std::string_view> seen_sitemaps;

  // The group being read: the user-agent lines that opened it decide whom its rules are for.
  bool reading_agents = false;  // the last group line was a user-agent line
  bool for_us = false;
  bool for_star = false;

  std::size_t pos = 0;
  while (pos < body.size()) {
    // CR, LF and CRLF all end a line; the empty "line" inside CRLF is skipped below.
    const std::size_t eol = std::min(body.find_first_of("\r\n", pos), body.size());
    std::string_view line = body.substr(pos, eol - pos);
    pos = eol + 1;

    line = Trim(line.substr(0, line.find('#')));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // blank or invalid
    const std::string_view key = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));

    if (EqualsIgnoreCase(key, "user-agent")) {
      if (!reading_agents) {  // a user-agent after rules opens a new group
        for_us = false;
        for_star = false;
        reading_agents = true;
      }
      const std::string_view agent = ProductToken(value);
      if (agent == "*") {
        for_star = true;
        star.named = true;
      } else if (!token.empty() && EqualsIgnoreCase(agent, token)) {
        for_us = true;
        ours.named = true;
      }
      continue;
    }

    const bool allow = EqualsIgnoreCase(key, "allow");
    const bool disallow = EqualsIgnoreCase(key, "disallow");
    const bool delay = EqualsIgnoreCase(key, "crawl-delay");
    if (allow || disallow || delay) {
      reading_agents = false;
      // Also drops rules before any user-agent line: they belong to nobody.
      if (!for_us && !for_star) continue;
      if (delay) {
        const std::optional<double> parsed = ParseDelay(value);
        if (!parsed) continue;
        // Several merged groups may each give a delay; the politest one is kept.
        for (Collected* c : {for_us ? &ours : nullptr, for_star ? &star : nullptr}) {
          if (c != nullptr) c->crawl_delay = std::max(c->crawl_delay.value_or(0), *parsed);
        }
        continue;
      }
      // An empty value allows everything (RFC 9309 2.2.2), i.e. adds no rule. A value that
      // does not start like a path can never match a path, so it is dropped here as well.
      if (value.empty() || (value.front() != '/' && value.front() != '*')) continue;
      std::string pattern = Normalise(value, /*is_pattern=*/true);
      if (for_us) (allow ? ours.allows : ours.disallows).push_back(pattern);
      if (for_star) (allow ? star.allows : star.disallows).push_back(std::move(pattern));
      continue;
    }

    // Sitemap lines are not part of any group (RFC 9309 2.2.4), so they neither end the
    // user-agent list nor the rules of the current group; nor do unknown fields.
    if (EqualsIgnoreCase(key, "sitemap") && !value.empty() && seen_sitemaps.insert(value).second) {
      result.sitemaps_.emplace_back(value);
    }
  }

  // Groups for "*" apply only when no group names us, even one without rules.
  Collected& chosen = ours.named ? ours : star;
  for (std::string& p : chosen.allows) result.rules_.push_back({true, std::move(p)});
  for (std::string& p : chosen.disallows) result.rules_.push_back({false, std::move(p)});
  result.crawl_delay_ = chosen.crawl_delay;

  // Longest pattern first, allow before disallow at equal length: Allowed() can then stop at
  // the first match and still implement "longest match wins, allow wins ties".
  std::stable_sort(result.rules_.begin(), result.rules_.end(), [](const Rule& a, const Rule& b) {
    if (a.pattern.size() != b.pattern.size()) return a.pattern.size() > b.pattern.size();
    return a.allow && !b.allow;
  });
  return result;
}

RobotsRules RobotsRules::AllowAll() { return RobotsRules(); }

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules result;
  result.rules_.push_back({false, "/"});
  return result;
}

bool RobotsRules::Allowed(std::string_view path) const {
  const std::string normalised = NormalisePath(path);
  // RFC 9309 2.2.2: the file itself is always fetchable, whatever it or a 5xx says.
  if (normalised == kRobotsPath) return true;
  for (const Rule& rule : rules_) {
    if (Matches(normalised, rule.pattern)) return rule.allow;
  }
  return true;
}

bool RobotsRules::disallows_everything() const { return !Allowed("/"); }

RobotsVerdict JudgeRobotsResponse(long status, bool transport_error, std::string_view body,
                                  std::string_view product_token,
                                  std::chrono::duration<double> cache,
                                  std::chrono::duration<double> unreachable_retry) {
  RobotsVerdict v;
  const bool answered = !transport_error && status != 0;
  if (answered && status >= 200 && status < 300) {
    v.rules = RobotsRules::Parse(body, product_token);
    v.valid_for = cache;
  } else if (answered && status >= 400 && status < 500) {
    v.rules = RobotsRules::AllowAll();  // "unavailable": no restrictions
    v.valid_for = cache;
  } else {
    // "unreachable" (5xx, or no response: the same outage seen from the network side).
    v.rules = RobotsRules::DisallowAll();
    v.unreachable = true;
    v.valid_for = unreachable_retry;
  }
  return v;
}

}  // namespace nianbao::crawler
