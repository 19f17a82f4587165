// Near misses of a known name: the setting an unknown key was probably meant to be, for the
// "did you mean ...?" hints of the sources file (crawler/sources.cc) and the daemon's config
// (app/config.cc), so that both files answer a typo the same way.
//
// Plain functions; no state. Threading: safe from any thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace nianbao {

// Edit distance (insertions, deletions, substitutions) between two byte strings.
inline size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known name that `key` is a near miss of ("report_txt", "intervall"), or "". Short keys
// need a closer match, so that "extra" is not taken for "entry".
inline std::string_view NearestKey(std::string_view key,
                                   const std::vector<std::string_view>& known) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view candidate : known) {
    const size_t d = EditDistance(key, candidate);
    if (d < best_distance && 3 * d <= key.size()) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace nianbao
