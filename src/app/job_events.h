// JobEvents: turns what the queue and the worker pool report into job.* events
// on the bus (job.enqueued, job.started, job.completed, job.retrying,
// job.failed), so they reach the audit log and subscribers.
#pragma once

#include "events/event_bus.h"
#include "queue/job_observer.h"

namespace cancelflow::app {

class JobEvents final : public queue::JobObserver {
 public:
  explicit JobEvents(events::EventBus& bus) : bus_(bus) {}

  void OnEnqueued(const std::vector<queue::Job>& jobs) override;
  void OnStarted(const queue::Job& job) override;
  void OnFinished(const queue::JobTransition& t) override;

 private:
  events::EventBus& bus_;
};

}  // namespace cancelflow::app
