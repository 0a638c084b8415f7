// JobQueue: durable background jobs with priorities, delays, leases and retries.
// Backends: SqliteJobQueue (embedded default); a Redis backend implements the
// same interface.
//
// Semantics (DESIGN.md, "Job queue semantics"):
//  * Order: highest priority first, then earliest run_at, then insertion order.
//  * Delivery is at least once. Claim hands out jobs with a lease (locked_by,
//    lease_until) that Heartbeat extends; a job whose lease expired goes back to
//    waiting (the attempt stays counted) or, out of attempts, to failed.
//    Processors must therefore be idempotent.
//  * Complete takes each job's Status: OK → completed; a temporary error →
//    delayed by the type's RetryPolicy while attempts remain, else failed; a
//    configuration or user error → failed at once. Every failed attempt's
//    error is kept in the job's `errors`.
//  * Failed jobs stay in the failed store (bounded by count and age) until
//    RetryFailedJob puts one back with fresh attempts.
//  * A second Add with the same unique_key returns the existing job.
//  * Paused types are not claimed; their jobs keep waiting.
//
// Invariants (every backend):
//  1. A job is in exactly one state; only its lease holder (locked_by) can
//     complete, fail or heartbeat it while it is active.
//  2. attempts ≤ max_attempts for jobs that are not active; attempts grows
//     only when a job is claimed.
//  3. No job is ever deleted except by retention of completed/failed jobs or
//     ClearFailedJobs.
//
// Thread-safety: every method may be called from any thread and blocks on I/O
// (never call it on an HTTP I/O thread).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "queue/job.h"
#include "queue/job_observer.h"
#include "queue/retry_policy.h"
#include "store/write_set.h"

namespace cancelflow::queue {

struct TypeStats {
  int64_t waiting = 0, delayed = 0, active = 0, completed = 0, failed = 0;
  int64_t p50_ms = 0, p99_ms = 0;  // processing time of recent completions
};

struct QueueStats {
  int64_t waiting = 0, delayed = 0, active = 0, completed = 0, failed = 0;
  std::map<std::string, TypeStats> by_type;
  int64_t completed_last_minute = 0;
  int64_t failed_last_minute = 0;
  int64_t oldest_waiting_ms = 0;  // age of the oldest ready job, 0 when none
  int64_t p50_ms = 0, p99_ms = 0;
  std::vector<std::string> paused_types;
};

struct MaintenanceReport {
  int64_t promoted = 0;    // delayed jobs now due
  std::vector<JobTransition> recovered;  // active jobs whose lease had expired
  int64_t pruned = 0;      // completed/failed jobs removed by retention
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Validates (non-empty type, JSON payload, priority 1..4, max_attempts ≥ 1)
  // and stores the job. With a unique_key already present, returns that job.
  virtual Result<Job> Add(const NewJob& job) = 0;
  // All or nothing: one invalid job fails the whole call and adds none.
  virtual Result<std::vector<Job>> AddBulk(const std::vector<NewJob>& jobs) = 0;
  // Adds the job as part of `set` (store/write_set.h), in the transaction of
  // the set's record writes, and returns it as it will be stored: its id is
  // final. Workers see it once the set committed. A unique_key already taken
  // fails the whole set (AlreadyExists); an invalid job fails here and stages
  // nothing. The embedded queue joins the store's SQLite transaction; a backend
  // on another server adds the job right after the set committed.
  virtual Result<Job> Stage(store::WriteSet& set, const NewJob& job) = 0;

  // Leases up to `max` ready jobs to `worker_id`, in claim order.
  virtual Result<std::vector<Job>> Claim(const std::string& worker_id, int max, Millis lease) = 0;
  // Extends the leases `worker_id` still holds.
  virtual Status Heartbeat(const std::string& worker_id, const std::vector<std::string>& job_ids, Millis lease) = 0;
  // Records processors' verdicts; see the semantics above.
  virtual Result<std::vector<JobTransition>> Complete(const std::string& worker_id,
                                                      const std::vector<JobResult>& results) = 0;
  // Gives claimed jobs back without counting the attempt (graceful shutdown).
  virtual Status Release(const std::string& worker_id, const std::vector<std::string>& job_ids) = 0;

  virtual Result<Job> Get(const std::string& job_id) = 0;
  // Deletes a job that has not started (waiting or delayed), e.g. the first step
  // of an aborted scheduled cancellation. NotFound when there is no such job,
  // FailedPrecondition when it is active or finished.
  virtual Status Remove(const std::string& job_id) = 0;
  // NotFound for an unknown id, FailedPrecondition for a job that is not failed.
  virtual Result<Job> RetryFailedJob(const std::string& job_id) = 0;
  // Newest failure first.
  virtual Result<std::vector<Job>> GetFailedJobs(int limit) = 0;
  virtual Result<int64_t> ClearFailedJobs() = 0;
  virtual Result<QueueStats> GetStats() = 0;
  virtual Status Health() = 0;

  virtual Status Pause(const std::string& type) = 0;
  virtual Status Resume(const std::string& type) = 0;

  // Promotes due delayed jobs, recovers expired leases, applies retention.
  virtual Result<MaintenanceReport> RunMaintenance() = 0;
  // When the earliest delayed job becomes due, if any.
  virtual Result<std::optional<TimePoint>> NextDelayedAt() = 0;

  // Called (from any thread) after jobs became ready in this process: an Add,
  // a retry, a resume. Workers use it to wake without polling.
  virtual void SetReadyCallback(std::function<void()> callback) = 0;
};

// Per-type retry policies and retention, shared by the backends.
struct QueueOptions {
  RetryPolicy default_policy;
  std::map<std::string, RetryPolicy> policies;  // by job type
  int64_t failed_retention_count = 10'000;
  Millis failed_retention_age{7LL * 24 * 3600 * 1000};
  int64_t completed_retention_count = 10'000;
  int64_t prune_chunk = 256;  // finished jobs deleted per write by retention
  Millis completed_retention_age{3600 * 1000};
  JobObserver* observer = nullptr;  // told of every add (OnEnqueued); not owned

  const RetryPolicy& PolicyFor(const std::string& type) const {
    auto it = policies.find(type);
    return it == policies.end() ? default_policy : it->second;
  }
};

}  // namespace cancelflow::queue
