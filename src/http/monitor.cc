#include "http/monitor.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "core/deadline.h"
#include "events/redactor.h"
#include "http/views.h"
#include "queue/job_json.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

// A probe's answer as the status page shows it.
json::object CheckView(const Monitor::Probe& p) {
  json::object o{{"status", p.status.ok() ? "healthy" : "unhealthy"},
                 {"latencyMs", std::round(p.latency_ms * 100) / 100}};
  if (!p.status.ok()) o["error"] = std::string(CodeName(p.status.code()));
  return o;
}

int64_t Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

std::optional<Millis> TimeframeLength(std::string_view t) {
  constexpr int64_t kHour = 3600'000;
  if (t == "hour") return Millis(kHour);
  if (t == "day") return Millis(24 * kHour);
  if (t == "week") return Millis(7 * 24 * kHour);
  if (t == "month") return Millis(30 * 24 * kHour);
  return std::nullopt;
}

Monitor::Probes Monitor::RunProbes() {
  // A stuck database must not hang a probe: each has a deadline.
  constexpr Millis kProbeTimeout{2000};
  auto probe = [](const std::function<cancelflow::Status()>& check) {
    const auto start = std::chrono::steady_clock::now();
    Probe p{CallWithDeadline(check, kProbeTimeout)};
    p.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return p;
  };
  return {probe([this] { return d_.store.Ping(); }), probe([this] { return d_.queue.Health(); }),
          // In one process the bus itself cannot fail; what can is the audit trail every
          // event is written to, so the probe waits for the audit writes queued so far.
          probe([this] { return d_.store.FlushAudit(); })};
}

std::pair<int, json::object> Monitor::Readiness() {
  const Probes probes = RunProbes();
  json::object checks;
  std::string failing;
  auto check = [&](const char* name, const Probe& p) {
    checks[name] = p.status.ok() ? json::object{{"status", "ok"}}
                                 : json::object{{"status", "failing"},
                                                {"error", std::string(CodeName(p.status.code()))}};
    if (!p.status.ok() && failing.empty()) failing = name;
  };
  check("database", probes.database);
  check("jobQueue", probes.job_queue);
  check("eventBus", probes.event_bus);
  json::object body{{"status", failing.empty() ? "ready" : "unavailable"}, {"checks", std::move(checks)}};
  if (!failing.empty()) body["failing"] = failing;
  return {failing.empty() ? 200 : 503, std::move(body)};
}

json::object Monitor::ProbeChecks(bool& db_ok, bool& healthy) {
  const Probes probes = RunProbes();
  json::object checks;
  checks["database"] = CheckView(probes.database);
  json::object queue{{"backend", d_.queue_backend}};
  bool queue_ok = false;
  if (auto stats = d_.queue.GetStats(); stats.ok()) {
    queue_ok = probes.job_queue.status.ok();
    queue["status"] = queue_ok ? "healthy" : "unhealthy";
    queue["waiting"] = stats->waiting;
    queue["active"] = stats->active;
    queue["delayed"] = stats->delayed;
    queue["failed"] = stats->failed;
    queue["oldestWaitingMs"] = stats->oldest_waiting_ms;
  } else {
    queue["status"] = "unhealthy";
    queue["error"] = std::string(CodeName(stats.status().code()));
  }
  checks["jobQueue"] = std::move(queue);
  checks["eventBus"] = CheckView(probes.event_bus);
  db_ok = probes.database.status.ok();
  healthy = queue_ok && probes.event_bus.status.ok();
  return checks;
}

json::object Monitor::Status() {
  constexpr Millis kProbeInterval{1000};
  const TimePoint now = d_.clock.Now();
  CheckedAt probe;
  {
    std::lock_guard lock(probe_mu_);
    if (!checked_ || now - checked_->at >= kProbeInterval) {
      checked_ = CheckedAt{};
      checked_->checks = ProbeChecks(checked_->db_ok, checked_->healthy);
      checked_->at = now;
    }
    probe = *checked_;
  }
  probe.checks["realtime"] = {{"status", "healthy"}, {"connections", d_.hub.connections()}};
  const char* status = !probe.db_ok ? "unhealthy" : probe.healthy ? "healthy" : "degraded";
  return {{"status", status},
          {"checks", std::move(probe.checks)},
          {"version", CANCELFLOW_VERSION},
          {"uptimeSeconds",
           std::chrono::duration_cast<std::chrono::seconds>(now - d_.started_at).count()},
          {"timestamp", FormatRfc3339(now)}};
}

Result<json::object> Monitor::JobStats() {
  auto stats = d_.queue.GetStats();
  if (!stats) return stats.status();
  return queue::StatsToJson(*stats);
}

Result<json::array> Monitor::FailedJobs(int limit) {
  auto jobs = d_.queue.GetFailedJobs(limit);
  if (!jobs) return jobs.status();
  json::array items;
  for (const auto& j : *jobs) {
    items.push_back(
        {{"id", j.id},
         {"type", j.type},
         {"attempts", j.attempts},
         {"maxAttempts", j.max_attempts},
         {"lastError", j.last_error ? json::value(*j.last_error) : json::value(nullptr)},
         {"errors", ParsedOr(j.errors, json::array{})},
         {"createdAt", FormatRfc3339(j.created_at)},
         {"failedAt", TimeOrNull(j.finished_at)},
         {"payload", events::Redact(ParsedOr(j.payload, json::object{}))}});
  }
  return items;
}

Result<json::object> Monitor::RetryJob(const std::string& job_id) {
  auto job = d_.queue.RetryFailedJob(job_id);
  if (!job) return job.status();
  json::object o = queue::JobToJson(*job);
  o["payload"] = events::Redact(o["payload"]);
  return o;
}

Result<int64_t> Monitor::ClearFailedJobs() { return d_.queue.ClearFailedJobs(); }

Result<json::object> Monitor::Metrics(const std::string& timeframe) {
  const auto length = TimeframeLength(timeframe);
  if (!length)
    return InvalidArgument("timeframe: must be hour, day, week or month").WithReason("timeframe");
  const TimePoint end = d_.clock.Now();
  const TimePoint start = end - *length;
  auto facts = d_.store.CancellationFacts(start, end);
  if (!facts) return facts.status();
  // Twelve to thirty buckets whatever the timeframe: 5 min, 1 h, 6 h, 1 day.
  const Millis bucket = timeframe == "hour"   ? Millis(300'000)
                        : timeframe == "day"  ? Millis(3600'000)
                        : timeframe == "week" ? Millis(6 * 3600'000)
                                              : Millis(24 * 3600'000);
  const size_t buckets = static_cast<size_t>((*length + bucket - Millis(1)) / bucket);
  struct Counts {
    int64_t requested = 0, completed = 0, failed = 0, manual = 0, pending = 0;
  };
  Counts total;
  std::vector<Counts> series(buckets);
  std::map<std::string, std::pair<int64_t, int64_t>> by_method, by_provider;  // finished, completed
  std::vector<int64_t> durations;
  for (const auto& f : *facts) {
    Counts& b = series[std::min(buckets - 1, static_cast<size_t>((f.created_at - start) / bucket))];
    for (Counts* c : {&total, &b}) {
      ++c->requested;
      if (f.status == "completed") ++c->completed;
      if (f.status == "failed") ++c->failed;
      if (f.status == "manual_required") ++c->manual;
      if (f.status == "pending" || f.status == "scheduled" || f.status == "processing")
        ++c->pending;
    }
    const bool finished =
        f.status == "completed" || f.status == "failed" || f.status == "manual_required";
    if (finished) {
      const int64_t ok = f.status == "completed" ? 1 : 0;
      auto& m = by_method[f.method.value_or("none")];
      m.first += 1;
      m.second += ok;
      auto& p = by_provider[f.provider];
      p.first += 1;
      p.second += ok;
    }
    if (f.status == "completed" && f.completed_at)
      durations.push_back((*f.completed_at - f.created_at).count());
  }
  auto rates = [](const std::map<std::string, std::pair<int64_t, int64_t>>& m) {
    json::object o;
    for (const auto& [k, v] : m) {
      o[k] = {{"finished", v.first},
              {"completed", v.second},
              {"successRate",
               v.first ? static_cast<double>(v.second) / static_cast<double>(v.first) : 0.0}};
    }
    return o;
  };
  json::array points;
  for (size_t i = 0; i < buckets; ++i) {
    points.push_back({{"start", FormatRfc3339(start + bucket * static_cast<int64_t>(i))},
                      {"requested", series[i].requested},
                      {"completed", series[i].completed},
                      {"failed", series[i].failed},
                      {"manual", series[i].manual}});
  }
  int64_t jobs_completed = 0, jobs_failed = 0;
  if (auto stats = d_.queue.GetStats(); stats.ok()) {
    jobs_completed = stats->completed;
    jobs_failed = stats->failed;
  }
  const int64_t finished = total.completed + total.failed + total.manual;
  return json::object{
      {"timeframe", timeframe},
      {"period", {{"start", FormatRfc3339(start)}, {"end", FormatRfc3339(end)}}},
      {"cancellations",
       {{"requested", total.requested},
        {"completed", total.completed},
        {"failed", total.failed},
        {"manual", total.manual},
        {"pending", total.pending},
        {"successRate",
         finished ? static_cast<double>(total.completed) / static_cast<double>(finished) : 0.0}}},
      {"successRateByMethod", rates(by_method)},
      {"successRateByProvider", rates(by_provider)},
      {"timeToCompletionMs",
       {{"p50", Percentile(durations, 0.50)}, {"p95", Percentile(durations, 0.95)}}},
      {"jobs", {{"completed", jobs_completed}, {"failed", jobs_failed}}},
      {"series", std::move(points)},
  };
}

json::object Monitor::Realtime(bool with_users) {
  const realtime::HubStats s = d_.hub.Stats();
  json::object o{{"connections", s.connections},
                 {"users", s.users},
                 {"sentLastMinute", s.sent_last_minute},
                 {"droppedSlowConsumers", s.dropped_slow_consumers}};
  if (with_users) {
    json::object by_user;
    for (const auto& [u, n] : s.by_user) by_user[u] = n;
    o["byUser"] = std::move(by_user);
  }
  return o;
}

Result<json::array> Monitor::Events(const std::optional<std::string>& user_id, int limit,
                                    const std::vector<std::string>& action_globs) {
  store::AuditQuery q;
  q.user_id = user_id;
  q.action_globs = action_globs;
  q.limit = limit;
  auto rows = d_.store.QueryAudit(q);
  if (!rows) return rows.status();
  return ViewsOf(*rows, AuditView);
}

Result<std::map<std::string, int64_t>> Monitor::WorkflowCounts() {
  return d_.store.CountWorkflowsByStatus();
}

}  // namespace cancelflow::http
