// JobObserver: hears what happens to jobs, so the application can turn it into
// events (job.enqueued, job.started, job.completed, job.retrying, job.failed)
// without the queue depending on the event bus.
//
// Callbacks run on queue and worker threads, after the change committed; they
// must be quick and must not call back into the queue synchronously.
#pragma once

#include <vector>

#include "queue/job.h"

namespace cancelflow::queue {

class JobObserver {
 public:
  virtual ~JobObserver() = default;
  virtual void OnEnqueued(const std::vector<Job>& /*jobs*/) {}
  virtual void OnStarted(const Job& /*job*/) {}
  // A Complete verdict or a lease recovery; `lost` transitions are not reported.
  virtual void OnFinished(const JobTransition& /*transition*/) {}
};

// Passes every call on to several observers, in order. Not owning.
class JobObservers final : public JobObserver {
 public:
  void Add(JobObserver* o) { observers_.push_back(o); }
  void OnEnqueued(const std::vector<Job>& jobs) override {
    for (auto* o : observers_) o->OnEnqueued(jobs);
  }
  void OnStarted(const Job& job) override {
    for (auto* o : observers_) o->OnStarted(job);
  }
  void OnFinished(const JobTransition& t) override {
    for (auto* o : observers_) o->OnFinished(t);
  }

 private:
  std::vector<JobObserver*> observers_;
};

}  // namespace cancelflow::queue
