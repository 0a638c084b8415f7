#include "queue/worker_pool.h"

#include <future>
#include <latch>

#include <gtest/gtest.h>

#include "queue/sqlite_job_queue.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace cancelflow::queue {
namespace {

// Long enough never to be reached on a healthy machine; the tests wait on events, not on time.
constexpr auto kPatience = std::chrono::seconds(20);

class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    queue_ = std::make_unique<SqliteJobQueue>(*db_, SystemClock::Get());
  }

  // Waits until the job reaches `state`; the pool reports asynchronously.
  bool WaitForState(const std::string& id, JobState state) {
    return cancelflow::testing::WaitUntil([&] {
      auto j = queue_->Get(id);
      return j.ok() && j->state == state;
    });
  }

  cancelflow::testing::TempDir dir_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<SqliteJobQueue> queue_;
};

TEST_F(WorkerPoolTest, IdlePoolWakesWhenAJobIsAdded) {
  // An idle tick of an hour: only the wake-up on add can start the job.
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 2, .idle_wait = Millis(3'600'000)});
  std::promise<std::string> ran;
  pool.Register("t", [&](const Job& j, std::stop_token) {
    ran.set_value(j.id);
    return Status::Ok();
  });
  pool.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the workers go idle first
  const Job j = *queue_->Add(NewJob{.type = "t"});
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(f.get(), j.id);
  EXPECT_TRUE(WaitForState(j.id, JobState::kCompleted));
  pool.Stop(Millis(1000));
}

TEST_F(WorkerPoolTest, ProcessesManyJobsExactlyOnceWhenNothingFails) {
  constexpr int kJobs = 2000;
  std::vector<NewJob> batch(kJobs, NewJob{.type = "t"});
  ASSERT_TRUE(queue_->AddBulk(batch).ok());
  std::mutex mu;
  std::map<std::string, int> runs;
  std::latch all(kJobs);
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 4});
  pool.Register("t", [&](const Job& j, std::stop_token) {
    {
      std::lock_guard lock(mu);
      ++runs[j.id];
    }
    all.count_down();
    return Status::Ok();
  });
  pool.Start();
  all.wait();
  pool.Stop(Millis(5000));
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(queue_->GetStats()->completed, kJobs);
  EXPECT_EQ(pool.processed(), static_cast<uint64_t>(kJobs));
}

TEST_F(WorkerPoolTest, UnregisteredTopPriorityJobFailsWithoutBlockingOthers) {
  const Job orphan = *queue_->Add(NewJob{.type = "nobody.handles.this", .priority = kPriorityUrgent});
  const Job normal = *queue_->Add(NewJob{.type = "t", .priority = kPriorityLow});
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 1});
  pool.Register("t", [](const Job&, std::stop_token) { return Status::Ok(); });
  pool.Start();
  EXPECT_TRUE(WaitForState(normal.id, JobState::kCompleted));
  EXPECT_TRUE(WaitForState(orphan.id, JobState::kFailed));
  pool.Stop(Millis(1000));
  const Job failed = *queue_->Get(orphan.id);
  EXPECT_EQ(failed.attempts, 1);  // a configuration error is not retried
  EXPECT_NE(failed.last_error->find("FAILED_PRECONDITION"), std::string::npos);
  EXPECT_EQ(queue_->GetFailedJobs(10)->size(), 1u);
}

TEST_F(WorkerPoolTest, ThrowingProcessorIsATemporaryFailure) {
  const Job j = *queue_->Add(NewJob{.type = "t", .max_attempts = 1});
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 1});
  pool.Register("t", [](const Job&, std::stop_token) -> Status { throw std::runtime_error("boom"); });
  pool.Start();
  EXPECT_TRUE(WaitForState(j.id, JobState::kFailed));
  pool.Stop(Millis(1000));
  EXPECT_NE(queue_->Get(j.id)->last_error->find("boom"), std::string::npos);
}

TEST_F(WorkerPoolTest, ObserverHearsStartAndFinish) {
  struct Recorder : JobObserver {
    std::mutex mu;
    std::vector<std::string> log;
    void OnStarted(const Job& j) override {
      std::lock_guard l(mu);
      log.push_back("started " + j.id);
    }
    void OnFinished(const JobTransition& t) override {
      std::lock_guard l(mu);
      log.push_back(std::string(JobStateName(t.state)) + " " + t.job_id);
    }
  } recorder;
  const Job j = *queue_->Add(NewJob{.type = "t"});
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 1}, &recorder);
  pool.Register("t", [](const Job&, std::stop_token) { return Status::Ok(); });
  pool.Start();
  EXPECT_TRUE(WaitForState(j.id, JobState::kCompleted));
  pool.Stop(Millis(1000));
  EXPECT_EQ(recorder.log, (std::vector<std::string>{"started " + j.id, "completed " + j.id}));
}

TEST_F(WorkerPoolTest, StopLetsRunningJobsFinishAndReleasesUnstarted) {
  std::vector<NewJob> batch(6, NewJob{.type = "t"});
  ASSERT_TRUE(queue_->AddBulk(batch).ok());
  std::latch started(2);
  std::promise<void> go;
  auto go_future = go.get_future().share();
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 2});
  pool.Register("t", [&](const Job&, std::stop_token) {
    started.count_down();
    go_future.wait();
    return Status::Ok();
  });
  pool.Start();
  started.wait();  // two jobs running, the rest claimed into the buffer or waiting
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    go.set_value();
  });
  pool.Stop(Millis(10'000));
  release.join();
  auto stats = queue_->GetStats();
  EXPECT_EQ(stats->completed, 2);
  EXPECT_EQ(stats->waiting, 4);  // given back, none lost
  EXPECT_EQ(stats->active, 0);
  auto next = queue_->Claim("wkr_next", 10, Millis(1000));
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 4u);
  for (const Job& j : *next) EXPECT_EQ(j.attempts, 1);
}

TEST_F(WorkerPoolTest, StopPastGraceAsksRunningJobsToStopAndGivesThemBack) {
  const Job j = *queue_->Add(NewJob{.type = "t"});
  std::latch started(1);
  WorkerPool pool(*queue_, SystemClock::Get(), {.concurrency = 1});
  pool.Register("t", [&](const Job&, std::stop_token stop) -> Status {
    started.count_down();
    while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Cancelled("stopped");
  });
  pool.Start();
  started.wait();
  pool.Stop(Millis(50));
  const Job after = *queue_->Get(j.id);
  EXPECT_EQ(after.state, JobState::kWaiting);
  EXPECT_EQ(after.attempts, 0);
}

}  // namespace
}  // namespace cancelflow::queue
