#include "ingest/missing_reports.h"

#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "parser/history.h"
#include "parser/rules.h"

namespace nianbao::ingest {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::chrono::hours kChinaOffset{8};

sys_days ChinaDay(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<days>(t + kChinaOffset);
}

// "YYYY-MM-DD" (DeadlineOf's form) to a day; false on anything else.
bool ParseDay(const std::string& text, sys_days* out) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) return false;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return false;
  *out = sys_days(ymd);
  return true;
}

std::string Format(sys_days day) {
  std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

std::string ChinaDate(std::chrono::system_clock::time_point t) { return Format(ChinaDay(t)); }

std::vector<MissingReport> DueMissing(const std::vector<YearEntry>& years,
                                      const std::vector<MissingReport>& known,
                                      std::chrono::system_clock::time_point today,
                                      int64_t watched_since, const MissingPolicy& policy) {
  std::set<std::pair<std::string, int>> have;
  for (const auto& e : years) have.emplace(e.organization_key, e.year);
  std::set<std::pair<std::string, int>> sent;
  for (const auto& m : known) {
    if (m.sent) sent.emplace(m.organization_key, m.year);
  }
  const sys_days now = ChinaDay(today);
  const sys_days watched = ChinaDay(std::chrono::system_clock::from_time_t(watched_since));
  std::vector<MissingReport> out;
  for (const auto& e : years) {
    const int year = e.year + 1;
    if (e.organization_key.empty() || have.count({e.organization_key, year}) != 0) continue;
    if (sent.count({e.organization_key, year}) != 0) continue;
    std::string organization = e.organization_key;
    if (auto parsed = nlohmann::json::parse(e.summary, nullptr, false); !parsed.is_discarded()) {
      if (auto summary = parser::YearSummaryFromJson(parsed);
          summary.ok() && summary.value().organization) {
        organization = *summary.value().organization;
      }
    }
    const std::string deadline = parser::DeadlineOf(organization, year).date;
    sys_days due;
    if (!ParseDay(deadline, &due)) continue;
    due += days(policy.grace_days);
    if (now <= due) continue;
    // Past due before the daemon watched: it was missing before we could see it arrive.
    if (!policy.before_watch && due < watched) continue;
    MissingReport m;
    m.source = e.source;
    m.organization_key = e.organization_key;
    m.organization = organization;
    m.year = year;
    m.deadline = deadline;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace nianbao::ingest
