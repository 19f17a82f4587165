// Retry-After as the crawler's retries and the alert targets read it (base/retry_after.h).
#include "base/retry_after.h"

#include <gtest/gtest.h>

namespace nianbao {
namespace {

// 2026-11-06 08:49:37 UTC.
constexpr std::time_t kNow = 1793954977;

TEST(RetryAfterTest, DeltaSecondsAreReadAsGiven) {
  EXPECT_EQ(RetryAfterSeconds("120", kNow), 120.0);
  EXPECT_EQ(RetryAfterSeconds("0", kNow), 0.0);
}

TEST(RetryAfterTest, AnHttpDateIsTheTimeLeftUntilIt) {
  // Two minutes after kNow, in each of the three formats HTTP allows.
  EXPECT_EQ(RetryAfterSeconds("Fri, 06 Nov 2026 08:51:37 GMT", kNow), 120.0);
  EXPECT_EQ(RetryAfterSeconds("Friday, 06-Nov-26 08:51:37 GMT", kNow), 120.0);
  EXPECT_EQ(RetryAfterSeconds("Fri Nov  6 08:51:37 2026", kNow), 120.0);
}

TEST(RetryAfterTest, ADateInThePastIsNoWait) {
  EXPECT_EQ(RetryAfterSeconds("Thu, 01 Jan 2026 00:00:00 GMT", kNow), 0.0);
}

TEST(RetryAfterTest, AbsentOrUnreadableIsNone) {
  EXPECT_FALSE(RetryAfterSeconds("", kNow).has_value());
  EXPECT_FALSE(RetryAfterSeconds("-5", kNow).has_value());
  EXPECT_FALSE(RetryAfterSeconds("soon", kNow).has_value());
}

}  // namespace
}  // namespace nianbao
