// Api routes: health, readiness, Prometheus metrics, the monitoring REST
// routes (answered by Monitor, which the tRPC adapter shares) and inbound
// provider webhooks.
#include <boost/json.hpp>

#include "http/api.h"
#include "http/fields.h"

namespace cancelflow::http {

namespace json = boost::json;

Response Api::Healthz(Call&) { return JsonResponse(200, json::object{{"status", "ok"}}); }

Response Api::Readyz(Call&) {
  auto [status, body] = d_.monitor.Readiness();
  return JsonResponse(status, body);
}

Response Api::PrometheusMetrics(Call& c) {
  if (d_.config.metrics_token && BearerToken(c.req) != *d_.config.metrics_token) {
    return JsonError(401, "unauthorized", "/metrics wants the METRICS_TOKEN as a bearer token");
  }
  return {200, "text/plain; version=0.0.4; charset=utf-8", {}, d_.metrics.RenderPrometheus()};
}

Response Api::SystemStatus(Call&) { return JsonResponse(200, d_.monitor.Status()); }

Response Api::JobStats(Call& c) {
  if (Status s = QueryFields(c.req.query).Finish(); !s.ok()) return ErrorResponse(s);
  auto stats = d_.monitor.JobStats();
  return stats ? JsonResponse(200, *stats) : ErrorResponse(stats.status());
}

Response Api::FailedJobs(Call& c) {
  QueryFields q(c.req.query);
  const int limit = static_cast<int>(q.Int("limit", 1, 1000).value_or(10));
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  auto items = d_.monitor.FailedJobs(limit);
  return items ? JsonResponse(200, json::object{{"items", *items}}) : ErrorResponse(items.status());
}

Response Api::RetryJob(Call& c) {
  auto job = d_.monitor.RetryJob(c.params[0]);
  if (!job) {
    if (job.status().code() == Code::kFailedPrecondition) {
      return JsonError(409, "conflict", "job " + c.params[0] + " is not failed");
    }
    return ErrorResponse(job.status());
  }
  return JsonResponse(200, *job);
}

Response Api::SystemMetrics(Call& c) {
  QueryFields q(c.req.query);
  const std::string timeframe =
      q.Enum("timeframe", {"hour", "day", "week", "month"}).value_or("day");
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  auto metrics = d_.monitor.Metrics(timeframe);
  return metrics ? JsonResponse(200, *metrics) : ErrorResponse(metrics.status());
}

Response Api::RealtimeStats(Call&) { return JsonResponse(200, d_.monitor.Realtime(true)); }

Response Api::SystemEvents(Call& c) {
  QueryFields q(c.req.query);
  const int limit = static_cast<int>(q.Int("limit", 1, 1000).value_or(50));
  const auto actions = q.String("actions");
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  std::optional<std::string> user;
  if (!c.admin()) user = c.user.id;
  std::vector<std::string> globs;  // comma-separated: "cancellation.*,job.*"
  if (actions) {
    for (auto& g : SplitCommas(*actions)) {
      if (!g.empty()) globs.push_back(std::move(g));
    }
  }
  auto items = d_.monitor.Events(user, limit, globs);
  return items ? JsonResponse(200, json::object{{"items", *items}}) : ErrorResponse(items.status());
}

Response Api::InboundWebhook(Call& c) { return d_.intake.Handle(c.req, c.params[0]); }

}  // namespace cancelflow::http
