// The real binary, run as a user would: configuration errors, migrate, the jobs
// commands, and serve draining on SIGTERM.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "queue/sqlite_job_queue.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace cancelflow {
namespace {

using testing::RunCommand;

std::string Bin() { return CANCELFLOW_BIN; }

class CliTest : public ::testing::Test {
 protected:
  std::string DbUrl() const { return "sqlite://" + dir_.File("cf.db"); }
  testing::TempDir dir_;
};

TEST_F(CliTest, VersionAndHelp) {
  auto v = RunCommand(Bin() + " --version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("cancelflow 0."), std::string::npos);
  for (const char* cmd : {"serve", "migrate", "jobs", "jobs stats", "jobs failed", "jobs retry", "jobs pause",
                          "jobs resume"}) {
    auto h = RunCommand(Bin() + " " + cmd + " --help");
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.output.find("Usage"), std::string::npos) << cmd;
  }
  EXPECT_NE(RunCommand(Bin() + " serve --help").output.find("WORKER_CONCURRENCY"), std::string::npos);
}

TEST_F(CliTest, InvalidEnvironmentValueStopsStartUpNamingTheVariable) {
  auto r = RunCommand("WORKER_CONCURRENCY=lots " + Bin() + " serve --database-url " + DbUrl());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("WORKER_CONCURRENCY"), std::string::npos) << r.output;
  auto flag = RunCommand(Bin() + " migrate --database-url mysql://nope");
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.output.find("DATABASE_URL"), std::string::npos) << flag.output;
}

TEST_F(CliTest, CorruptDatabaseIsAClearError) {
  std::ofstream(dir_.File("cf.db")) << "definitely not sqlite, but long enough to have a header......";
  auto r = RunCommand(Bin() + " migrate --database-url " + DbUrl());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not a database"), std::string::npos) << r.output;
}

TEST_F(CliTest, JobsCommandsListAndRetryFailedJobs) {
  auto m = RunCommand(Bin() + " migrate --database-url " + DbUrl());
  ASSERT_EQ(m.exit_code, 0) << m.output;
  std::string failed_id;
  {
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    queue::SqliteJobQueue q(**db, SystemClock::Get());
    failed_id = q.Add({.type = "cancellation.api"})->id;
    (void)q.Claim("wkr_x", 1, Millis(1000));
    ASSERT_TRUE(q.Complete("wkr_x", {{failed_id, FailedPrecondition("provider has no API")}}).ok());
  }
  auto failed = RunCommand(Bin() + " jobs failed --limit 5 --database-url " + DbUrl());
  EXPECT_EQ(failed.exit_code, 0) << failed.output;
  EXPECT_NE(failed.output.find(failed_id), std::string::npos) << failed.output;
  EXPECT_NE(failed.output.find("provider has no API"), std::string::npos);

  auto stats = RunCommand(Bin() + " jobs stats --database-url " + DbUrl());
  EXPECT_NE(stats.output.find("\"failed\":1"), std::string::npos) << stats.output;

  auto retry = RunCommand(Bin() + " jobs retry " + failed_id + " --database-url " + DbUrl());
  EXPECT_EQ(retry.exit_code, 0) << retry.output;
  EXPECT_NE(retry.output.find("\"state\":\"waiting\""), std::string::npos) << retry.output;

  auto again = RunCommand(Bin() + " jobs retry " + failed_id + " --database-url " + DbUrl());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("not failed"), std::string::npos) << again.output;
  auto unknown = RunCommand(Bin() + " jobs retry job_nope --database-url " + DbUrl());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("not found"), std::string::npos) << unknown.output;
  EXPECT_EQ(RunCommand(Bin() + " jobs failed --limit 0 --database-url " + DbUrl()).exit_code, 2);
}

TEST_F(CliTest, JobsPauseAndResumeAType) {
  auto paused = RunCommand(Bin() + " jobs pause notification.send --database-url " + DbUrl());
  EXPECT_EQ(paused.exit_code, 0) << paused.output;
  auto stats = RunCommand(Bin() + " jobs stats --database-url " + DbUrl());
  EXPECT_NE(stats.output.find("\"pausedTypes\":[\"notification.send\"]"), std::string::npos) << stats.output;
  auto resumed = RunCommand(Bin() + " jobs resume notification.send --database-url " + DbUrl());
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  stats = RunCommand(Bin() + " jobs stats --database-url " + DbUrl());
  EXPECT_NE(stats.output.find("\"pausedTypes\":[]"), std::string::npos) << stats.output;
}

TEST_F(CliTest, ServeRunsWorkersAndDrainsOnSigterm) {
  std::string orphan_id;
  {
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    queue::SqliteJobQueue q(**db, SystemClock::Get());
    orphan_id = q.Add({.type = "no.such.processor", .priority = 4})->id;
  }
  // Port 0: any free port, so that runs beside each other do not collide.
  const pid_t pid = testing::Spawn({Bin(), "serve", "--database-url", DbUrl(), "--env", "test", "--addr", "127.0.0.1:0"},
                                   dir_.File("serve.log"));
  ASSERT_GT(pid, 0);
  auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
  queue::SqliteJobQueue q(**db, SystemClock::Get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && q.Get(orphan_id)->state != queue::JobState::kFailed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(testing::WaitExit(pid), 0);
  // An unregistered type fails as a configuration error into the failed store: never dropped.
  const queue::Job j = *q.Get(orphan_id);
  EXPECT_EQ(j.state, queue::JobState::kFailed);
  EXPECT_NE(j.last_error->find("no processor"), std::string::npos);
}

}  // namespace
}  // namespace cancelflow
