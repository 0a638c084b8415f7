// SqliteJobQueue: the JobQueue on the embedded SQLite database (table `jobs`,
// layout in migrations/sqlite/ and docs/STORAGE.md).
//
// Every state change runs on the database's writer thread, so concurrent
// callers' adds, claims and completions share group commits; a claim of n jobs
// is one UPDATE … RETURNING. Reads (Get, stats, failed jobs) use reader
// connections. Several processes may share the file: SQLite's lock serialises
// their writers, and leases keep their claims apart. Readiness callbacks fire
// only for jobs added in this process; other processes' jobs are found by the
// workers' idle tick.
//
// Thread-safe. Does not own the database or the clock.
#pragma once

#include <functional>
#include <mutex>

#include "core/clock.h"
#include "queue/job_queue.h"
#include "store/sqlite_database.h"
#include "store/sqlite_transaction.h"

namespace cancelflow::queue {

class SqliteJobQueue final : public JobQueue {
 public:
  // `random` returns uniform numbers in [0, 1) for backoff jitter; unset: a
  // thread-local generator.
  SqliteJobQueue(store::SqliteDatabase& db, Clock& clock, QueueOptions options = {},
                 std::function<double()> random = nullptr);

  Result<Job> Add(const NewJob& job) override;
  Result<std::vector<Job>> AddBulk(const std::vector<NewJob>& jobs) override;
  Result<Job> Stage(store::WriteSet& set, const NewJob& job) override;
  Result<std::vector<Job>> Claim(const std::string& worker_id, int max, Millis lease) override;
  Status Heartbeat(const std::string& worker_id, const std::vector<std::string>& job_ids, Millis lease) override;
  Result<std::vector<JobTransition>> Complete(const std::string& worker_id,
                                              const std::vector<JobResult>& results) override;
  Status Release(const std::string& worker_id, const std::vector<std::string>& job_ids) override;
  Result<Job> Get(const std::string& job_id) override;
  Status Remove(const std::string& job_id) override;
  Result<Job> RetryFailedJob(const std::string& job_id) override;
  Result<std::vector<Job>> GetFailedJobs(int limit) override;
  Result<int64_t> ClearFailedJobs() override;
  Result<QueueStats> GetStats() override;
  Status Health() override;
  Status Pause(const std::string& type) override;
  Status Resume(const std::string& type) override;
  Result<MaintenanceReport> RunMaintenance() override;
  Result<std::optional<TimePoint>> NextDelayedAt() override;
  void SetReadyCallback(std::function<void()> callback) override;

 private:
  // A new job's record, not yet stored.
  Job MakeJob(const NewJob& job, TimePoint now) const;
  // Inserts the jobs; `fresh` gets the indexes of those that were new. A
  // unique_key hit is replaced by the job that holds the key.
  Status Insert(store::SqliteConnection& c, std::vector<Job>& jobs, std::vector<size_t>& fresh);
  Result<JobTransition> FailOne(store::SqliteConnection& c, const std::string& worker_id, const JobResult& r,
                                TimePoint now);
  void NotifyReady();

  store::SqliteDatabase& db_;
  Clock& clock_;
  const QueueOptions options_;
  std::function<double()> random_;

  std::mutex callback_mu_;
  std::function<void()> ready_callback_;  // guarded by callback_mu_
};

}  // namespace cancelflow::queue
