// ServiceMetrics: feeds the Prometheus registry from the running service —
// jobs by type and outcome with their processing time (a JobObserver),
// workflow durations by definition and status (a WorkflowObserver), events
// published by type (a bus subscription), and, read at scrape time, queue
// depth by state and open SSE connections. HTTP requests are counted by the
// Api itself. Thread-safe.
#pragma once

#include "core/metrics.h"
#include "events/event_bus.h"
#include "queue/job_observer.h"
#include "queue/job_queue.h"
#include "realtime/hub.h"
#include "workflow/workflow_engine.h"

namespace cancelflow::app {

class ServiceMetrics final : public queue::JobObserver, public workflow::WorkflowObserver {
 public:
  ServiceMetrics(MetricsRegistry& registry, events::EventBus& bus, queue::JobQueue& queue,
                 realtime::Hub& hub);

  void OnFinished(const queue::JobTransition& t) override;
  void OnWorkflowFinished(store::WriteSet& set, const store::WorkflowInstance& w) override;

 private:
  MetricsRegistry& registry_;
  events::EventBus::Subscription events_;
};

}  // namespace cancelflow::app
