// nianbao's version: what --version prints and what the archive's warcinfo records name.
// Plain constant. Threading: none.
#pragma once

#include <string_view>

namespace nianbao {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace nianbao
