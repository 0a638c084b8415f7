// Api route: /api/trpc/systemMonitoring.<procedure> — the seed's ten
// monitoring procedures over the tRPC v11 HTTP protocol (API.md, "tRPC
// compatibility"), answered by the same Monitor as the REST routes. GET runs
// queries (?input=), POST mutations (JSON body); ?batch=1 takes several
// comma-separated paths with inputs keyed "0", "1", … and answers an array
// (HTTP 207 when the statuses differ).
#include <boost/json.hpp>
#include <fmt/format.h>

#include "http/api.h"
#include "http/fields.h"
#include "http/trpc.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

enum class Kind { kQuery, kMutation };


json::object Service(const char* status, json::value data, json::value error = nullptr) {
  return {{"status", status}, {"error", std::move(error)}, {"data", std::move(data)}};
}

int64_t Int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// The procedure's input object; BAD_REQUEST for anything but an object or nothing.
Result<json::object> InputObject(const json::value& input) {
  if (input.is_null()) return json::object{};
  if (!input.is_object()) return InvalidArgument("input must be an object");
  return input.as_object();
}

}  // namespace

Response Api::Trpc(Call& c) {
  const bool superjson = d_.config.trpc_transformer == "superjson";
  QueryFields q(c.req.query);
  const bool batch = q.String("batch").value_or("0") == "1";
  const auto input_text = q.String("input");

  // Paths and their inputs.
  std::vector<std::string> paths;
  for (size_t i = 0; i <= c.params[0].size();) {
    const size_t comma = std::min(c.params[0].find(',', i), c.params[0].size());
    paths.push_back(c.params[0].substr(i, comma - i));
    i = comma + 1;
  }
  const Kind kind = c.req.method == "POST" ? Kind::kMutation : Kind::kQuery;
  json::value inputs;
  std::optional<Status> parse_error;
  if (const std::string& text = kind == Kind::kMutation ? c.req.body : input_text.value_or(""); !text.empty()) {
    boost::system::error_code ec;
    inputs = json::parse(text, ec);
    if (ec) parse_error = InvalidArgument("input is not valid JSON");
  }
  if (!batch && paths.size() > 1) parse_error = InvalidArgument("several procedures need ?batch=1");

  // The caller, if a token came: procedures decide what they need.
  std::optional<store::User> user;
  Status auth_error = Unauthenticated("a bearer token is required");
  if (!BearerToken(c.req).empty()) {
    auto u = auth_.Authenticate(BearerToken(c.req));
    if (u.ok()) {
      if (auto wait = limiter_.Take(u->id)) return RateLimited(*wait);
      user = *u;
    } else {
      auth_error = u.status();
    }
  }

  auto run = [&](const std::string& path, const json::value& raw_input) -> Result<json::value> {
    if (parse_error) return *parse_error;
    constexpr std::string_view kPrefix = "systemMonitoring.";
    const std::string name = path.rfind(kPrefix, 0) == 0 ? path.substr(kPrefix.size()) : "";
    const json::value input = superjson ? trpc::SuperjsonUnwrap(raw_input) : raw_input;
    enum class Need { kPublic, kUser, kAdmin };
    auto access = [&](Need need) -> Status {
      if (need == Need::kPublic) return Status::Ok();
      if (!user) return auth_error;
      if (need == Need::kAdmin && user->role != "admin") return PermissionDenied("this procedure is for admins");
      return Status::Ok();
    };
    auto expect = [&](Kind want, Need need) -> Status {
      if (want != kind) {
        return Status(Code::kFailedPrecondition,
                      fmt::format("Unsupported {} on {}", kind == Kind::kQuery ? "GET" : "POST", path))
            .WithReason("METHOD_NOT_SUPPORTED");
      }
      return access(need);
    };
    if (name == "health") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kPublic));
      const bool db = d_.store.Ping().ok();
      return json::value{{"status", db ? "healthy" : "unhealthy"},
                         {"timestamp", FormatRfc3339(d_.clock.Now())},
                         {"services", {{"database", db ? "healthy" : "unhealthy"}, {"api", "healthy"}}}};
    }
    if (name == "systemStatus") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kUser));
      json::object st = d_.monitor.Status();
      const json::object& checks = st["checks"].as_object();
      auto check = [&](const char* key) {
        const json::object& ch = checks.at(key).as_object();
        const bool ok = ch.at("status") == "healthy";
        return Service(ok ? "healthy" : "unhealthy", ch, ok ? json::value(nullptr) : ch.contains("error") ? ch.at("error") : json::value("unhealthy"));
      };
      const auto counts = d_.monitor.WorkflowCounts();
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
    if (name == "jobQueueStats") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kAdmin));
      auto stats = d_.monitor.JobStats();
      if (!stats) return stats.status();
      auto failed = d_.monitor.FailedJobs(10);
      if (!failed) return failed.status();
      json::array failed_jobs;
      for (const auto& j : *failed) {
        const json::object& o = j.as_object();
        failed_jobs.push_back({{"id", o.at("id")}, {"type", o.at("type")}, {"attempts", o.at("attempts")},
                               {"maxAttempts", o.at("maxAttempts")}, {"createdAt", o.at("createdAt")},
                               {"error", o.at("lastError")}});
      }
      const int64_t waiting = Int(*stats, "waiting"), active = Int(*stats, "active"), completed = Int(*stats, "completed"),
                    failed_n = Int(*stats, "failed"), delayed = Int(*stats, "delayed");
      return json::value{{"stats",
                          {{"total", waiting + active + completed + failed_n + delayed},
                           {"pending", waiting},
                           {"processing", active},
                           {"completed", completed},
                           {"failed", failed_n},
                           {"delayed", delayed}}},
                         {"failedJobs", std::move(failed_jobs)}};
    }
    if (name == "workflowStats") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kAdmin));
      auto counts = d_.monitor.WorkflowCounts();
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
    if (name == "realtimeStats") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kUser));
      json::object o = d_.monitor.Realtime(false);
      o["activeConnections"] = o["connections"];
      return json::value(std::move(o));
    }
    if (name == "userConnections") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kUser));
      json::array connections;
      for (const auto& ci : d_.hub.Connections(user->id)) {
        connections.push_back({{"id", ci.id}, {"connectionId", ci.id}, {"userId", ci.user_id},
                               {"connectedAt", FormatRfc3339(ci.connected_at)},
                               {"lastActivity", FormatRfc3339(ci.last_activity)}});
      }
      // Unread: stored notifications newer than the newest one a stream delivered.
      auto unread = d_.store.CountNotifications(user->id, d_.hub.LastDelivered(user->id));
      if (!unread) return unread.status();
      return json::value{{"connections", std::move(connections)}, {"unreadNotifications", *unread}};
    }
    if (name == "systemMetrics") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kAdmin));
      CF_ASSIGN_OR_RETURN(json::object in, InputObject(input));
      Fields f(in);
      const std::string timeframe = f.Enum("timeframe", {"hour", "day", "week", "month"}).value_or("day");
      CF_RETURN_IF_ERROR(f.Finish());
      auto m = d_.monitor.Metrics(timeframe);
      if (!m) return m.status();
      const json::object& cx = m->at("cancellations").as_object();
      const int64_t jobs_completed = Int(m->at("jobs").as_object(), "completed");
      const int64_t jobs_failed = Int(m->at("jobs").as_object(), "failed");
      const int64_t ops = jobs_completed + jobs_failed;
      return json::value{{"timeframe", timeframe},
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
    if (name == "retryFailedJob") {
      CF_RETURN_IF_ERROR(expect(Kind::kMutation, Need::kAdmin));
      CF_ASSIGN_OR_RETURN(json::object in, InputObject(input));
      Fields f(in);
      const std::string job_id = f.RequiredString("jobId", 128);
      CF_RETURN_IF_ERROR(f.Finish());
      auto job = d_.monitor.RetryJob(job_id);
      if (!job) {
        if (job.status().code() == Code::kNotFound || job.status().code() == Code::kFailedPrecondition) {
          return NotFound("Job not found or not in failed state");
        }
        return job.status();
      }
      return json::value{{"success", true}, {"jobId", job_id}};
    }
    if (name == "clearFailedJobs") {
      CF_RETURN_IF_ERROR(expect(Kind::kMutation, Need::kAdmin));
      auto cleared = d_.monitor.ClearFailedJobs();
      if (!cleared) return cleared.status();
      return json::value{{"success", true}, {"clearedCount", *cleared}};
    }
    if (name == "recentEvents") {
      CF_RETURN_IF_ERROR(expect(Kind::kQuery, Need::kUser));
      CF_ASSIGN_OR_RETURN(json::object in, InputObject(input));
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
      if (user->role != "admin") only = user->id;
      auto events = d_.monitor.Events(only, limit ? static_cast<int>(*limit) : 20, globs);
      if (!events) return events.status();
      json::array out;
      for (const auto& e : *events) {
        const json::object& o = e.as_object();
        const json::value& meta = o.at("metadata");
        const json::value* err = meta.is_object() ? meta.as_object().if_contains("error") : nullptr;
        out.push_back({{"id", o.at("id")}, {"action", o.at("action")}, {"result", o.at("result")},
                       {"timestamp", o.at("timestamp")}, {"userId", o.at("userId")}, {"resource", o.at("resource")},
                       {"error", err ? *err : json::value(nullptr)}, {"metadata", meta}});
      }
      return json::value(std::move(out));
    }
    return NotFound(fmt::format("No procedure found on path \"{}\"", path));
  };

  auto envelope = [&](const std::string& path, const Result<json::value>& r, int& status) -> json::value {
    if (r.ok()) {
      status = 200;
      return json::object{{"result", {{"data", superjson ? trpc::SuperjsonWrap(*r) : *r}}}};
    }
    const Status& s = r.status();
    const trpc::ErrorCode code = s.reason() == "METHOD_NOT_SUPPORTED" ? trpc::ErrorCodeNamed("METHOD_NOT_SUPPORTED")
                                                                      : trpc::ErrorCodeOf(s);
    status = code.http_status;
    json::object shape = trpc::ErrorShape(code, code.http_status == 500 ? "internal error" : s.message(), path);
    return json::object{{"error", superjson ? json::value{{"json", std::move(shape)}} : json::value(std::move(shape))}};
  };

  if (!batch) {
    int status = 200;
    json::value body = envelope(paths[0], run(paths[0], inputs), status);
    return JsonResponse(status, body);
  }
  const json::object* keyed = inputs.if_object();
  if (!inputs.is_null() && keyed == nullptr) parse_error = InvalidArgument("a batch input is an object keyed 0, 1, …");
  json::array results;
  std::optional<int> common;
  bool mixed = false;
  for (size_t i = 0; i < paths.size(); ++i) {
    const json::value* in = keyed ? keyed->if_contains(std::to_string(i)) : nullptr;
    int status = 200;
    results.push_back(envelope(paths[i], run(paths[i], in ? *in : json::value(nullptr)), status));
    if (common && *common != status) mixed = true;
    common = status;
  }
  return JsonResponse(mixed ? 207 : common.value_or(200), results);
}

}  // namespace cancelflow::http
