#include "app/job_events.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "queue/sqlite_job_queue.h"
#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::app {
namespace {

// The queue's and the pool's reports become job.* events with the fields the
// monitoring pages read, and each lands in the audit log.
TEST(JobEvents, EveryJobTransitionBecomesAnAuditedEvent) {
  cancelflow::testing::TempDir dir;
  FakeClock clock;
  auto db = store::SqliteDatabase::Open(dir.File("cf.db"));
  ASSERT_TRUE(db.ok());
  auto opened = store::SqliteStore::Open(**db);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store::SqliteStore& store = **opened;
  events::EventBus bus(&store, clock);
  JobEvents job_events(bus);
  queue::QueueOptions options;
  options.observer = &job_events;
  queue::SqliteJobQueue q(**db, clock, options, [] { return 0.5; });

  auto job = q.Add({.type = "cancellation.api", .max_attempts = 2});
  ASSERT_TRUE(job.ok());
  auto claimed = q.Claim("wkr", 1, Millis(30'000));
  job_events.OnStarted(claimed->front());
  clock.Advance(Millis(25));
  job_events.OnFinished(q.Complete("wkr", {{job->id, Unavailable("provider answered 503")}})->front());
  clock.Advance(Millis(1000));
  claimed = q.Claim("wkr", 1, Millis(30'000));
  job_events.OnStarted(claimed->front());
  job_events.OnFinished(q.Complete("wkr", {{job->id, InvalidArgument("already cancelled")}})->front());

  ASSERT_TRUE(store.FlushAudit().ok());
  auto rows = store.QueryAudit({.resource = job->id, .oldest_first = true});
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> actions;
  for (const auto& r : *rows) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"job.enqueued", "job.started", "job.retrying", "job.started",
                                               "job.failed"}));
  auto retrying = boost::json::parse((*rows)[2].metadata).as_object();
  EXPECT_EQ(retrying.at("type"), "cancellation.api");
  EXPECT_EQ(retrying.at("durationMs"), 25);
  EXPECT_EQ(retrying.at("error").at("class"), "temporary");
  EXPECT_TRUE(retrying.contains("retryAt"));
  EXPECT_EQ((*rows)[2].result, "failure");
  auto failed = boost::json::parse((*rows)[4].metadata).as_object();
  EXPECT_EQ(failed.at("attempt"), 2);
  EXPECT_EQ(failed.at("error").at("class"), "user");
}

}  // namespace
}  // namespace cancelflow::app
