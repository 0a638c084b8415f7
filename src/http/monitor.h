// Monitor: the system-monitoring answers behind both the REST routes
// (GET /v1/system/…) and the tRPC adapter (systemMonitoring.*), so the two can
// never disagree (API.md, "System monitoring"). Each method returns the REST
// shape; the tRPC adapter reshapes where the seed's frontend wants its own.
// Thread-safe; methods block on the store and queue (worker threads only).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "queue/job_queue.h"
#include "realtime/hub.h"
#include "store/store.h"

namespace cancelflow::http {

struct MonitorDeps {
  store::Store& store;
  queue::JobQueue& queue;
  realtime::Hub& hub;
  Clock& clock;
  std::string queue_backend;  // "sqlite" | "redis"
  TimePoint started_at;
};

class Monitor {
 public:
  explicit Monitor(MonitorDeps deps) : d_(std::move(deps)) {}

  // One check: the answer (DeadlineExceeded after 2 s) and how long it took.
  struct Probe {
    cancelflow::Status status;
    double latency_ms = 0;
  };
  // The checks behind both readiness and status: the database answers, the job
  // queue answers, the audit trail takes writes. Run afresh on every call.
  struct Probes {
    Probe database, job_queue, event_bus;
  };
  Probes RunProbes();

  // GET /readyz: 200 {status: "ready", checks}, or 503 naming the first failing check.
  std::pair<int, boost::json::object> Readiness();

  // {status, checks: {database, jobQueue, eventBus, realtime}, version, uptimeSeconds, timestamp}.
  // The probes of the checks run at most once per second (kProbeInterval); callers in
  // between share the last result, so a dashboard or load balancer polling
  // hard costs the database nothing more.
  boost::json::object Status();
  Result<boost::json::object> JobStats();
  Result<boost::json::array> FailedJobs(int limit);  // payloads redacted
  Result<boost::json::object> RetryJob(const std::string& job_id);
  Result<int64_t> ClearFailedJobs();
  // timeframe: hour | day | week | month.
  Result<boost::json::object> Metrics(const std::string& timeframe);
  boost::json::object Realtime(bool with_users);
  // Newest first; `user_id` set: only that user's events.
  Result<boost::json::array> Events(const std::optional<std::string>& user_id, int limit,
                                    const std::vector<std::string>& action_globs);
  Result<std::map<std::string, int64_t>> WorkflowCounts();

  Clock& clock() { return d_.clock; }

 private:
  boost::json::object ProbeChecks(bool& db_ok, bool& healthy);

  MonitorDeps d_;
  std::mutex probe_mu_;
  struct CheckedAt {  // the status page's checks, as last probed
    boost::json::object checks;
    bool db_ok = false;
    bool healthy = false;
    TimePoint at;
  };
  std::optional<CheckedAt> checked_;  // guarded by probe_mu_
};

// The duration of a timeframe name, or nullopt.
std::optional<Millis> TimeframeLength(std::string_view timeframe);

}  // namespace cancelflow::http
