#include "realtime/hub.h"

#include <gtest/gtest.h>

#include "core/fake_clock.h"

namespace cancelflow::realtime {
namespace {

// A sink that records chunks; `capacity` chunks, then it refuses (a slow reader).
class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(size_t capacity = 1000) : capacity_(capacity) {}
  bool Send(std::shared_ptr<const std::string> chunk) override {
    if (closed || chunks.size() >= capacity_) return false;
    chunks.push_back(*chunk);
    return true;
  }
  void Close() override { closed = true; }

  std::vector<std::string> chunks;
  bool closed = false;

 private:
  size_t capacity_;
};

class HubTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Hub hub_{{.keepalive_interval = Millis(1000),
            .idle_timeout = Millis(60'000),
            .max_connections_per_user = 3},
           clock_};
};

TEST_F(HubTest, EveryStreamOfTheUserGetsEachNotificationOnce) {
  auto a = std::make_shared<RecordingSink>(), b = std::make_shared<RecordingSink>(),
       other = std::make_shared<RecordingSink>();
  auto s1 = hub_.Reserve("u1", 0), s2 = hub_.Reserve("u1", 0), s3 = hub_.Reserve("u2", 0);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  hub_.Activate(*s1, 0, a);
  hub_.Activate(*s2, 0, b);
  hub_.Activate(*s3, 0, other);
  hub_.Publish("u1", 1, R"({"n":1})");
  hub_.Publish("u1", 2, R"({"n":2})");
  EXPECT_EQ(a->chunks,
            (std::vector<std::string>{"id: 1\ndata: {\"n\":1}\n\n", "id: 2\ndata: {\"n\":2}\n\n"}));
  EXPECT_EQ(b->chunks, a->chunks);
  EXPECT_TRUE(other->chunks.empty());
  hub_.Publish("u1", 2, R"({"n":2})");  // a repeat is not sent again
  EXPECT_EQ(a->chunks.size(), 2u);
  EXPECT_EQ(hub_.Stats().connections, 3);
  EXPECT_EQ(hub_.Stats().sent_last_minute, 4);
  EXPECT_EQ(hub_.LastDelivered("u1"), 2);
}

TEST_F(HubTest, AReservedStreamKeepsWhatArrivesDuringItsReplayWithoutDuplicates) {
  auto stream = hub_.Reserve("u1", 5);  // the client has seen 5
  ASSERT_TRUE(stream.ok());
  hub_.Publish("u1", 6, "{}");  // published while history is being read…
  hub_.Publish("u1", 7, "{}");
  auto sink = std::make_shared<RecordingSink>();
  hub_.Activate(*stream, 6, sink);  // …and the replay happened to include 6
  ASSERT_EQ(sink->chunks.size(), 1u);
  EXPECT_EQ(sink->chunks[0].rfind("id: 7\n", 0), 0u);
  hub_.Publish("u1", 8, "{}");
  EXPECT_EQ(sink->chunks.size(), 2u);
}

TEST_F(HubTest, RefusesStreamsOverThePerUserLimitAndFreesSlotsOnRemove) {
  std::vector<std::shared_ptr<Hub::Stream>> streams;
  for (int i = 0; i < 3; ++i) streams.push_back(*hub_.Reserve("u1", 0));
  auto fourth = hub_.Reserve("u1", 0);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(hub_.Reserve("u2", 0).ok());  // others are not affected
  hub_.Remove(streams[0]);
  hub_.Remove(streams[0]);  // twice is harmless
  EXPECT_TRUE(hub_.Reserve("u1", 0).ok());
}

TEST_F(HubTest, ASlowReaderIsClosedWithoutHoldingBackTheOthers) {
  auto slow = std::make_shared<RecordingSink>(1), fast = std::make_shared<RecordingSink>();
  auto s1 = hub_.Reserve("u1", 0), s2 = hub_.Reserve("u1", 0);
  hub_.Activate(*s1, 0, slow);
  hub_.Activate(*s2, 0, fast);
  for (int i = 1; i <= 3; ++i) hub_.Publish("u1", i, "{}");
  EXPECT_TRUE(slow->closed);
  EXPECT_EQ(slow->chunks.size(), 1u);
  EXPECT_EQ(fast->chunks.size(), 3u);
  EXPECT_EQ(hub_.Stats().dropped_slow_consumers, 1);
}

TEST_F(HubTest, SweepSendsKeepalivesAndClosesIdleStreams) {
  auto sink = std::make_shared<RecordingSink>();
  auto s = hub_.Reserve("u1", 0);
  hub_.Activate(*s, 0, sink);
  hub_.Sweep();
  ASSERT_EQ(sink->chunks.size(), 1u);
  EXPECT_EQ(sink->chunks[0], ": keepalive\n\n");
  clock_.Advance(Millis(59'000));
  hub_.Publish("u1", 1, "{}");  // activity resets the idle clock
  clock_.Advance(Millis(59'000));
  hub_.Sweep();
  EXPECT_FALSE(sink->closed);
  clock_.Advance(Millis(2'000));
  hub_.Sweep();
  EXPECT_TRUE(sink->closed);
}

TEST_F(HubTest, ListsAUsersConnections) {
  auto s = hub_.Reserve("u1", 0);
  auto conns = hub_.Connections("u1");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].id.rfind("sse_", 0), 0u);
  EXPECT_EQ(conns[0].connected_at, clock_.Now());
  EXPECT_TRUE(hub_.Connections("u2").empty());
}

}  // namespace
}  // namespace cancelflow::realtime
