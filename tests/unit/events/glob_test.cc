#include "events/glob.h"

#include <gtest/gtest.h>

namespace cancelflow::events {
namespace {

TEST(Glob, StarMatchesAnyRunIncludingDots) {
  EXPECT_TRUE(GlobMatch("cancellation.*", "cancellation.completed"));
  EXPECT_TRUE(GlobMatch("cancellation.*", "cancellation."));
  EXPECT_FALSE(GlobMatch("cancellation.*", "cancellation"));
  EXPECT_FALSE(GlobMatch("cancellation.*", "job.completed"));
  EXPECT_TRUE(GlobMatch("*", "anything.at.all"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*.completed", "job.completed"));
  EXPECT_TRUE(GlobMatch("*.completed", "workflow.step.completed"));
  EXPECT_FALSE(GlobMatch("*.completed", "job.completed.late"));
  EXPECT_TRUE(GlobMatch("job.*ed", "job.started"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
}

TEST(Glob, ExactAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("job.failed", "job.failed"));
  EXPECT_FALSE(GlobMatch("job.failed", "job.faile"));
  EXPECT_TRUE(GlobMatch("job.?ailed", "job.failed"));
  EXPECT_FALSE(GlobMatch("job.?", "job."));
}

}  // namespace
}  // namespace cancelflow::events
