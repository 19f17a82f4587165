// A ReportHistory in memory for the ingest tests: the rules of crawler::StateStore's (its own
// tests check the real one) without a database. Loop thread only, like the real one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/history.h"

namespace nianbao::testing {

class MemoryHistory final : public ReportHistory {
 public:
  using Key = std::tuple<std::string, std::string, int>;  // source, organization key, year

  Result<std::optional<YearEntry>> GetYear(const std::string& source, const std::string& key,
                                           int year) override {
    auto it = years.find({source, key, year});
    if (it == years.end()) return std::optional<YearEntry>();
    return std::optional<YearEntry>(it->second);
  }
  Result<std::vector<YearEntry>> YearsOf(const std::string& source) override {
    std::vector<YearEntry> out;
    for (const auto& [k, e] : years) {
      if (std::get<0>(k) == source) out.push_back(e);
    }
    return out;
  }
  Status PutYear(const YearEntry& e, bool found_late) override {
    years[{e.source, e.organization_key, e.year}] = e;
    if (found_late) {
      if (auto it = missing.find({e.source, e.organization_key, e.year}); it != missing.end()) {
        it->second.found_late = true;
      }
    }
    return Status::Ok();
  }
  Result<std::optional<MissingReport>> GetMissing(const std::string& source, const std::string& key,
                                                  int year) override {
    auto it = missing.find({source, key, year});
    if (it == missing.end()) return std::optional<MissingReport>();
    return std::optional<MissingReport>(it->second);
  }
  Result<std::vector<MissingReport>> MissingOf(const std::string& source) override {
    std::vector<MissingReport> out;
    for (const auto& [k, m] : missing) {
      if (std::get<0>(k) == source) out.push_back(m);
    }
    return out;
  }
  Status PutMissing(const MissingReport& m) override {
    missing[{m.source, m.organization_key, m.year}] = m;
    return Status::Ok();
  }
  Result<int64_t> WatchedSince(const std::string& source, int64_t now) override {
    return watched.try_emplace(source, now).first->second;
  }

  std::map<Key, YearEntry> years;
  std::map<Key, MissingReport> missing;
  std::map<std::string, int64_t> watched;
};

}  // namespace nianbao::testing
