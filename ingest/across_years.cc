#include "ingest/across_years.h"

#include <nlohmann/json.hpp>

namespace nianbao::ingest {

std::string AliasedKey(const std::string& key, const std::map<std::string, std::string>& aliases) {
  for (const auto& [from, to] : aliases) {
    if (parser::OrganizationKey(from) == key) return parser::OrganizationKey(to);
  }
  return key;
}

std::optional<parser::YearSummary> StoredSummary(const YearEntry& entry) {
  auto json = nlohmann::json::parse(entry.summary, nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  auto summary = parser::YearSummaryFromJson(json);
  if (!summary.ok()) return std::nullopt;
  summary.value().organization_key = entry.organization_key;
  return std::move(summary).value();
}

Result<std::vector<parser::Finding>> AgainstYearBefore(ReportHistory& history,
                                                       const std::string& source,
                                                       const parser::YearSummary& summary,
                                                       const std::string& report_id) {
  std::vector<parser::Finding> out;
  if (summary.organization_key.empty() || !summary.year) return out;
  auto previous = history.GetYear(source, summary.organization_key, *summary.year - 1);
  if (!previous.ok()) return previous.status();
  if (!previous.value() || previous.value()->report_id == report_id) return out;
  if (auto last = StoredSummary(*previous.value())) out = parser::CheckAcrossYears(*last, summary);
  return out;
}

}  // namespace nianbao::ingest
