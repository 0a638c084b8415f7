#include "queue/retry_policy.h"

#include <gtest/gtest.h>

namespace cancelflow::queue {
namespace {

TEST(RetryPolicy, BackoffDoublesUpToFiveMinutes) {
  RetryPolicy p;
  EXPECT_EQ(p.BaseBackoff(1), Millis(1000));
  EXPECT_EQ(p.BaseBackoff(2), Millis(2000));
  EXPECT_EQ(p.BaseBackoff(3), Millis(4000));
  EXPECT_EQ(p.BaseBackoff(9), Millis(256'000));
  EXPECT_EQ(p.BaseBackoff(10), Millis(300'000));  // 512 s capped
  EXPECT_EQ(p.BaseBackoff(1000), Millis(300'000));  // no overflow
}

TEST(RetryPolicy, JitterStaysWithinTwentyPercent) {
  RetryPolicy p;
  EXPECT_EQ(p.Backoff(3, 0.5), Millis(4000));
  EXPECT_EQ(p.Backoff(3, 0.0), Millis(3200));
  EXPECT_EQ(p.Backoff(3, 0.999999), Millis(4800));
  EXPECT_EQ(p.Backoff(20, 0.0), Millis(240'000));
}

TEST(RetryPolicy, IsConfigurable) {
  RetryPolicy p{.max_attempts = 5, .initial_backoff = Millis(100), .max_backoff = Millis(1000), .jitter = 0};
  EXPECT_EQ(p.Backoff(1, 0.9), Millis(100));
  EXPECT_EQ(p.Backoff(4, 0.9), Millis(800));
  EXPECT_EQ(p.Backoff(5, 0.9), Millis(1000));
}

}  // namespace
}  // namespace cancelflow::queue
