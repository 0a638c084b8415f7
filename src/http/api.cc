#include "http/api.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>

#include "http/fields.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

// Splits "/a/b/c" into its segments.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t end = path.find('/', i);
    out.push_back(path.substr(i, end - i));
    if (end == std::string_view::npos) break;
    i = end;
  }
  return out;
}

bool Match(const std::vector<std::string_view>& want, const std::vector<std::string_view>& path,
           std::vector<std::string>& params) {
  if (want.size() != path.size()) return false;
  params.clear();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{}") {
      params.emplace_back(path[i]);
    } else if (want[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Response JsonResponse(int status, const json::value& body) {
  return {status, "application/json", {}, json::serialize(body)};
}

std::string_view BearerToken(const Request& req) {
  std::string_view h = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), h.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      })) {
    return {};
  }
  return h.substr(kBearer.size());
}

Api::Api(ApiDeps deps)
    : d_(std::move(deps)),
      auth_(d_.store, d_.clock),
      limiter_(d_.config.rate_limit_rps, d_.config.rate_limit_burst, d_.clock),
      procedures_(d_.monitor, d_.store, d_.hub, d_.clock) {
  using A = Access;
  routes_ = {
      {"GET", "/healthz", A::kPublic, &Api::Healthz},
      {"GET", "/readyz", A::kPublic, &Api::Readyz},
      {"GET", "/metrics", A::kPublic, &Api::PrometheusMetrics},
      {"POST", "/v1/webhooks/{}", A::kPublic, &Api::InboundWebhook},
      {"POST", "/v1/users", A::kAdmin, &Api::CreateUser},
      {"GET", "/v1/users", A::kAdmin, &Api::ListUsers},
      {"POST", "/v1/subscriptions", A::kUser, &Api::CreateSubscription},
      {"GET", "/v1/subscriptions", A::kUser, &Api::ListSubscriptions},
      {"GET", "/v1/subscriptions/{}", A::kUser, &Api::GetSubscription},
      {"GET", "/v1/providers", A::kUser, &Api::ListProviders},
      {"POST", "/v1/cancellations", A::kUser, &Api::CreateCancellation},
      {"GET", "/v1/cancellations", A::kUser, &Api::ListCancellations},
      {"POST", "/v1/cancellations/bulk", A::kUser, &Api::BulkCancellations},
      {"GET", "/v1/cancellations/{}", A::kUser, &Api::GetCancellation},
      {"GET", "/v1/cancellations/{}/events", A::kUser, &Api::CancellationEvents},
      {"POST", "/v1/cancellations/{}/abort", A::kUser, &Api::AbortCancellation},
      {"POST", "/v1/cancellations/{}/confirm", A::kUser, &Api::ConfirmCancellation},
      {"GET", "/v1/notifications", A::kUser, &Api::ListNotifications},
      {"PUT", "/v1/notification-preferences", A::kUser, &Api::SetPreferences},
      {"GET", "/api/realtime/notifications", A::kUser, &Api::OpenStream},
      {"POST", "/api/realtime/notifications", A::kUser, &Api::SendTestNotification},
      {"GET", "/v1/system/status", A::kUser, &Api::SystemStatus},
      {"GET", "/v1/system/jobs/stats", A::kAdmin, &Api::JobStats},
      {"GET", "/v1/system/jobs/failed", A::kAdmin, &Api::FailedJobs},
      {"POST", "/v1/system/jobs/{}/retry", A::kAdmin, &Api::RetryJob},
      {"GET", "/v1/system/metrics", A::kAdmin, &Api::SystemMetrics},
      {"GET", "/v1/system/realtime", A::kAdmin, &Api::RealtimeStats},
      {"GET", "/v1/system/events", A::kUser, &Api::SystemEvents},
      // tRPC checks access per procedure (some are public).
      {"GET", "/api/trpc/{}", A::kPublic, &Api::Trpc},
      {"POST", "/api/trpc/{}", A::kPublic, &Api::Trpc},
  };
  for (auto& r : routes_) {
    r.segments = Segments(r.pattern);
    r.latency = &d_.metrics.GetHistogram("cancelflow_http_request_duration_seconds",
                                         "HTTP request latency by route",
                                         {{"route", std::string(r.pattern)}});
  }
}

Response Api::Handle(const Request& req) {
  const auto start = std::chrono::steady_clock::now();
  const Route* route = nullptr;
  Response res = Dispatch(req, route);
  const std::string pattern = route ? std::string(route->pattern) : "unmatched";
  if (route) {
    route->latency->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  d_.metrics
      .GetCounter(
          "cancelflow_http_requests_total", "HTTP requests by route, method and status",
          {{"route", pattern}, {"method", req.method}, {"status", std::to_string(res.status)}})
      .Add();
  return res;
}

Response Api::Dispatch(const Request& req, const Route*& matched) {
  const auto path = Segments(req.path);
  std::vector<std::string> params;
  bool path_matched = false;
  for (const auto& r : routes_) {
    if (!Match(r.segments, path, params)) continue;
    path_matched = true;
    matched = &r;
    if (r.method != req.method) continue;
    // EventSource cannot set headers: the stream alone takes ?access_token=.
    auto user = Authorize(req, r.access, r.handler == &Api::OpenStream);
    if (!user) return ErrorResponse(user.status());
    if (r.access != Access::kPublic) {
      if (auto wait = limiter_.Take(user->id)) return RateLimited(*wait);
    }
    Call call{req, std::move(*user), std::move(params)};
    return (this->*r.handler)(call);
  }
  if (path_matched)
    return JsonError(405, "method_not_allowed", "method not allowed on " + req.path);
  matched = nullptr;
  return JsonError(404, "not_found", "no such route");
}

Result<store::User> Api::Authorize(const Request& req, Access access, bool allow_query_token) {
  if (access == Access::kPublic) return store::User{};
  std::string token(BearerToken(req));
  if (token.empty() && allow_query_token) {
    QueryFields q(req.query);
    token = q.String("access_token").value_or("");
  }
  auto user = auth_.Authenticate(token);
  if (!user) return user.status();
  if (access == Access::kAdmin && user->role != "admin")
    return PermissionDenied("this route is for admins");
  return user;
}

Response Api::RateLimited(int retry_after) {
  Response r = JsonError(429, "rate_limited", "too many requests; retry later");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return r;
}

}  // namespace cancelflow::http
