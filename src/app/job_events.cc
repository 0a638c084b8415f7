#include "app/job_events.h"

#include "core/json_util.h"

namespace cancelflow::app {

using queue::JobState;

void JobEvents::OnEnqueued(const std::vector<queue::Job>& jobs) {
  for (const auto& j : jobs) {
    bus_.Publish("job.enqueued", j.id,
                 {{"type", j.type},
                  {"priority", j.priority},
                  {"runAt", FormatRfc3339(j.run_at)},
                  {"maxAttempts", j.max_attempts}});
  }
}

void JobEvents::OnStarted(const queue::Job& job) {
  bus_.Publish("job.started", job.id, {{"type", job.type}, {"attempt", job.attempts}});
}

void JobEvents::OnFinished(const queue::JobTransition& t) {
  boost::json::object data{{"type", t.type}, {"attempt", t.attempts}, {"maxAttempts", t.max_attempts}};
  if (t.duration) data["durationMs"] = t.duration->count();
  if (!t.error.ok()) {
    data["error"] = ErrorJson(t.error);
  }
  switch (t.state) {
    case JobState::kCompleted:
      bus_.Publish("job.completed", t.job_id, std::move(data));
      break;
    case JobState::kDelayed:
    case JobState::kWaiting:
      data["retryAt"] = FormatRfc3339(t.run_at);
      bus_.Publish("job.retrying", t.job_id, std::move(data));
      break;
    case JobState::kFailed:
      bus_.Publish("job.failed", t.job_id, std::move(data));
      break;
    case JobState::kActive:
      break;
  }
}

}  // namespace cancelflow::app
