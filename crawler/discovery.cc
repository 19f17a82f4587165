#include "crawler/discovery.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "crawler/gateway.h"
#include "crawler/links.h"
#include "crawler/list_adapter.h"
#include "crawler/list_inference.h"
#include "crawler/sublists.h"

namespace nianbao::crawler {
namespace {

// ---------------------------------------------------------------------------------------------
// The tables. A link's score is the weight of the first (longest) text row its text contains
// plus that of the first slug row its URL's path contains. Rows are ordered longest first, so
// that "政府信息公开年报" is not scored as only "年报".

struct Hint {
  std::string_view needle;
  int weight;
};

// Texts of links to an annual-report column. From this weight up a text names a column in full.
constexpr int kFullNameWeight = 75;
constexpr Hint kColumnTexts[] = {
    {"政府信息公开工作年度报告", 100},
    {"政府信息公开年度报告", 95},
    {"政府信息公开年报", 90},
    {"政务公开工作年度报告", 85},
    {"信息公开工作年度报告", 85},
    {"信息公开年度报告", 80},
    {"信息公开年报", 80},
    {"政务公开年报", 75},
    {"年度报告", 60},
    {"年报", 50},
};
// Path slugs of annual-report columns (lower-cased path).
constexpr Hint kColumnSlugs[] = {
    {"zfxxgkndbg", 40}, {"zfxxgknb", 40},     {"xxgkndbg", 35}, {"xxgknb", 35},
    {"zwgknb", 30},     {"annualreport", 30}, {"gknb", 30},     {"ndbg", 30},
};
// Texts and slugs of the page above the column: the portal's information-disclosure pages.
constexpr Hint kDisclosureTexts[] = {
    {"政府信息公开", 30},
    {"信息公开", 25},
    {"政务公开", 20},
    {"公开目录", 15},
};
constexpr Hint kDisclosureSlugs[] = {
    {"zfxxgk", 10}, {"xxgk", 10}, {"zwgk", 10}, {"gkml", 10}, {"gkmlpt", 10},
};
// Link texts that look like the above and are something else: the guide, the rules, plans,
// yearbooks; and a report's companions (a picture version, an explanation, a notice).
constexpr std::string_view kDecoyTexts[] = {
    "指南", "制度", "规定", "办法", "工作计划", "工作要点", "年鉴",
    "统计", "申请", "图解", "解读", "通知",     "意见",     "目录编制",
};
// Texts of a column page's link to its next list page.
constexpr std::string_view kNextPageTexts[] = {"下一页", "下页", "后一页"};

// CMS signatures, most specific first: the first matching row names the CMS of a column page.
struct Signature {
  std::string_view cms;
  bool preset;               // the list needs the preset of that name (when this build has it)
  bool on_url;               // matched against the URL, else against the HTML
  std::string_view pattern;  // RE2
  std::string_view why;
};
constexpr Signature kSignatures[] = {
    {"gkmlpt", true, true, R"(/gkmlpt/)", "a /gkmlpt/ URL (Guangdong's disclosure platform)"},
    {"gkmlpt", true, false, R"(_CONFIG\s*=|gkmlpt)", "gkmlpt's _CONFIG script"},
    {"jpaas", true, false, R"(jpaas|paramJson)", "Hanweb JPaaS's paramJson list call"},
    {"trs-search", true, false, R"(classsql|chnlid=)", "TRS's search API call (classsql)"},
    {"hanweb", true, false, R"(<datastore>|/module/web/jpage/)",
     "Hanweb's jpage datastore and dataproxy"},
    {"hanweb", false, true, R"(/col/col\d+/)", "a Hanweb /col/colNNN/ URL with a static list"},
    {"trs", true, false, R"(createPageHTML\s*\(|var\s+countPage\s*=)", "TRS's pager script"},
    {"trs", true, true, R"(\.shtml$|/t\d{8}_\d+\.)", "TRS's .shtml or tYYYYMMDD_N URLs"},
};

// A four-digit year in a text: a link to one year's report or sub-column, not the column.
const RE2& YearPattern() {
  static const auto* const kYear = new RE2(R"((19|20)\d\d)");
  return *kYear;
}

// A report's title as the written sources match it: a year, then 年度报告 or 年报.
const RE2& ReportTitlePattern() {
  static const auto* const kTitle = new RE2(R"((19|20)\d\d.*(年度?报告|年报))");
  return *kTitle;
}

// Whether a page links reports itself (a list, not a shell in front of one).
bool ListsReports(const std::vector<Link>& links) {
  return std::any_of(links.begin(), links.end(),
                     [](const Link& l) { return RE2::PartialMatch(l.text, ReportTitlePattern()); });
}

// The first row whose needle `haystack` contains, or nullptr.
template <size_t N>
const Hint* FirstHint(const Hint (&table)[N], std::string_view haystack) {
  for (const Hint& h : table) {
    if (haystack.find(h.needle) != std::string_view::npos) return &h;
  }
  return nullptr;
}

std::string LowerPath(const std::string& url) {
  std::string path = PathAndQuery(url);
  path = path.substr(0, path.find('?'));
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return path;
}

std::string HostOnly(const std::string& url) {
  std::string key = HostKey(url);
  if (!key.empty() && key.front() == '[') return key.substr(0, key.find(']') + 1);
  return key.substr(0, key.rfind(':') == std::string::npos ? key.size() : key.rfind(':'));
}

bool IsIpv4(const std::string& host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

std::string Trimmed(std::string_view text) {
  const size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

// A TOML basic string of `text` (escapes quotes, backslashes and control characters).
std::string TomlString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// The walk

struct Walk : std::enable_shared_from_this<Walk> {
  std::string start;
  DiscoveryOptions options;
  GetPage get;
  GetApi get_api;
  std::function<void(DiscoveryResult)> done;
  DiscoveryResult result;
  std::set<std::string> asked;
  struct Candidate {
    Link link;
    std::string via;
    LinkJudgement judgement;
  };
  std::vector<Candidate> columns;  // to confirm, best first

  // Fetches `url`, following redirects within the portal the crawler did not follow (another
  // host of the same portal); `then` gets the final answer.
  void Fetch(const std::string& url, int hops, std::function<void(PageRead)> then) {
    if (static_cast<int>(result.visited.size()) >= options.max_pages) {
      PageRead none;
      none.res.url = url;
      none.res.error = FetchError::kInternal;
      none.res.error_message = "page limit of the discovery reached";
      then(std::move(none));
      return;
    }
    result.visited.push_back(url);
    auto self = shared_from_this();
    get(url, [self, hops, then = std::move(then)](PageRead page) mutable {
      const FetchResult& res = page.res;
      const bool redirect = res.error == FetchError::kNone && res.status >= 300 &&
                            res.status < 400 && !res.Header("location").empty();
      if (redirect && hops < 5) {
        std::string next =
            ResolveUrl(res.final_url.empty() ? res.url : res.final_url, res.Header("location"));
        if (!next.empty() && SamePortal(self->start, next)) {
          self->Fetch(next, hops + 1, std::move(then));
          return;
        }
      }
      then(std::move(page));
    });
  }

  static std::string Failure(const FetchResult& res) {
    if (res.error != FetchError::kNone) {
      return res.error == FetchError::kInternal ? res.error_message
                                                : std::string(FetchErrorName(res.error));
    }
    return "HTTP " + std::to_string(res.status);
  }

  // Reads a page of the walk at `level`: its columns, or the 政府信息公开 pages to try next.
  void Level(std::vector<std::string> pages, int level) {
    if (pages.empty()) {
      Finish();
      return;
    }
    struct Gathered {
      std::vector<Candidate> columns;
      std::vector<Candidate> disclosure;
      size_t remaining;
      std::string first_error;
    };
    auto g = std::make_shared<Gathered>();
    g->remaining = pages.size();
    auto self = shared_from_this();
    for (const std::string& page : pages) {
      Fetch(page, 0, [self, g, level, page](PageRead read) {
        const FetchResult& res = read.res;
        if (res.error != FetchError::kNone || res.status != 200) {
          if (g->first_error.empty()) g->first_error = page + ": " + Failure(res);
        } else {
          const std::string base = res.final_url.empty() ? page : res.final_url;
          for (Link& l : read.links) {
            if (!SamePortal(self->start, l.url) || self->asked.count(l.url) > 0) continue;
            LinkJudgement j = JudgeDiscoveryLink(l);
            if (j.column > 0) {
              g->columns.push_back({std::move(l), base, std::move(j)});
            } else if (j.disclosure > 0) {
              g->disclosure.push_back({std::move(l), base, std::move(j)});
            }
          }
        }
        if (--g->remaining > 0) return;
        self->OnLevel(std::move(g->columns), std::move(g->disclosure), level, g->first_error);
      });
    }
  }

  void OnLevel(std::vector<Candidate> found, std::vector<Candidate> disclosure, int level,
               const std::string& error) {
    if (level == 0 && !error.empty() && found.empty() && disclosure.empty()) {
      result.error = "the start page failed: " + error;
      Finish();
      return;
    }
    const auto by_score = [](const Candidate& a, const Candidate& b) {
      return a.judgement.column != b.judgement.column
                 ? a.judgement.column > b.judgement.column
                 : a.judgement.disclosure > b.judgement.disclosure;
    };
    std::stable_sort(found.begin(), found.end(), by_score);
    // The best-scored links, and every link naming a column in full (a 政府信息公开 page
    // lists its departments' and towns' columns side by side): a weaker "年报" elsewhere on
    // the same page is a report or a news item.
    for (Candidate& c : found) {
      if (c.judgement.column < found.front().judgement.column && !c.judgement.full_name) continue;
      if (!asked.insert(c.link.url).second) continue;
      columns.push_back(std::move(c));
    }
    if (!columns.empty()) {
      Confirm(0);
      return;
    }
    if (level >= options.max_levels) {
      Finish();
      return;
    }
    std::stable_sort(disclosure.begin(), disclosure.end(),
                     [](const Candidate& a, const Candidate& b) {
                       return a.judgement.disclosure > b.judgement.disclosure;
                     });
    std::vector<std::string> next;
    for (const Candidate& c : disclosure) {
      if (static_cast<int>(next.size()) >= options.max_branch) break;
      if (asked.insert(c.link.url).second) next.push_back(c.link.url);
    }
    Level(std::move(next), level + 1);
  }

  // Fetches the i-th candidate column: a 200 confirms it and shows its CMS.
  void Confirm(size_t i) {
    if (i >= columns.size() || static_cast<int>(result.columns.size()) >= options.max_columns) {
      Finish();
      return;
    }
    auto self = shared_from_this();
    Fetch(columns[i].link.url, 0, [self, i](PageRead read) {
      const FetchResult& res = read.res;
      const Candidate& c = self->columns[i];
      if (res.error == FetchError::kNone && !read.gateway.empty()) {
        // Answered by a gateway no crawler passes: written down, never crawled.
        FoundColumn col;
        col.url = res.final_url.empty() ? c.link.url : res.final_url;
        col.link_text = c.link.text;
        col.via = c.via;
        col.why = c.judgement.why;
        col.cms = {"", "",
                   std::string(kBlockedByGateway) + " (HTTP " + std::to_string(res.status) + ", " +
                       read.gateway + ")"};
        self->result.blocked.push_back(std::move(col));
      } else if (res.error == FetchError::kNone && res.status == 200) {
        FoundColumn col;
        col.url = res.final_url.empty() ? c.link.url : res.final_url;
        col.link_text = c.link.text;
        col.via = c.via;
        col.why = c.judgement.why;
        Recognise(read, &col);
        // A shell (an iframe, a refresh, a script redirect) in front of the list: its CMS is
        // the list's. Read once, through the shell, as the crawl will.
        std::vector<std::string> shell;
        if (col.cms.cms.empty() && !ListsReports(read.links)) {
          shell = FindShellTargets(read.text, col.url, 1);
        }
        if (!shell.empty() && SamePortal(self->start, shell.front())) {
          self->ThroughShell(i, std::move(col), shell.front());
          return;
        }
        if (self->Accept(i, std::move(col), read.text)) return;
      } else if (self->result.error.empty()) {
        self->result.error = "column " + c.link.url + ": " + Failure(res);
      }
      self->Confirm(i + 1);
    });
  }

  // The CMS of a column page, and its next-page link text.
  static void Recognise(const PageRead& read, FoundColumn* col) {
    col->cms = RecogniseCms(read.text, read.res.final_url.empty() ? col->url : read.res.final_url);
    col->next_page_text.clear();
    for (const Link& l : read.links) {
      const std::string t = Trimmed(l.text);
      const auto* next = std::find(std::begin(kNextPageTexts), std::end(kNextPageTexts), t);
      if (next != std::end(kNextPageTexts)) {
        col->next_page_text = std::string(*next);
        break;
      }
    }
  }

  // Keeps a confirmed column (unless already found) and goes on with the candidate after
  // `i`; a plain column whose script fetches its list first asks that list (InferList).
  // Returns true when the walk goes on elsewhere (the caller must not continue it).
  bool Accept(size_t i, FoundColumn col, const std::string& text) {
    const bool dup = std::any_of(result.columns.begin(), result.columns.end(),
                                 [&](const FoundColumn& f) { return f.url == col.url; });
    if (dup) return false;
    std::optional<ScriptListCall> call;
    if (col.cms.preset.empty() && get_api) call = FindScriptListCall(text);
    result.columns.push_back(std::move(col));
    if (!call) return false;
    InferList(result.columns.size() - 1, *call, i);
    return true;
  }

  // Reads the list behind the shell `col` is: when the list needs a preset, the list is the
  // entry (a preset reads its parameters from the page it is given); otherwise the shell
  // stays the entry, and the crawl follows it.
  void ThroughShell(size_t i, FoundColumn col, const std::string& target) {
    auto self = shared_from_this();
    Fetch(target, 0, [self, i, col = std::move(col), target](PageRead read) mutable {
      const FetchResult& res = read.res;
      std::string text;
      if (res.error == FetchError::kNone && res.status == 200 && read.gateway.empty()) {
        FoundColumn list = col;
        list.url = res.final_url.empty() ? target : res.final_url;
        Recognise(read, &list);
        if (!list.cms.preset.empty()) {
          list.cms.why += " (behind the shell " + col.url + ")";
          col = std::move(list);
        } else {
          col.cms.why =
              "a shell in front of " + list.url + ", which the crawl follows; " + list.cms.why;
          col.next_page_text = list.next_page_text;
        }
        text = std::move(read.text);
      }
      if (!self->Accept(i, std::move(col), text)) self->Confirm(i + 1);
    });
  }

  // Asks page 1 of the list call the script of column `at` makes and infers the template
  // that reads it; then confirms the candidate after `i`.
  void InferList(size_t at, const ScriptListCall& call, size_t i) {
    FoundColumn& col = result.columns[at];
    std::string first = call.url;
    first.replace(first.find("{page}"), 6, "1");
    const std::string url = ResolveUrl(col.url, first);
    col.list_why = "the page's script asks " + call.url;
    if (url.empty() || !SamePortal(start, url) ||
        static_cast<int>(result.visited.size()) >= options.max_pages) {
      col.list_why += " (not asked: another portal's, or the page limit reached)";
      Confirm(i + 1);
      return;
    }
    result.visited.push_back(url);
    auto self = shared_from_this();
    const std::string referer = col.url;  // `col` may move once the answer is in
    get_api(url, referer, [self, at, call, i](FetchResult res) {
      FoundColumn& c = self->result.columns[at];
      if (res.error != FetchError::kNone || res.status != 200) {
        c.list_why += "; page 1 answered " + Failure(res);
      } else {
        InferredList inferred = InferJsonList(res.body);
        if (!inferred.error.empty()) {
          c.list_why += "; page 1's answer: " + inferred.error;
        } else {
          inferred.list.url = call.url;
          inferred.list.first_page = 1;
          c.list_why += "; page 1 answered " + inferred.list.answer + " with its records at \"" +
                        inferred.list.records + "\"";
          c.list = std::move(inferred.list);
        }
      }
      self->Confirm(i + 1);
    });
  }

  void Finish() {
    if (!result.columns.empty()) {
      result.error.clear();
    } else if (!result.blocked.empty()) {
      result.error = "every column found is behind an anti-bot gateway (" +
                     std::string(kBlockedByGateway) + ")";
    } else if (result.error.empty()) {
      result.error = "no annual-report column linked within " + std::to_string(options.max_levels) +
                     " levels (" + std::to_string(result.visited.size()) + " pages read)";
    }
    auto cb = std::move(done);
    cb(std::move(result));
  }
};

}  // namespace

LinkJudgement JudgeDiscoveryLink(const Link& link) {
  LinkJudgement j;
  const std::string text = Trimmed(link.text);
  for (std::string_view decoy : kDecoyTexts) {
    if (text.find(decoy) != std::string::npos) return j;
  }
  const std::string path = LowerPath(link.url);
  // A dated text is one year's report (or a news item), never the column nor the page above
  // it, whatever its URL.
  if (RE2::PartialMatch(text, YearPattern())) return j;
  const Hint* text_hit = FirstHint(kColumnTexts, text);
  const Hint* slug_hit = FirstHint(kColumnSlugs, path);
  if (text_hit != nullptr || slug_hit != nullptr) {
    j.column = (text_hit ? text_hit->weight : 0) + (slug_hit ? slug_hit->weight : 0);
    j.full_name = text_hit != nullptr && text_hit->weight >= kFullNameWeight;
    if (text_hit) j.why += "text \"" + std::string(text_hit->needle) + "\"";
    if (slug_hit)
      j.why += std::string(j.why.empty() ? "" : ", ") + "URL slug \"" +
               std::string(slug_hit->needle) + "\"";
    return j;
  }
  const Hint* d_text = FirstHint(kDisclosureTexts, text);
  const Hint* d_slug = FirstHint(kDisclosureSlugs, path);
  if (d_text != nullptr) j.disclosure = d_text->weight + (d_slug ? d_slug->weight : 0);
  return j;
}

bool SamePortal(const std::string& start, const std::string& url) {
  if (HostKey(start) == HostKey(url)) return true;
  const std::string a = HostOnly(start), b = HostOnly(url);
  if (a.empty() || b.empty() || IsIpv4(a) || a.front() == '[') return false;
  const std::string domain = a.rfind("www.", 0) == 0 ? a.substr(4) : a;
  return b == domain || (b.size() > domain.size() &&
                         b.compare(b.size() - domain.size(), domain.size(), domain) == 0 &&
                         b[b.size() - domain.size() - 1] == '.');
}

CmsGuess RecogniseCms(std::string_view html, std::string_view url) {
  for (const Signature& s : kSignatures) {
    const RE2 re(s.pattern);
    if (!RE2::PartialMatch(s.on_url ? url : html, re)) continue;
    CmsGuess g;
    g.cms = std::string(s.cms);
    g.why = std::string(s.why);
    if (s.preset && FindListPreset(s.cms) != nullptr) g.preset = g.cms;
    return g;
  }
  return {"", "", "no CMS signature: a plain HTML list"};
}

PageRead ReadPage(FetchResult res, const DecodePage& decode) {
  PageRead out;
  if (res.error == FetchError::kNone)
    out.gateway = std::string(GatewayChallenge(res.status, res.body));
  if (res.error == FetchError::kNone && res.status == 200 && out.gateway.empty()) {
    out.text = decode(res.body, res.Header("content-type"));
    out.links = ExtractLinks(out.text, res.final_url.empty() ? res.url : res.final_url);
    res.body.clear();  // read: the text is what the walk needs
  }
  out.res = std::move(res);
  return out;
}

void Discover(const std::string& start, const DiscoveryOptions& options, GetPage get,
              std::function<void(DiscoveryResult)> done, GetApi get_api) {
  auto walk = std::make_shared<Walk>();
  walk->start = start;
  walk->options = options;
  walk->get = std::move(get);
  walk->get_api = std::move(get_api);
  walk->done = std::move(done);
  walk->result.start = start;
  walk->asked.insert(start);
  // The start page may itself be the column (someone gave the column's URL).
  const Link self{start, ""};
  if (LinkJudgement j = JudgeDiscoveryLink(self); j.column > 0) {
    walk->columns.push_back({self, "", std::move(j)});
    walk->Confirm(0);
    return;
  }
  walk->Level({start}, 0);
}

std::string SourceNameFor(const std::string& url) {
  std::string key = HostKey(url);
  if (key.rfind("www.", 0) == 0) key = key.substr(4);
  std::string out;
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == '.' || c == '-' || c == '_') {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  return out.empty() ? "portal" : out;
}

namespace {

// `comment` as "# " lines, then where the column was found.
std::string Heading(const FoundColumn& column, const std::string& comment) {
  std::string out;
  size_t pos = 0;
  while (pos < comment.size()) {
    const size_t nl = comment.find('\n', pos);
    out +=
        "# " + comment.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
    pos = nl == std::string::npos ? comment.size() : nl + 1;
  }
  if (!column.via.empty()) {
    out += "# found on " + column.via + " as " + TomlString(Trimmed(column.link_text)) + " (" +
           column.why + ")\n";
  }
  return out;
}

}  // namespace

std::string BlockedToml(const FoundColumn& column, const std::string& name,
                        const std::string& comment) {
  std::string out = Heading(column, comment);
  out += "# NOT CRAWLABLE: " + column.url + ": " + column.cms.why +
         ": the portal's anti-bot gateway refuses clients that do not run its script\n";
  out += "# [[source]]\n# name = " + TomlString(name) + "\n# entry = [" + TomlString(column.url) +
         "]\n";
  return out;
}

std::string SourceToml(const FoundColumn& column, const std::string& name,
                       const std::string& comment) {
  std::string out = Heading(column, comment);
  out += "# CMS: " + (column.cms.cms.empty() ? std::string("none recognised") : column.cms.cms) +
         " (" + column.cms.why + ")\n";
  out += "[[source]]\n";
  out += "name = " + TomlString(name) + "\n";
  out += "entry = [" + TomlString(column.url) + "]\n";
  // A report's title names its year; the column's own name ("政府信息公开年报", linked from
  // every page of the column) does not.
  out += "report_text = '(19|20)\\d\\d.*(年度?报告|年报)'\n";
  out += "exclude_text = '图解|解读|要点|通知|指南|制度|计划'  # look-alikes in the same list\n";
  if (!column.next_page_text.empty()) {
    out += "next_page_text = " + TomlString(column.next_page_text) + "\n";
  }
  if (!column.cms.preset.empty()) out += "cms = " + TomlString(column.cms.preset) + "\n";
  if (column.list) {
    // A table ends the source's own keys: it comes last.
    const ListTemplate& t = *column.list;
    const ListTemplate plain;
    out += "# its list: " + column.list_why + "\n";
    out += "[source.list]\n";
    out += "url = " + TomlString(t.url) + "\n";
    if (t.first_page != plain.first_page) {
      out += "first_page = " + std::to_string(t.first_page) + "\n";
    }
    out += "answer = " + TomlString(t.answer) + "\n";
    if (!t.callback.empty()) out += "callback = " + TomlString(t.callback) + "\n";
    out += "records = " + TomlString(t.records) + "\n";
    out += "url_field = " + TomlString(t.url_field) + "\n";
    out += "title_field = " + TomlString(t.title_field) + "\n";
    if (!t.date_field.empty()) out += "date_field = " + TomlString(t.date_field) + "\n";
    if (!t.total_field.empty()) out += "total_field = " + TomlString(t.total_field) + "\n";
  } else if (!column.list_why.empty()) {
    out += "# its list is fed by a script: " + column.list_why +
           "; write its [source.list] template (docs/sources.md, \"List templates\")\n";
  }
  return out;
}

}  // namespace nianbao::crawler
