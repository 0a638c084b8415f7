#include "events/event_bus.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::events {
namespace {

class EventBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    auto opened = store::SqliteStore::Open(*db_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    bus_ = std::make_unique<EventBus>(store_.get(), clock_);
  }

  cancelflow::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<EventBus> bus_;
};

TEST_F(EventBusTest, GlobSubscribersReceiveMatchingEvents) {
  std::vector<std::string> cancellation, everything;
  auto s1 = bus_->Subscribe("cancellation.*", [&](const Event& e) { cancellation.push_back(e.type); });
  auto s2 = bus_->Subscribe("*", [&](const Event& e) { everything.push_back(e.type); });
  bus_->Publish("cancellation.requested", "req_1", {});
  bus_->Publish("job.enqueued", "job_1", {});
  bus_->Publish("cancellation.completed", "req_1", {});
  EXPECT_EQ(cancellation, (std::vector<std::string>{"cancellation.requested", "cancellation.completed"}));
  EXPECT_EQ(everything.size(), 3u);
}

TEST_F(EventBusTest, UnsubscribedHandlerIsNotCalled) {
  int calls = 0;
  {
    auto sub = bus_->Subscribe("*", [&](const Event&) { ++calls; });
    bus_->Publish("a", "r", {});
  }
  bus_->Publish("a", "r", {});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus_->subscriber_count(), 0u);
}

TEST_F(EventBusTest, HandlerMayPublish) {
  std::vector<std::string> seen;
  auto relay = bus_->Subscribe("webhook.received", [&](const Event& e) {
    bus_->Publish("cancellation.completed", e.resource, {});
  });
  auto sink = bus_->Subscribe("*", [&](const Event& e) { seen.push_back(e.type); });
  bus_->Publish("webhook.received", "req_1", {});
  EXPECT_EQ(seen, (std::vector<std::string>{"cancellation.completed", "webhook.received"}));
}

TEST_F(EventBusTest, PublishAssignsIdAndTimestamp) {
  Event e = bus_->Publish("a", "r", {});
  EXPECT_EQ(e.id.substr(0, 4), "evt_");
  EXPECT_EQ(e.timestamp, clock_.Now());
}

TEST_F(EventBusTest, WaitForEventResolvesOnMatchingEventOnly) {
  std::optional<Result<Event>> got;
  bus_->WaitForEvent(
      "webhook.received", [](const Event& e) { return e.resource == "req_2"; }, Millis(5000),
      [&](Result<Event> r) { got = std::move(r); });
  bus_->Publish("webhook.received", "req_1", {});  // wrong resource
  bus_->Publish("job.started", "req_2", {});       // wrong type
  EXPECT_FALSE(got.has_value());
  bus_->Publish("webhook.received", "req_2", {{"confirmationCode", "C-1"}});
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_EQ((*got)->data.at("confirmationCode"), "C-1");
  bus_->Publish("webhook.received", "req_2", {});  // completes only once
}

TEST_F(EventBusTest, WaitForEventTimesOut) {
  std::optional<Result<Event>> got;
  bus_->WaitForEvent("webhook.received", nullptr, Millis(5000), [&](Result<Event> r) { got = std::move(r); });
  clock_.Advance(Millis(4999));
  bus_->ExpireWaiters();
  EXPECT_FALSE(got.has_value());
  clock_.Advance(Millis(1));
  bus_->ExpireWaiters();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), Code::kDeadlineExceeded);
  bus_->Publish("webhook.received", "r", {});  // too late: nothing happens twice
}

TEST_F(EventBusTest, BlockingWaitTimesOutWithTheTimerThread) {
  EventBus bus(nullptr, SystemClock::Get());
  bus.StartTimer();
  auto r = bus.WaitForEvent("never", nullptr, Millis(20));
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
}

TEST_F(EventBusTest, SequenceCompletesInOrder) {
  std::optional<Result<std::vector<Event>>> got;
  bus_->Sequence({"cancellation.processing", "cancellation.completed"}, Millis(1000),
                 [&](Result<std::vector<Event>> r) { got = std::move(r); });
  bus_->Publish("cancellation.completed", "req_1", {});  // before its turn: ignored
  bus_->Publish("cancellation.processing", "req_1", {});
  bus_->Publish("job.started", "job_1", {});
  EXPECT_FALSE(got.has_value());
  bus_->Publish("cancellation.completed", "req_1", {});
  ASSERT_TRUE(got.has_value() && got->ok());
  ASSERT_EQ((*got)->size(), 2u);
  EXPECT_EQ((**got)[0].type, "cancellation.processing");
  EXPECT_EQ((**got)[1].type, "cancellation.completed");
}

TEST_F(EventBusTest, SequenceTimesOutWhenIncomplete) {
  std::optional<Result<std::vector<Event>>> got;
  bus_->Sequence({"a", "b"}, Millis(1000), [&](Result<std::vector<Event>> r) { got = std::move(r); });
  bus_->Publish("a", "r", {});
  clock_.Advance(Millis(1000));
  bus_->ExpireWaiters();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), Code::kDeadlineExceeded);
  EXPECT_NE(got->status().message().find("1 of 2"), std::string::npos);
}

TEST_F(EventBusTest, DestroyingTheBusCancelsWaiters) {
  std::optional<Result<Event>> got;
  bus_->WaitForEvent("x", nullptr, Millis(1000), [&](Result<Event> r) { got = std::move(r); });
  bus_.reset();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), Code::kCancelled);
}

TEST_F(EventBusTest, EveryEventIsAuditedWithSecretsRedacted) {
  bus_->Publish("cancellation.requested", "req_1",
                {{"subscriptionId", "sub_1"},
                 {"apiToken", "tok_live_123"},
                 {"email", "jane@example.com"},
                 {"credentials", {{"user", "u"}, {"pass", "p"}}}},
                "usr_1");
  bus_->Publish("webhook.rejected", "prv_demo", {{"reason", "bad signature"}, {"signature", "v1,abc"}});
  ASSERT_TRUE(store_->FlushAudit().ok());
  auto rows = store_->QueryAudit({.oldest_first = true});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const auto& first = (*rows)[0];
  EXPECT_EQ(first.action, "cancellation.requested");
  EXPECT_EQ(first.user_id, "usr_1");
  EXPECT_EQ(first.resource, "req_1");
  EXPECT_EQ(first.result, "success");
  EXPECT_EQ(first.timestamp, clock_.Now());
  auto meta = boost::json::parse(first.metadata).as_object();
  EXPECT_EQ(meta["subscriptionId"], "sub_1");
  EXPECT_EQ(meta["apiToken"], "[REDACTED]");
  EXPECT_EQ(meta["email"], "j***@example.com");
  EXPECT_EQ(meta["credentials"], "[REDACTED]");
  EXPECT_EQ(first.metadata.find("tok_live_123"), std::string::npos);
  EXPECT_EQ(first.metadata.find("jane@"), std::string::npos);

  const auto& second = (*rows)[1];
  EXPECT_EQ(second.result, "failure");
  EXPECT_EQ(second.metadata.find("v1,abc"), std::string::npos);
}

TEST(AuditResult, FollowsTheEventTypeUnlessDataSays) {
  EXPECT_EQ(AuditResultOf(Event{.type = "job.failed"}), "failure");
  EXPECT_EQ(AuditResultOf(Event{.type = "workflow.timed_out"}), "failure");
  EXPECT_EQ(AuditResultOf(Event{.type = "job.completed"}), "success");
  EXPECT_EQ(AuditResultOf(Event{.type = "job.completed", .data = {{"result", "partial"}}}), "partial");
}

}  // namespace
}  // namespace cancelflow::events
