#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'800'000'000'000);

class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    auto opened = SqliteStore::Open(*db_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->CreateUser({"usr_1", "jane@example.com", "user", true, false, kT0}).ok());
    Subscription sub;
    sub.id = "sub_1";
    sub.user_id = "usr_1";
    sub.provider = "demo-instant";
    sub.external_id = "ext-1";
    sub.name = "Streaming";
    sub.amount = 9.99;
    sub.created_at = sub.updated_at = kT0;
    ASSERT_TRUE(store_->CreateSubscription(sub).ok());
  }

  CancellationRequest Request(std::string id, std::optional<std::string> key = std::nullopt) {
    CancellationRequest r;
    r.id = std::move(id);
    r.user_id = "usr_1";
    r.subscription_id = "sub_1";
    r.workflow_id = "wf_" + r.id;
    r.idempotency_key = std::move(key);
    r.created_at = r.updated_at = kT0;
    return r;
  }
  // The records are written as the service writes them: one WriteSet per change.
  Status Commit(WriteSet::Write write) {
    WriteSet set;
    set.Add(std::move(write));
    return store_->Commit(set);
  }
  Status CreateCancellation(const CancellationRequest& r, const WorkflowInstance& w) {
    return Commit([&](Transaction& tx) {
      CF_RETURN_IF_ERROR(tx.CreateCancellation(r));
      return tx.SaveWorkflow(w);
    });
  }
  Status SaveWorkflow(const WorkflowInstance& w) {
    return Commit([&](Transaction& tx) { return tx.SaveWorkflow(w); });
  }
  WorkflowInstance Workflow(const std::string& id) {
    WorkflowInstance w;
    w.id = id;
    w.definition = "cancellation.full_process";
    w.created_at = w.updated_at = kT0;
    return w;
  }

  cancelflow::testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(RecordsTest, UsersAndSubscriptionsRoundTrip) {
  auto u = store_->GetUser("usr_1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->email, "jane@example.com");
  EXPECT_EQ(store_->CreateUser({"usr_1", "x@example.com", "user", true, false, kT0}).code(), Code::kAlreadyExists);
  EXPECT_EQ(store_->GetUser("usr_nope").status().code(), Code::kNotFound);

  auto sub = store_->GetSubscription("sub_1");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->amount, 9.99);
  EXPECT_FALSE(sub->plan.has_value());
  EXPECT_EQ(store_->FindSubscriptionByExternalId("demo-instant", "ext-1")->id, "sub_1");
  ASSERT_TRUE(store_->SetSubscriptionStatus("sub_1", "cancelled", kT0 + Millis(5)).ok());
  EXPECT_EQ(store_->GetSubscription("sub_1")->status, "cancelled");
  EXPECT_EQ(store_->SetSubscriptionStatus("sub_x", "cancelled", kT0).code(), Code::kNotFound);
}

TEST_F(RecordsTest, CancellationAndWorkflowAreCreatedTogether) {
  ASSERT_TRUE(CreateCancellation(Request("req_1", "key-1"), Workflow("wf_req_1")).ok());
  EXPECT_TRUE(store_->GetWorkflow("wf_req_1").ok());
  EXPECT_EQ(store_->FindActiveCancellation("sub_1")->id, "req_1");
  EXPECT_EQ(store_->FindCancellationByIdempotencyKey("usr_1", "key-1")->id, "req_1");
  // The same idempotency key again: nothing of the second pair is stored.
  EXPECT_EQ(CreateCancellation(Request("req_2", "key-1"), Workflow("wf_req_2")).code(),
            Code::kAlreadyExists);
  EXPECT_EQ(store_->GetWorkflow("wf_req_2").status().code(), Code::kNotFound);

  auto r = *store_->GetCancellation("req_1");
  ASSERT_TRUE(store_->SetConfirmationCode("req_1", "C-1").ok());
  r.status = "completed";
  r.completed_at = kT0 + Millis(10);
  ASSERT_TRUE(store_->UpdateCancellation(r).ok());  // does not overwrite the processor's field
  EXPECT_EQ(store_->GetCancellation("req_1")->confirmation_code, "C-1");
  EXPECT_EQ(store_->GetCancellation("req_1")->status, "completed");
  EXPECT_EQ(store_->FindActiveCancellation("sub_1").status().code(), Code::kNotFound);
}

TEST_F(RecordsTest, WorkflowLookupsByWaitKeyAndTimer) {
  auto w = Workflow("wf_a");
  w.status = "waiting";
  w.wait_key = "webhook.received:req_1";
  w.wake_at = kT0 + Millis(5000);
  ASSERT_TRUE(SaveWorkflow(w).ok());
  auto j = Workflow("wf_b");
  j.status = "running";
  j.awaiting_job = "job_1";
  ASSERT_TRUE(SaveWorkflow(j).ok());

  EXPECT_EQ(store_->GetWorkflow("wf_b")->awaiting_job, "job_1");
  EXPECT_EQ(store_->FindWorkflowsWaitingFor("webhook.received:req_1")->size(), 1u);
  EXPECT_EQ(**store_->NextWorkflowWake(), kT0 + Millis(5000));
  EXPECT_TRUE(store_->DueWorkflows(kT0 + Millis(4999), 10)->empty());
  EXPECT_EQ(store_->DueWorkflows(kT0 + Millis(5000), 10)->size(), 1u);
  EXPECT_EQ(store_->ListUnfinishedWorkflows()->size(), 2u);

  w.status = "completed";
  w.finished_at = kT0 + Millis(6000);
  w.wake_at.reset();
  ASSERT_TRUE(SaveWorkflow(w).ok());
  EXPECT_EQ(store_->ListUnfinishedWorkflows()->size(), 1u);
  EXPECT_EQ(*store_->PruneWorkflows(kT0 + Millis(6000)), 0);
  EXPECT_EQ(*store_->PruneWorkflows(kT0 + Millis(6001)), 1);
}

TEST_F(RecordsTest, NotificationsGetIncreasingSequenceNumbers) {
  Notification n{0, "ntf_1", "usr_1", "cancellation.progress", "Working", "Calling the provider", "normal",
                 R"({"progress":40})", kT0};
  auto a = store_->AddNotification(n);
  n.id = "ntf_2";
  auto b = store_->AddNotification(n);
  n.id = "ntf_3";
  n.user_id = "usr_2";
  ASSERT_TRUE(store_->AddNotification(n).ok());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(a->seq, b->seq);
  auto mine = store_->ListNotifications("usr_1", 0, 10);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ(store_->ListNotifications("usr_1", a->seq, 10)->size(), 1u);
}

TEST_F(RecordsTest, ProviderStatsCountAndTakeTheMedian) {
  for (int ms : {100, 300, 200}) {
    ASSERT_TRUE(store_->RecordProviderOutcome({"demo-instant", "api", "succeeded", ms, kT0}).ok());
  }
  ASSERT_TRUE(store_->RecordProviderOutcome({"demo-instant", "api", "failed", 5, kT0}).ok());
  auto s = store_->GetProviderStats("demo-instant", "api", 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->attempts, 4);
  EXPECT_EQ(s->succeeded, 3);
  EXPECT_EQ(s->median_duration_ms, 200);
  EXPECT_EQ(store_->GetProviderStats("demo-instant", "webhook", 100)->attempts, 0);
}

}  // namespace
}  // namespace cancelflow::store
