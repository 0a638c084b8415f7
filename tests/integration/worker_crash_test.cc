// A worker process is SIGKILLed in the middle of a job; another worker process
// on the same SQLite file completes it once the lease expires, and no job is lost.
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "queue/sqlite_job_queue.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace cancelflow {
namespace {

using testing::Spawn;
using testing::WaitExit;

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

using testing::WaitUntil;

TEST(WorkerCrash, KilledWorkersJobIsCompletedByAnotherAfterTheLease) {
  testing::TempDir dir;
  const std::string db_path = dir.File("cf.db");
  const std::string hang_marker = dir.File("hang.txt");
  const std::string work_marker = dir.File("work.txt");
  constexpr int kJobs = 50;

  auto db = store::SqliteDatabase::Open(db_path);
  ASSERT_TRUE(db.ok());
  queue::SqliteJobQueue q(**db, SystemClock::Get());
  std::vector<queue::NewJob> batch;
  for (int i = 0; i < kJobs; ++i) batch.push_back({.type = "crash.test", .payload = "{\"n\":" + std::to_string(i) + "}"});
  auto added = q.AddBulk(batch);
  ASSERT_TRUE(added.ok());

  const pid_t doomed = Spawn({CRASH_WORKER_BIN, "--db", db_path, "--mode", "hang", "--marker", hang_marker,
                              "--lease-ms", "1000"},
                             dir.File("doomed.log"));
  ASSERT_GT(doomed, 0);
  ASSERT_TRUE(WaitUntil([&] { return !ReadLines(hang_marker).empty(); })) << "the first worker never started a job";
  const std::string interrupted = ReadLines(hang_marker).front();
  ASSERT_EQ(q.Get(interrupted)->state, queue::JobState::kActive);
  kill(doomed, SIGKILL);
  EXPECT_EQ(WaitExit(doomed), 128 + SIGKILL);

  const pid_t rescuer = Spawn({CRASH_WORKER_BIN, "--db", db_path, "--mode", "work", "--marker", work_marker,
                               "--lease-ms", "1000"},
                              dir.File("rescuer.log"));
  ASSERT_GT(rescuer, 0);
  const bool all_done = WaitUntil([&] {
    auto s = q.GetStats();
    return s.ok() && s->completed == kJobs;
  });
  kill(rescuer, SIGTERM);
  EXPECT_EQ(WaitExit(rescuer), 0);
  ASSERT_TRUE(all_done) << "completed: " << q.GetStats()->completed;

  const auto stats = *q.GetStats();
  EXPECT_EQ(stats.waiting + stats.active + stats.failed + stats.delayed, 0);
  const queue::Job rescued = *q.Get(interrupted);
  EXPECT_EQ(rescued.state, queue::JobState::kCompleted);
  EXPECT_EQ(rescued.attempts, 2);  // the killed attempt counts
  EXPECT_NE(rescued.errors.find("lease expired"), std::string::npos);

  std::map<std::string, int> runs;
  for (const auto& id : ReadLines(work_marker)) ++runs[id];
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));  // every job ran to completion…
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;  // …once, in the surviving worker
}

}  // namespace
}  // namespace cancelflow
