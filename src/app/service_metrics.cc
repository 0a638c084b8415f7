#include "app/service_metrics.h"

namespace cancelflow::app {

namespace {

const std::vector<double>& WorkflowBuckets() {
  static const std::vector<double> kBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                              5,    10,   30,  60,   300, 3600};
  return kBounds;
}

const char* OutcomeOf(const queue::JobTransition& t) {
  switch (t.state) {
    case queue::JobState::kCompleted:
      return "completed";
    case queue::JobState::kDelayed:
      return "retrying";
    case queue::JobState::kWaiting:
      return "recovered";
    case queue::JobState::kFailed:
      return "failed";
    default:
      return "other";
  }
}

}  // namespace

ServiceMetrics::ServiceMetrics(MetricsRegistry& registry, events::EventBus& bus,
                               queue::JobQueue& queue, realtime::Hub& hub)
    : registry_(registry) {
  events_ = bus.Subscribe("*", [this](const events::Event& e) {
    registry_
        .GetCounter("cancelflow_events_published_total", "Events published on the bus by type",
                    {{"type", e.type}})
        .Add();
  });
  registry_.AddGaugeCallback("cancelflow_queue_jobs", "Jobs in the queue by state", [&queue] {
    std::vector<std::pair<Labels, double>> out;
    if (auto s = queue.GetStats(); s.ok()) {
      out.push_back({{{"state", "waiting"}}, static_cast<double>(s->waiting)});
      out.push_back({{{"state", "delayed"}}, static_cast<double>(s->delayed)});
      out.push_back({{{"state", "active"}}, static_cast<double>(s->active)});
      out.push_back({{{"state", "completed"}}, static_cast<double>(s->completed)});
      out.push_back({{{"state", "failed"}}, static_cast<double>(s->failed)});
    }
    return out;
  });
  registry_.AddGaugeCallback(
      "cancelflow_sse_connections", "Open realtime (SSE) connections", [&hub] {
        return std::vector<std::pair<Labels, double>>{{{}, static_cast<double>(hub.connections())}};
      });
}

void ServiceMetrics::OnFinished(const queue::JobTransition& t) {
  registry_
      .GetCounter("cancelflow_jobs_total", "Job attempts finished, by type and outcome",
                  {{"type", t.type}, {"outcome", OutcomeOf(t)}})
      .Add();
  if (t.duration) {
    registry_
        .GetHistogram("cancelflow_job_duration_seconds", "Job processing time by type",
                      {{"type", t.type}})
        .Observe(std::chrono::duration<double>(*t.duration).count());
  }
}

void ServiceMetrics::OnWorkflowFinished(store::WriteSet& set, const store::WorkflowInstance& w) {
  const TimePoint end = w.finished_at.value_or(w.updated_at);
  const double seconds = std::chrono::duration<double>(end - w.created_at).count();
  set.AfterCommit([this, definition = w.definition, status = w.status, seconds] {
    registry_
        .GetHistogram("cancelflow_workflow_duration_seconds",
                      "Workflow run time by definition and final status",
                      {{"definition", definition}, {"status", status}}, WorkflowBuckets())
        .Observe(seconds);
  });
}

}  // namespace cancelflow::app
