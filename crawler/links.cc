#include "crawler/links.h"

#include <gumbo.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>

#include "base/url.h"

namespace nianbao::crawler {
namespace {

// Gumbo's output, destroyed with the options it was made with.
struct GumboDeleter {
  void operator()(GumboOutput* out) const { gumbo_destroy_output(&kGumboDefaultOptions, out); }
};

// Markup deeper than this is not a list page; Gumbo's own teardown recurses, so a hostile
// page nested hundreds of thousands deep must never reach it.
constexpr int kMaxDepth = 4000;

// Counts start tags against end tags. Comments (Word's <!--[if gte mso 9]><xml> blocks hold
// hundreds of <w:LsdException .../>), declarations and self-closing tags open nothing: counted,
// they made a Word-exported page look 4,000 deep and lose every link. Linear: each tag is
// scanned once, up to its '>'.
bool TooDeep(std::string_view html) {
  int depth = 0;
  const size_t n = html.size();
  size_t i = 0;
  while (i + 1 < n) {
    const size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) break;
    const char c = html[lt + 1];
    if (html.substr(lt, 4) == "<!--") {
      const size_t end = html.find("-->", lt + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    if (c == '!' || c == '?') {
      i = lt + 2;
      continue;
    }
    if (c == '/') {
      depth = std::max(0, depth - 1);
      i = lt + 2;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      i = lt + 1;
      continue;
    }
    // Elements that are usually left open or never closed do not nest in practice.
    static constexpr std::string_view kVoid[] = {"br",   "img",  "meta",   "link", "input",  "hr",
                                                 "p",    "li",   "td",     "tr",   "option", "col",
                                                 "area", "base", "source", "wbr"};
    size_t j = lt + 1;
    while (j < n && std::isalnum(static_cast<unsigned char>(html[j]))) ++j;
    std::string name(html.substr(lt + 1, j - lt - 1));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const size_t gt = html.find('>', j);
    if (gt == std::string_view::npos) break;
    const bool self_closing = html[gt - 1] == '/';
    const bool is_void = std::find(std::begin(kVoid), std::end(kVoid), name) != std::end(kVoid);
    if (!is_void && !self_closing && ++depth > kMaxDepth) return true;
    i = gt + 1;
  }
  return false;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ws = std::isspace(c) != 0;
    // U+00A0 (C2 A0) and U+3000 (E3 80 80) are spaces too.
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      ws = true;
      ++i;
    } else if (c == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               static_cast<unsigned char>(s[i + 2]) == 0x80) {
      ws = true;
      i += 2;
    }
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(s[i]);
  }
  return out;
}

// The text under a node, without recursion.
std::string TextOf(const GumboNode* root) {
  std::string text;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) {
      text += n->v.text.text;
      text += ' ';
    } else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& kids = n->v.element.children;
      for (unsigned i = kids.length; i > 0; --i) {
        stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
      }
    }
  }
  return CollapseSpaces(text);
}

std::string Attr(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a != nullptr ? std::string(a->value) : std::string();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string ResolveUrl(const std::string& base, std::string_view ref) {
  std::string r(ref);
  // Trim, and drop what never names a page.
  while (!r.empty() && std::isspace(static_cast<unsigned char>(r.front()))) r.erase(0, 1);
  while (!r.empty() && std::isspace(static_cast<unsigned char>(r.back()))) r.pop_back();
  if (r.empty() || r.front() == '#') return {};
  std::string lower = r.substr(0, 11);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("javascript:", 0) == 0 || lower.rfind("mailto:", 0) == 0 ||
      lower.rfind("tel:", 0) == 0 || lower.rfind("data:", 0) == 0) {
    return {};
  }
  return url::Canonicalize(r, base);
}

std::string HostKey(std::string_view url) {
  // Canonical first, so that "HTTP://A.gov.cn:80/" and "http://a.gov.cn/" are one host.
  std::string canonical = url::Canonicalize(url);
  std::string_view u = canonical.empty() ? url : std::string_view(canonical);
  auto p = u.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = u.substr(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string host(rest);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

std::string PathAndQuery(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return "/";
  std::string_view rest = url.substr(p + 3);
  auto slash = rest.find_first_of("/?");
  if (slash == std::string_view::npos) return "/";
  std::string_view path = rest.substr(slash);
  path = path.substr(0, path.find('#'));
  if (path.empty() || path.front() == '?') return "/" + std::string(path);
  return std::string(path);
}

std::vector<Link> ExtractLinks(std::string_view html, const std::string& page_url,
                               size_t max_links) {
  std::vector<Link> links;
  if (TooDeep(html)) return links;
  std::unique_ptr<GumboOutput, GumboDeleter> out(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  if (!out) return links;
  std::string base = page_url;
  std::vector<const GumboNode*> stack{out->root};
  std::vector<std::string> seen;
  while (!stack.empty() && links.size() < max_links) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& e = n->v.element;
    if (e.tag == GUMBO_TAG_BASE) {
      std::string b = ResolveUrl(page_url, Attr(n, "href"));
      if (!b.empty()) base = b;
    } else if (e.tag == GUMBO_TAG_A) {
      std::string url = ResolveUrl(base, Attr(n, "href"));
      if (!url.empty()) {
        std::string text = TextOf(n);
        // Lists often cut long titles ("…年度报…") and keep the whole one in title="".
        std::string title = CollapseSpaces(Attr(n, "title"));
        if (!title.empty() && (text.empty() || EndsWith(text, "…") || EndsWith(text, "...") ||
                               title.size() > text.size())) {
          text = title;
        }
        links.push_back(Link{std::move(url), std::move(text)});
      }
    }
    for (unsigned i = e.children.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(e.children.data[i - 1]));
    }
  }
  return links;
}

namespace {

// A page count as written (up to 12 digits), INT_MAX when it does not fit an int.
int PageCount(const std::string& digits) {
  int64_t n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return static_cast<int>(std::min<int64_t>(n, std::numeric_limits<int>::max()));
}

// The stem and extension of a list URL's file ("index_3.shtml" -> "index", "shtml"); a folder
// is its index.html.
std::pair<std::string, std::string> StemOf(std::string_view list_url) {
  std::string path = PathAndQuery(list_url);
  path = path.substr(0, path.find('?'));
  std::string file = path.substr(path.rfind('/') + 1);
  static const RE2 re(R"re(([A-Za-z0-9-]{1,40}?)(?:_\d+)?\.([A-Za-z0-9]{1,10}))re");
  std::string stem, ext;
  if (RE2::FullMatch(file, re, &stem, &ext)) return {stem, ext};
  return {"index", "html"};
}

// The pager shapes, most specific first. `stem` and `extension` name the capture groups;
// 0 takes them from the list URL.
struct PagerShape {
  const char* pattern;
  int stem_group, extension_group;
  int first_suffix;
};
constexpr PagerShape kPagerShapes[] = {
    {R"re(createPageHTML\(\s*["'][^"']{0,40}["']\s*,\s*(\d{1,12})\s*,\s*\d{1,12}\s*,\s*["']([A-Za-z0-9_-]{1,40})["']\s*,\s*["']([A-Za-z0-9]{1,10})["'])re",
     2, 3, 2},
    {R"re(createPageHTML\(\s*(\d{1,12})\s*,\s*\d{1,12}\s*,\s*["']([A-Za-z0-9_-]{1,40})["']\s*,\s*["']([A-Za-z0-9]{1,10})["'])re",
     2, 3, 1},
    {R"re(\bvar\s+countPage\s*=\s*["']?(\d{1,12})\b)re", 0, 0, 1},
};

}  // namespace

std::optional<TrsPaging> FindTrsPaging(std::string_view html, std::string_view list_url) {
  static const auto* const kCompiled = [] {
    auto* v = new std::vector<std::unique_ptr<RE2>>;
    for (const PagerShape& shape : kPagerShapes) v->push_back(std::make_unique<RE2>(shape.pattern));
    return v;
  }();
  re2::StringPiece input(html.data(), html.size());
  for (size_t i = 0; i < std::size(kPagerShapes); ++i) {
    const PagerShape& shape = kPagerShapes[i];
    const RE2& re = *(*kCompiled)[i];
    std::string groups[3];
    RE2::Arg args[3] = {&groups[0], &groups[1], &groups[2]};
    const RE2::Arg* argv[3] = {&args[0], &args[1], &args[2]};
    if (!RE2::PartialMatchN(input, re, argv, re.NumberOfCapturingGroups())) continue;
    TrsPaging p;
    p.pages = PageCount(groups[0]);
    if (shape.stem_group > 0) {
      p.stem = groups[shape.stem_group - 1];
      p.extension = groups[shape.extension_group - 1];
      p.first_suffix = shape.first_suffix;
    } else {
      std::tie(p.stem, p.extension) = StemOf(list_url);
      // A list whose file is a number (1.html) numbers its pages: 2.html is the second.
      p.numbered = RE2::FullMatch(p.stem, R"re(\d{1,9})re");
      p.first_suffix = p.numbered ? 2 : shape.first_suffix;
    }
    return p;
  }
  return std::nullopt;
}

std::vector<std::string> PageNames(const TrsPaging& paging, int max_pages) {
  std::vector<std::string> names;
  // Bounded by max_pages before anything is generated: a count of 10^9 is 19 names.
  const int pages = std::min(paging.pages, max_pages);
  for (int n = 1; n < pages; ++n) {
    const std::string number = std::to_string(n - 1 + paging.first_suffix);
    names.push_back((paging.numbered ? number : paging.stem + "_" + number) + "." +
                    paging.extension);
  }
  return names;
}

std::optional<std::string> FindRefreshStub(std::string_view html, const std::string& page_url) {
  if (html.size() > kStubMaxBytes) return std::nullopt;
  // The markup is ASCII in every charset portals use, so the raw bytes are searched.
  static const RE2 re(
      R"re((?is)<meta[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^"'>\s]+))re");
  std::string target;
  if (!RE2::PartialMatch(html, re, &target)) return std::nullopt;
  std::string resolved = ResolveUrl(page_url, target);
  if (resolved.empty()) return std::nullopt;
  return resolved;
}

bool IsColumnOf(const std::string& target, const std::string& page,
                const std::vector<std::string>& entries) {
  std::string t = url::Canonicalize(target);
  for (const auto& e : entries) {
    if (url::Canonicalize(e) == t) return true;
  }
  if (HostKey(t) != HostKey(page)) return false;
  // The directory of the target: its path without a final index page.
  static const RE2 index_page(R"re((?i)/(index|default)(_\d+)?\.(s?html?|jsp|php|aspx?)$)re");
  std::string dir = PathAndQuery(t);
  if (dir.find('?') != std::string::npos) return false;
  RE2::Replace(&dir, index_page, "/");
  if (dir.empty() || dir.back() != '/') return false;
  std::string page_path = PathAndQuery(url::Canonicalize(page));
  return page_path.size() > dir.size() && page_path.compare(0, dir.size(), dir) == 0;
}

}  // namespace nianbao::crawler
