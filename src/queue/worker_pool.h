// WorkerPool: runs the processors of job types on a fixed number of threads.
//
// One worker at a time claims a batch for everybody (Claim of up to
// max(2·concurrency, 32) jobs less those running, so the next jobs are ready
// while the current ones run). Finished jobs are reported in batches by
// whichever worker finds no report in flight (Complete); that worker then
// tells the observer about its batch while another may already report the
// next one. An idle pool sleeps until the queue's ready callback, the next
// delayed job's due time or the idle tick (JOB_PROCESSING_INTERVAL), whichever
// comes first, so a new job starts within milliseconds.
//
// A maintenance thread extends the leases of running jobs and runs the queue's
// maintenance (delayed promotion, stalled-job recovery, retention).
//
// A job whose type has no registered processor fails as a configuration error
// (it lands in the failed store; the jobs behind it keep flowing). A processor
// that throws fails its job as a temporary error.
//
// Shutdown (Stop) has two steps: stop claiming and give back claimed jobs not
// started; wait up to `grace` for running jobs; then ask the rest to stop
// (their stop_token) and give them back to the queue. No job is lost.
//
// Thread-safety: Register before Start; Start/Stop from one controlling thread.
//
// Invariants:
//  1. At most one worker is inside Claim (fetching_), and at most one inside
//     Complete (flushing_); observers may be called from several at once.
//  2. Every claimed job is either run and reported, or released.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "queue/job_observer.h"
#include "queue/job_queue.h"

namespace cancelflow::queue {

// A processor: OK, or an error whose class decides what happens next.
// `stop` is requested when the pool shuts down past its grace period.
using JobHandler = std::function<Status(const Job& job, std::stop_token stop)>;

struct WorkerPoolOptions {
  int concurrency = 8;
  int max_claim = 128;  // upper bound of one claim
  Millis lease{30'000};
  Millis idle_wait{1000};  // JOB_PROCESSING_INTERVAL
  std::string worker_id;   // unset: a new "wkr_…" id
};

class WorkerPool {
 public:
  WorkerPool(JobQueue& queue, Clock& clock, WorkerPoolOptions options, JobObserver* observer = nullptr);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Register(const std::string& type, JobHandler handler);
  void Start();
  void Stop(Millis grace);

  const std::string& worker_id() const { return options_.worker_id; }
  uint64_t processed() const { return processed_.load(); }

 private:
  struct Claimed {
    Job job;
    std::stop_token stop;
  };

  void WorkerLoop();
  void MaintenanceLoop();
  std::optional<Claimed> NextJob();
  Status Run(const Job& job, std::stop_token stop);
  void Finish(JobResult result);
  void Report(const std::vector<JobTransition>& transitions);
  void Wake();

  JobQueue& queue_;
  Clock& clock_;
  WorkerPoolOptions options_;
  JobObserver* observer_;
  std::map<std::string, JobHandler> handlers_;  // written before Start only

  std::mutex mu_;
  std::condition_variable cv_;       // buffer filled or fetch done; while stopping, also a job or report done
  std::condition_variable idle_cv_;  // the idle fetcher: a job was added, or shutdown
  std::condition_variable maintenance_cv_;  // the maintenance thread: shutdown
  std::deque<Job> buffer_;                                // claimed, not started; guarded by mu_
  std::map<std::string, std::stop_source> running_;      // guarded by mu_
  std::vector<JobResult> done_;                           // not yet reported; guarded by mu_
  bool fetching_ = false;                                 // guarded by mu_
  bool flushing_ = false;                                 // guarded by mu_
  bool wake_ = false;                                     // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  bool maintenance_stop_ = false;                         // guarded by mu_
  bool started_ = false;

  std::vector<std::thread> workers_;
  std::thread maintenance_;
  std::atomic<uint64_t> processed_{0};
};

}  // namespace cancelflow::queue
