#include "queue/sqlite_job_queue.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::queue {
namespace {

constexpr Millis kLease{30'000};
const std::string kWorker = "wkr_test";

class SqliteJobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }

  void Open(QueueOptions options) {
    queue_.reset();
    db_.reset();
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    // Jitter pinned to the middle of its range: backoffs are exact.
    queue_ = std::make_unique<SqliteJobQueue>(*db_, clock_, std::move(options), [] { return 0.5; });
  }

  Job Add(NewJob n) {
    auto j = queue_->Add(n);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    return j.ok() ? *j : Job{};
  }
  Job Add(const std::string& type, int priority = kPriorityNormal) {
    return Add(NewJob{.type = type, .priority = priority});
  }
  std::vector<Job> Claim(int max = 100) {
    auto jobs = queue_->Claim(kWorker, max, kLease);
    EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
    return jobs.ok() ? *jobs : std::vector<Job>{};
  }
  JobTransition Finish(const std::string& id, Status s, const std::string& worker = kWorker) {
    auto t = queue_->Complete(worker, {JobResult{id, std::move(s)}});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() && !t->empty() ? t->front() : JobTransition{};
  }
  Job Get(const std::string& id) { return *queue_->Get(id); }

  cancelflow::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<SqliteJobQueue> queue_;
};

TEST_F(SqliteJobQueueTest, ClaimsHighestPriorityFirstThenFifo) {
  const Job low = Add("t", kPriorityLow);
  clock_.Advance(Millis(1));
  const Job normal1 = Add("t", kPriorityNormal);
  clock_.Advance(Millis(1));
  const Job urgent = Add("t", kPriorityUrgent);
  clock_.Advance(Millis(1));
  const Job normal2 = Add("t", kPriorityNormal);
  const Job normal3 = Add("t", kPriorityNormal);  // same millisecond: insertion order

  auto jobs = Claim();
  ASSERT_EQ(jobs.size(), 5u);
  EXPECT_EQ(jobs[0].id, urgent.id);
  EXPECT_EQ(jobs[1].id, normal1.id);
  EXPECT_EQ(jobs[2].id, normal2.id);
  EXPECT_EQ(jobs[3].id, normal3.id);
  EXPECT_EQ(jobs[4].id, low.id);
  for (const Job& j : jobs) {
    EXPECT_EQ(j.state, JobState::kActive);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.locked_by, kWorker);
    EXPECT_EQ(j.lease_until, clock_.Now() + kLease);
  }
  EXPECT_TRUE(Claim().empty());
}

TEST_F(SqliteJobQueueTest, ClaimTakesAtMostTheBatchSize) {
  for (int i = 0; i < 10; ++i) Add("t");
  EXPECT_EQ(Claim(4).size(), 4u);
  EXPECT_EQ(Claim(4).size(), 4u);
  EXPECT_EQ(Claim(4).size(), 2u);
}

TEST_F(SqliteJobQueueTest, DelayedJobIsPromotedWhenDue) {
  const Job j = Add(NewJob{.type = "t", .run_at = clock_.Now() + Millis(5000)});
  EXPECT_EQ(j.state, JobState::kDelayed);
  EXPECT_EQ(*queue_->NextDelayedAt(), clock_.Now() + Millis(5000));
  EXPECT_TRUE(Claim().empty());
  clock_.Advance(Millis(4999));
  EXPECT_TRUE(Claim().empty());
  clock_.Advance(Millis(1));
  auto report = queue_->RunMaintenance();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->promoted, 1);
  EXPECT_EQ(Get(j.id).state, JobState::kWaiting);
  auto jobs = Claim();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, j.id);
  EXPECT_FALSE(queue_->NextDelayedAt()->has_value());
}

TEST_F(SqliteJobQueueTest, DelayAYearAheadStaysDelayed) {
  const Job j = Add(NewJob{.type = "t", .run_at = clock_.Now() + Millis(365LL * 24 * 3600 * 1000)});
  clock_.Advance(Millis(31LL * 24 * 3600 * 1000));  // past the 24.8-day timer overflow of the seed
  ASSERT_TRUE(queue_->RunMaintenance().ok());
  EXPECT_TRUE(Claim().empty());
  EXPECT_EQ(Get(j.id).state, JobState::kDelayed);
}

TEST_F(SqliteJobQueueTest, TemporaryFailuresBackOffExponentiallyThenFail) {
  const Job j = Add("t");
  const Millis expected[] = {Millis(1000), Millis(2000)};
  for (Millis backoff : expected) {
    ASSERT_EQ(Claim().size(), 1u);
    const TimePoint failed_at = clock_.Now();
    JobTransition t = Finish(j.id, Unavailable("provider answered 503"));
    EXPECT_EQ(t.state, JobState::kDelayed);
    EXPECT_EQ(t.run_at, failed_at + backoff);
    EXPECT_EQ(Get(j.id).state, JobState::kDelayed);
    clock_.Advance(backoff - Millis(1));
    EXPECT_TRUE(Claim().empty()) << "retried before its backoff";
    clock_.Advance(Millis(1));
  }
  ASSERT_EQ(Claim().size(), 1u);
  JobTransition t = Finish(j.id, Unavailable("provider answered 503"));
  EXPECT_EQ(t.state, JobState::kFailed);  // third of three attempts
  const Job failed = Get(j.id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.attempts, 3);
  EXPECT_EQ(failed.last_error, "UNAVAILABLE: provider answered 503");
  auto errors = boost::json::parse(failed.errors).as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[2].at("attempt").as_int64(), 3);
  EXPECT_EQ(errors[2].at("class").as_string(), "temporary");
}

TEST_F(SqliteJobQueueTest, PerTypeMaxAttemptsAndBackoff) {
  QueueOptions options;
  options.policies["fragile"] = RetryPolicy{.max_attempts = 1};
  options.policies["patient"] = RetryPolicy{.max_attempts = 5, .initial_backoff = Millis(10), .jitter = 0};
  Open(options);
  const Job fragile = Add("fragile");
  EXPECT_EQ(fragile.max_attempts, 1);
  Claim();
  EXPECT_EQ(Finish(fragile.id, Unavailable("x")).state, JobState::kFailed);

  const Job patient = Add("patient");
  EXPECT_EQ(patient.max_attempts, 5);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_EQ(Claim().size(), 1u);
    JobTransition t = Finish(patient.id, Unavailable("x"));
    ASSERT_EQ(t.state, JobState::kDelayed);
    EXPECT_EQ(t.run_at - clock_.Now(), Millis(10 << (attempt - 1)));
    clock_.Advance(t.run_at - clock_.Now());
  }
  ASSERT_EQ(Claim().size(), 1u);
  EXPECT_EQ(Finish(patient.id, Unavailable("x")).state, JobState::kFailed);
  const Job explicit_attempts = Add(NewJob{.type = "patient", .max_attempts = 2});
  EXPECT_EQ(explicit_attempts.max_attempts, 2);
}

TEST_F(SqliteJobQueueTest, ConfigurationAndUserErrorsFailAtOnce) {
  const Job config = Add("t");
  const Job user = Add("t");
  Claim();
  EXPECT_EQ(Finish(config.id, FailedPrecondition("provider has no API")).state, JobState::kFailed);
  EXPECT_EQ(Finish(user.id, InvalidArgument("subscription already cancelled")).state, JobState::kFailed);
  EXPECT_EQ(Get(config.id).attempts, 1);
  auto errors = boost::json::parse(Get(config.id).errors).as_array();
  EXPECT_EQ(errors[0].at("class").as_string(), "configuration");
  EXPECT_EQ(boost::json::parse(Get(user.id).errors).as_array()[0].at("class").as_string(), "user");
}

TEST_F(SqliteJobQueueTest, FailedJobsAreListedNewestFirstAndRetried) {
  const Job a = Add("t");
  const Job b = Add("t");
  Claim();
  Finish(a.id, FailedPrecondition("a"));
  clock_.Advance(Millis(10));
  Finish(b.id, FailedPrecondition("b"));

  auto failed = queue_->GetFailedJobs(10);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].id, b.id);
  EXPECT_EQ((*failed)[1].id, a.id);
  EXPECT_EQ(queue_->GetFailedJobs(1)->size(), 1u);

  auto retried = queue_->RetryFailedJob(a.id);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->state, JobState::kWaiting);
  EXPECT_EQ(retried->attempts, 0);
  auto jobs = Claim();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, a.id);
  EXPECT_EQ(Finish(a.id, Status::Ok()).state, JobState::kCompleted);
  EXPECT_EQ(queue_->GetFailedJobs(10)->size(), 1u);
}

TEST_F(SqliteJobQueueTest, RetryOfUnknownOrUnfailedJobIsRefused) {
  EXPECT_EQ(queue_->RetryFailedJob("job_unknown").status().code(), Code::kNotFound);
  const Job j = Add("t");
  EXPECT_EQ(queue_->RetryFailedJob(j.id).status().code(), Code::kFailedPrecondition);
}

TEST_F(SqliteJobQueueTest, ClearFailedJobsRemovesOnlyFailed) {
  const Job a = Add("t");
  const Job b = Add("t");
  Claim(1);
  Finish(a.id, FailedPrecondition("a"));
  EXPECT_EQ(*queue_->ClearFailedJobs(), 1);
  EXPECT_EQ(queue_->Get(a.id).status().code(), Code::kNotFound);
  EXPECT_EQ(Get(b.id).state, JobState::kWaiting);
}

TEST_F(SqliteJobQueueTest, ExpiredLeaseSendsTheJobBackAndCountsTheAttempt) {
  const Job j = Add("t");
  ASSERT_EQ(Claim().size(), 1u);  // this worker then "crashes"
  clock_.Advance(kLease - Millis(1));
  ASSERT_TRUE(queue_->RunMaintenance()->recovered.empty());
  clock_.Advance(Millis(2));
  auto report = queue_->RunMaintenance();
  ASSERT_EQ(report->recovered.size(), 1u);
  EXPECT_EQ(report->recovered[0].state, JobState::kWaiting);
  EXPECT_EQ(Get(j.id).state, JobState::kWaiting);

  auto again = queue_->Claim("wkr_other", 10, kLease);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].attempts, 2);
  // The first worker comes back: its verdict is dropped, the new holder's stands.
  EXPECT_TRUE(Finish(j.id, Status::Ok(), kWorker).lost);
  EXPECT_FALSE(Finish(j.id, Status::Ok(), "wkr_other").lost);
  EXPECT_EQ(Get(j.id).state, JobState::kCompleted);
}

TEST_F(SqliteJobQueueTest, ExpiredLeaseOnLastAttemptFailsTheJob) {
  const Job j = Add(NewJob{.type = "t", .max_attempts = 1});
  Claim();
  clock_.Advance(kLease + Millis(1));
  auto report = queue_->RunMaintenance();
  ASSERT_EQ(report->recovered.size(), 1u);
  EXPECT_EQ(report->recovered[0].state, JobState::kFailed);
  EXPECT_EQ(Get(j.id).state, JobState::kFailed);
  EXPECT_NE(Get(j.id).last_error->find("lease expired"), std::string::npos);
}

TEST_F(SqliteJobQueueTest, HeartbeatKeepsTheLease) {
  const Job j = Add("t");
  Claim();
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(kLease / 2);
    ASSERT_TRUE(queue_->Heartbeat(kWorker, {j.id}, kLease).ok());
    ASSERT_TRUE(queue_->RunMaintenance()->recovered.empty());
  }
  EXPECT_EQ(Get(j.id).state, JobState::kActive);
  // Another worker's heartbeat does not extend it.
  ASSERT_TRUE(queue_->Heartbeat("wkr_other", {j.id}, Millis(1'000'000)).ok());
  clock_.Advance(kLease + Millis(1));
  EXPECT_EQ(queue_->RunMaintenance()->recovered.size(), 1u);
}

TEST_F(SqliteJobQueueTest, ReleaseGivesBackWithoutCountingTheAttempt) {
  const Job j = Add("t");
  Claim();
  ASSERT_TRUE(queue_->Release(kWorker, {j.id}).ok());
  const Job released = Get(j.id);
  EXPECT_EQ(released.state, JobState::kWaiting);
  EXPECT_EQ(released.attempts, 0);
}

TEST_F(SqliteJobQueueTest, UniqueKeyReturnsTheExistingJob) {
  const Job first = Add(NewJob{.type = "t", .payload = R"({"n":1})", .unique_key = "sub_1:cancel"});
  const Job second = Add(NewJob{.type = "t", .payload = R"({"n":2})", .unique_key = "sub_1:cancel"});
  EXPECT_EQ(first.id, second.id);
  EXPECT_EQ(second.payload, R"({"n":1})");
  EXPECT_EQ(Claim().size(), 1u);
  const Job other = Add(NewJob{.type = "t", .unique_key = "sub_2:cancel"});
  EXPECT_NE(other.id, first.id);
}

TEST_F(SqliteJobQueueTest, PausedTypeWaitsWhileOthersFlow) {
  const Job paused = Add("email", kPriorityUrgent);
  const Job other = Add("api", kPriorityLow);
  ASSERT_TRUE(queue_->Pause("email").ok());
  auto jobs = Claim();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, other.id);
  EXPECT_EQ(queue_->GetStats()->paused_types, std::vector<std::string>{"email"});
  ASSERT_TRUE(queue_->Resume("email").ok());
  jobs = Claim();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, paused.id);
}

TEST_F(SqliteJobQueueTest, BadInputIsRejectedAndNothingIsAdded) {
  EXPECT_EQ(queue_->Add(NewJob{.type = "t", .payload = "{not json"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue_->Add(NewJob{.type = ""}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue_->Add(NewJob{.type = "t", .priority = 9}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue_->Add(NewJob{.type = "t", .max_attempts = 0}).status().code(), Code::kInvalidArgument);
  auto bulk = queue_->AddBulk({NewJob{.type = "t"}, NewJob{.type = "t", .payload = "[1,"}});
  ASSERT_FALSE(bulk.ok());
  EXPECT_NE(bulk.status().message().find("jobs[1].payload"), std::string::npos) << bulk.status().message();
  EXPECT_EQ(queue_->GetStats()->waiting, 0);
}

TEST_F(SqliteJobQueueTest, AddBulkAddsAllInOrder) {
  std::vector<NewJob> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(NewJob{.type = "t", .payload = "{\"i\":" + std::to_string(i) + "}"});
  auto jobs = queue_->AddBulk(batch);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 500u);
  auto claimed = Claim(1000);
  ASSERT_EQ(claimed.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(claimed[i].payload, "{\"i\":" + std::to_string(i) + "}");
}

TEST_F(SqliteJobQueueTest, StatsCountStatesTypesAndThroughput) {
  Add("a");
  Add("a");
  Add("b");
  Add(NewJob{.type = "b", .run_at = clock_.Now() + Millis(60'000)});
  auto jobs = Claim(2);
  clock_.Advance(Millis(40));
  Finish(jobs[0].id, Status::Ok());
  Finish(jobs[1].id, FailedPrecondition("no"));
  clock_.Advance(Millis(5000));
  auto s = queue_->GetStats();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->waiting, 1);
  EXPECT_EQ(s->delayed, 1);
  EXPECT_EQ(s->completed, 1);
  EXPECT_EQ(s->failed, 1);
  EXPECT_EQ(s->by_type["a"].completed, 1);
  EXPECT_EQ(s->by_type["a"].failed, 1);
  EXPECT_EQ(s->by_type["b"].waiting, 1);
  EXPECT_EQ(s->by_type["b"].delayed, 1);
  EXPECT_EQ(s->completed_last_minute, 1);
  EXPECT_EQ(s->failed_last_minute, 1);
  EXPECT_EQ(s->p50_ms, 40);
  EXPECT_EQ(s->by_type["a"].p99_ms, 40);
  EXPECT_EQ(s->oldest_waiting_ms, 5040);
}

TEST_F(SqliteJobQueueTest, RetentionBoundsFinishedJobsByCountAndAge) {
  QueueOptions options;
  options.completed_retention_count = 3;
  options.failed_retention_age = Millis(1000);
  Open(options);
  for (int i = 0; i < 5; ++i) Add("t");
  for (const Job& j : Claim()) {
    clock_.Advance(Millis(1));
    Finish(j.id, Status::Ok());
  }
  const Job f = Add("t");
  Claim();
  Finish(f.id, FailedPrecondition("x"));
  auto report = queue_->RunMaintenance();
  EXPECT_EQ(report->pruned, 2);
  EXPECT_EQ(queue_->GetStats()->completed, 3);
  EXPECT_EQ(queue_->GetStats()->failed, 1);
  clock_.Advance(Millis(1001));
  EXPECT_EQ(queue_->RunMaintenance()->pruned, 1);
  EXPECT_EQ(queue_->GetStats()->failed, 0);
}

// Retention deletes in chunks of its own writes, until nothing is left to
// delete, and keeps the newest jobs.
TEST_F(SqliteJobQueueTest, RetentionDeletesInChunksAndKeepsTheNewest) {
  QueueOptions options;
  options.completed_retention_count = 2;
  options.prune_chunk = 2;
  Open(options);
  std::vector<std::string> finished;
  for (int i = 0; i < 7; ++i) Add("t");
  for (const Job& j : Claim()) {
    clock_.Advance(Millis(1));
    Finish(j.id, Status::Ok());
    finished.push_back(j.id);
  }
  EXPECT_EQ(queue_->RunMaintenance()->pruned, 5);
  EXPECT_EQ(queue_->GetStats()->completed, 2);
  EXPECT_TRUE(queue_->Get(finished[5]).ok());
  EXPECT_TRUE(queue_->Get(finished[6]).ok());
  EXPECT_EQ(queue_->Get(finished[4]).status().code(), Code::kNotFound);
  EXPECT_EQ(queue_->RunMaintenance()->pruned, 0);
}

TEST_F(SqliteJobQueueTest, ReadyCallbackFiresOnAddRetryAndResume) {
  int calls = 0;
  queue_->SetReadyCallback([&] { ++calls; });
  const Job j = Add("t");
  EXPECT_EQ(calls, 1);
  Claim();
  Finish(j.id, FailedPrecondition("x"));
  ASSERT_TRUE(queue_->RetryFailedJob(j.id).ok());
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(queue_->Resume("t").ok());
  EXPECT_EQ(calls, 3);
}

TEST_F(SqliteJobQueueTest, ObserverHearsOnlyNewJobs) {
  struct Recorder : JobObserver {
    std::vector<std::string> ids;
    void OnEnqueued(const std::vector<Job>& jobs) override {
      for (const auto& j : jobs) ids.push_back(j.id);
    }
  } recorder;
  QueueOptions options;
  options.observer = &recorder;
  Open(options);
  const Job a = Add(NewJob{.type = "t", .unique_key = "k"});
  Add(NewJob{.type = "t", .unique_key = "k"});
  EXPECT_EQ(recorder.ids, std::vector<std::string>{a.id});
}

TEST_F(SqliteJobQueueTest, RemoveDeletesOnlyUnstartedJobs) {
  const Job delayed = Add(NewJob{.type = "t", .run_at = clock_.Now() + Millis(60'000)});
  const Job active = Add("t");
  Claim();
  EXPECT_TRUE(queue_->Remove(delayed.id).ok());
  EXPECT_EQ(queue_->Get(delayed.id).status().code(), Code::kNotFound);
  EXPECT_EQ(queue_->Remove(active.id).code(), Code::kFailedPrecondition);
  EXPECT_EQ(queue_->Remove("job_unknown").code(), Code::kNotFound);
}

TEST_F(SqliteJobQueueTest, TransitionsCarryThePayload) {
  const Job ok = Add(NewJob{.type = "t", .payload = R"({"workflowId":"wf_1"})"});
  const Job bad = Add(NewJob{.type = "t", .payload = R"({"workflowId":"wf_2"})"});
  Claim();
  EXPECT_EQ(Finish(ok.id, Status::Ok()).payload, R"({"workflowId":"wf_1"})");
  EXPECT_EQ(Finish(bad.id, FailedPrecondition("x")).payload, R"({"workflowId":"wf_2"})");
}

TEST_F(SqliteJobQueueTest, HealthAnswers) { EXPECT_TRUE(queue_->Health().ok()); }

// A WriteSet (store/write_set.h): the jobs it stages are inserted in the same
// transaction as its records, seen by workers only after the commit, and
// rolled back with them.
TEST_F(SqliteJobQueueTest, StagedJobCommitsWithTheSetsRecordsOrNotAtAll) {
  auto opened = store::SqliteStore::Open(*db_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store::SqliteStore& store = **opened;
  int ready = 0;
  queue_->SetReadyCallback([&] { ++ready; });
  store::WorkflowInstance w;
  w.id = "wf_1";
  w.definition = "d";
  w.created_at = w.updated_at = clock_.Now();

  store::WriteSet set;
  std::vector<std::string> actions;
  set.Add([&](store::Transaction& tx) { return tx.SaveWorkflow(w); });
  auto job = queue_->Stage(set, NewJob{.type = "t", .unique_key = "wf_1:step:1"});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  set.AfterCommit([&] { actions.push_back("first"); });
  set.AfterCommit([&] { actions.push_back("second"); });
  // Staged, not yet written: nothing to claim, nobody woken.
  EXPECT_EQ(queue_->Get(job->id).status().code(), Code::kNotFound);
  EXPECT_TRUE(Claim().empty());
  EXPECT_EQ(ready, 0);

  ASSERT_TRUE(store.Commit(set).ok());
  EXPECT_EQ(actions, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(ready, 1);
  EXPECT_TRUE(store.GetWorkflow("wf_1").ok());
  auto claimed = Claim();
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, job->id);  // the id Stage returned is the stored one

  // A taken unique key fails the whole set: the instance's other write is
  // rolled back and no action runs.
  store::WriteSet clash;
  w.id = "wf_2";
  clash.Add([&](store::Transaction& tx) { return tx.SaveWorkflow(w); });
  ASSERT_TRUE(queue_->Stage(clash, NewJob{.type = "t", .unique_key = "wf_1:step:1"}).ok());
  clash.AfterCommit([&] { actions.push_back("never"); });
  EXPECT_EQ(store.Commit(clash).code(), Code::kAlreadyExists);
  EXPECT_EQ(store.GetWorkflow("wf_2").status().code(), Code::kNotFound);
  EXPECT_EQ(actions.size(), 2u);
  EXPECT_EQ(ready, 1);

  // An invalid job is refused at once and stages nothing.
  store::WriteSet invalid;
  EXPECT_EQ(queue_->Stage(invalid, NewJob{.type = ""}).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(invalid.empty());
}

// A failing write in the middle of a set leaves nothing of the set behind.
TEST_F(SqliteJobQueueTest, FailedWriteSetLeavesNothingBehind) {
  auto opened = store::SqliteStore::Open(*db_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store::SqliteStore& store = **opened;
  store::WriteSet set;
  ASSERT_TRUE(queue_->Stage(set, NewJob{.type = "t"}).ok());
  store::Notification n{0, "ntf_1", "usr_1", "cancellation.progress", "t", "m", "normal", "{}", clock_.Now()};
  set.Add([&](store::Transaction& tx) { return tx.AddNotification(n); });
  store::CancellationRequest missing;
  missing.id = "req_missing";
  set.Add([&](store::Transaction& tx) { return tx.UpdateCancellation(missing); });
  EXPECT_EQ(store.Commit(set).code(), Code::kNotFound);
  EXPECT_TRUE(Claim().empty());
  EXPECT_TRUE(store.ListNotifications("usr_1", 0, 10)->empty());
}
}  // namespace
}  // namespace cancelflow::queue
