#include "http/trpc_procedures.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "http/fields.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

// One service of systemStatus, as the seed's dashboard reads it.
json::object Service(const char* status, json::value data, json::value error = nullptr) {
  return {{"status", status}, {"error", std::move(error)}, {"data", std::move(data)}};
}

int64_t Int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

struct TrpcProcedures::Procedure {
  std::string_view name;
  Kind kind;
  Need need;
  Result<json::value> (TrpcProcedures::*run)(const Caller&, const json::object&);
};

const TrpcProcedures::Procedure* TrpcProcedures::Find(const std::string& name) {
  static const Procedure kProcedures[] = {
      {"health", Kind::kQuery, Need::kPublic, &TrpcProcedures::Health},
      {"systemStatus", Kind::kQuery, Need::kUser, &TrpcProcedures::SystemStatus},
      {"jobQueueStats", Kind::kQuery, Need::kAdmin, &TrpcProcedures::JobQueueStats},
      {"workflowStats", Kind::kQuery, Need::kAdmin, &TrpcProcedures::WorkflowStats},
      {"realtimeStats", Kind::kQuery, Need::kUser, &TrpcProcedures::RealtimeStats},
      {"userConnections", Kind::kQuery, Need::kUser, &TrpcProcedures::UserConnections},
      {"systemMetrics", Kind::kQuery, Need::kAdmin, &TrpcProcedures::SystemMetrics},
      {"retryFailedJob", Kind::kMutation, Need::kAdmin, &TrpcProcedures::RetryFailedJob},
      {"clearFailedJobs", Kind::kMutation, Need::kAdmin, &TrpcProcedures::ClearFailedJobs},
      {"recentEvents", Kind::kQuery, Need::kUser, &TrpcProcedures::RecentEvents},
  };
  for (const auto& p : kProcedures) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<json::value> TrpcProcedures::Run(const std::string& name, Kind kind, const Caller& caller,
                                        const json::value& input) {
  const Procedure* p = Find(name);
  if (p == nullptr)
    return NotFound(fmt::format("No procedure found on path \"systemMonitoring.{}\"", name));
  if (p->kind != kind) {
    return FailedPrecondition(fmt::format("Unsupported {} on systemMonitoring.{}",
                                          kind == Kind::kQuery ? "GET" : "POST", name))
        .WithReason("METHOD_NOT_SUPPORTED");
  }
  if (p->need != Need::kPublic) {
    if (!caller.user) return caller.auth_error;
    if (p->need == Need::kAdmin && caller.user->role != "admin") {
      return PermissionDenied("this procedure is for admins");
    }
  }
  if (!input.is_null() && !input.is_object()) return InvalidArgument("input must be an object");
  static const json::object kNoInput;
  return (this->*p->run)(caller, input.is_object() ? input.as_object() : kNoInput);
}

Result<json::value> TrpcProcedures::Health(const Caller&, const json::object&) {
  const bool db = store_.Ping().ok();
  return json::value{
      {"status", db ? "healthy" : "unhealthy"},
      {"timestamp", FormatRfc3339(clock_.Now())},
      {"services", {{"database", db ? "healthy" : "unhealthy"}, {"api", "healthy"}}}};
}

Result<json::value> TrpcProcedures::SystemStatus(const Caller&, const json::object&) {
  json::object st = monitor_.Status();
  const json::object& checks = st["checks"].as_object();
  auto check = [&](const char* key) {
    const json::object& ch = checks.at(key).as_object();
    const bool ok = ch.at("status") == "healthy";
    return Service(ok ? "healthy" : "unhealthy", ch,
                   ok                     ? json::value(nullptr)
                   : ch.contains("error") ? ch.at("error")
                                          : json::value("unhealthy"));
  };
  const auto counts = monitor_.WorkflowCounts();
  json::object workflows;
  if (counts.ok()) {
    for (const auto& [k, v] : *counts) workflows[k] = v;
  }
  return json::value{
      {"overall", st["status"]},
      {"timestamp", st["timestamp"]},
      {"services",
       {{"database", check("database")},
        {"jobQueue", check("jobQueue")},
        {"jobProcessors", Service("healthy", json::object{{"running", true}})},
        {"workflowEngine", counts.ok() ? Service("healthy", workflows)
                                       : Service("unhealthy", nullptr,
                                                 json::string(CodeName(counts.status().code())))},
        {"realtime", Service("healthy", checks.at("realtime"))}}}};
}

Result<json::value> TrpcProcedures::JobQueueStats(const Caller&, const json::object&) {
  auto stats = monitor_.JobStats();
  if (!stats) return stats.status();
  auto failed = monitor_.FailedJobs(10);
  if (!failed) return failed.status();
  json::array failed_jobs;
  for (const auto& j : *failed) {
    const json::object& o = j.as_object();
    failed_jobs.push_back({{"id", o.at("id")},
                           {"type", o.at("type")},
                           {"attempts", o.at("attempts")},
                           {"maxAttempts", o.at("maxAttempts")},
                           {"createdAt", o.at("createdAt")},
                           {"error", o.at("lastError")}});
  }
  const int64_t waiting = Int(*stats, "waiting"), active = Int(*stats, "active"),
                completed = Int(*stats, "completed"), failed_n = Int(*stats, "failed"),
                delayed = Int(*stats, "delayed");
  return json::value{{"stats",
                      {{"total", waiting + active + completed + failed_n + delayed},
                       {"pending", waiting},
                       {"processing", active},
                       {"completed", completed},
                       {"failed", failed_n},
                       {"delayed", delayed}}},
                     {"failedJobs", std::move(failed_jobs)}};
}

Result<json::value> TrpcProcedures::WorkflowStats(const Caller&, const json::object&) {
  auto counts = monitor_.WorkflowCounts();
  if (!counts) return counts.status();
  auto n = [&](const char* s) { return counts->contains(s) ? counts->at(s) : 0; };
  int64_t total = 0;
  for (const auto& [k, v] : *counts) total += v;
  return json::value{{"totalWorkflows", total},
                     {"running", n("pending") + n("running") + n("waiting")},
                     {"completed", n("completed")},
                     {"failed", n("failed") + n("timed_out")},
                     {"cancelled", n("aborted")}};
}

Result<json::value> TrpcProcedures::RealtimeStats(const Caller&, const json::object&) {
  json::object o = monitor_.Realtime(false);
  o["activeConnections"] = o["connections"];
  return json::value(std::move(o));
}

Result<json::value> TrpcProcedures::UserConnections(const Caller& caller, const json::object&) {
  json::array connections;
  for (const auto& ci : hub_.Connections(caller.user->id)) {
    connections.push_back({{"id", ci.id},
                           {"connectionId", ci.id},
                           {"userId", ci.user_id},
                           {"connectedAt", FormatRfc3339(ci.connected_at)},
                           {"lastActivity", FormatRfc3339(ci.last_activity)}});
  }
  // Unread: stored notifications newer than the newest one a stream delivered.
  auto unread = store_.CountNotifications(caller.user->id, hub_.LastDelivered(caller.user->id));
  if (!unread) return unread.status();
  return json::value{{"connections", std::move(connections)}, {"unreadNotifications", *unread}};
}

Result<json::value> TrpcProcedures::SystemMetrics(const Caller&, const json::object& in) {
  Fields f(in);
  const std::string timeframe =
      f.Enum("timeframe", {"hour", "day", "week", "month"}).value_or("day");
  CF_RETURN_IF_ERROR(f.Finish());
  auto m = monitor_.Metrics(timeframe);
  if (!m) return m.status();
  const json::object& cx = m->at("cancellations").as_object();
  const int64_t jobs_completed = Int(m->at("jobs").as_object(), "completed");
  const int64_t jobs_failed = Int(m->at("jobs").as_object(), "failed");
  const int64_t ops = jobs_completed + jobs_failed;
  return json::value{
      {"timeframe", timeframe},
      {"period", m->at("period")},
      {"cancellations",
       {{"total", cx.at("requested")},
        {"completed", cx.at("completed")},
        {"failed", cx.at("failed")},
        {"pending", cx.at("pending")},
        {"manual", cx.at("manual")},
        {"successRate", cx.at("successRate")}}},
      {"system",
       {{"totalOperations", ops},
        {"failedOperations", jobs_failed},
        {"errorRate", ops ? static_cast<double>(jobs_failed) / static_cast<double>(ops) : 0.0}}}};
}

Result<json::value> TrpcProcedures::RetryFailedJob(const Caller&, const json::object& in) {
  Fields f(in);
  const std::string job_id = f.RequiredString("jobId", 128);
  CF_RETURN_IF_ERROR(f.Finish());
  auto job = monitor_.RetryJob(job_id);
  if (!job) {
    if (job.status().code() == Code::kNotFound ||
        job.status().code() == Code::kFailedPrecondition) {
      return NotFound("Job not found or not in failed state");
    }
    return job.status();
  }
  return json::value{{"success", true}, {"jobId", job_id}};
}

Result<json::value> TrpcProcedures::ClearFailedJobs(const Caller&, const json::object&) {
  auto cleared = monitor_.ClearFailedJobs();
  if (!cleared) return cleared.status();
  return json::value{{"success", true}, {"clearedCount", *cleared}};
}

Result<json::value> TrpcProcedures::RecentEvents(const Caller& caller, const json::object& in) {
  Fields f(in);
  const auto limit = f.Number("limit");
  const json::array* actions = f.Array("actions");
  CF_RETURN_IF_ERROR(f.Finish());
  if (limit && (*limit < 1 || *limit > 100 || *limit != static_cast<int>(*limit))) {
    return FieldError("limit", "must be an integer from 1 to 100");
  }
  std::vector<std::string> globs;
  if (actions) {
    for (const auto& a : *actions) {
      if (!a.is_string()) return FieldError("actions", "must be an array of strings");
      globs.emplace_back(a.as_string());
    }
  }
  std::optional<std::string> only;
  if (caller.user->role != "admin") only = caller.user->id;
  auto events = monitor_.Events(only, limit ? static_cast<int>(*limit) : 20, globs);
  if (!events) return events.status();
  json::array out;
  for (const auto& e : *events) {
    const json::object& o = e.as_object();
    const json::value& meta = o.at("metadata");
    const json::value* err = meta.is_object() ? meta.as_object().if_contains("error") : nullptr;
    out.push_back({{"id", o.at("id")},
                   {"action", o.at("action")},
                   {"result", o.at("result")},
                   {"timestamp", o.at("timestamp")},
                   {"userId", o.at("userId")},
                   {"resource", o.at("resource")},
                   {"error", err ? *err : json::value(nullptr)},
                   {"metadata", meta}});
  }
  return json::value(std::move(out));
}

}  // namespace cancelflow::http
