// Facts read from the prose of section 一 (总体情况), and the rules that compare prose with
// itself: narrative.parts_sum and narrative.conflict.
//
// Prose is free text, so every pattern here is deliberately narrow: a fact that is not
// stated in one of the forms below stays null, and a rule fires only on numbers whose
// meaning is unambiguous (a wrong alert costs a person's time). Patterns are RE2 (linear
// time on hostile input), compiled once per process.
//
// Pure. Threading: safe from any thread (RE2 objects are immutable after construction).
#pragma once

#include <string_view>
#include <vector>

#include "parser/record.h"

namespace nianbao::parser {

struct NarrativeFacts {
  Narrative values;
  bool claims_no_reviews = false;  // "未收到…行政复议或行政诉讼"
  std::vector<Finding> findings;   // narrative.parts_sum, narrative.conflict
};

// overview: the prose of section 一, one paragraph per line.
NarrativeFacts ReadNarrative(std::string_view overview);

}  // namespace nianbao::parser
