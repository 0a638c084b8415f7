#include "core/ids.h"

#include <set>

#include <gtest/gtest.h>

#include "core/fake_clock.h"

namespace cancelflow {
namespace {

TEST(Ids, HavePrefixAndFixedLength) {
  const std::string id = NewId("job");
  EXPECT_EQ(id.substr(0, 4), "job_");
  EXPECT_EQ(id.size(), 4u + 26u);
  EXPECT_TRUE(IsValidId(id, "job"));
  EXPECT_FALSE(IsValidId(id, "req"));
  EXPECT_FALSE(IsValidId("job_short", "job"));
}

TEST(Ids, SortByCreationTime) {
  FakeClock clock;
  const std::string a = NewId("req", clock.Now());
  clock.Advance(Millis(1));
  const std::string b = NewId("req", clock.Now());
  clock.Advance(Millis(86'400'000));
  const std::string c = NewId("req", clock.Now());
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(Ids, AreUnique) {
  std::set<std::string> seen;
  const TimePoint now = SystemClock::Get().Now();
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(seen.insert(NewId("job", now)).second);
}

TEST(Clock, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(1'796'396'400'123)), "2026-12-04T15:00:00.123Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace cancelflow
