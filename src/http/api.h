// Api: the HTTP contract of API.md on top of the domain — routing, bearer
// auth, ownership, per-user rate limits, validation, JSON errors, the REST
// resources, realtime SSE, monitoring, the tRPC adapter, health and metrics.
//
// Handle() is the HttpServer's handler: called on the server's worker threads,
// it may block on the store. Routes are matched by segments (no regex); every
// request is counted in the metrics by route pattern and status. Access:
// public routes need nothing; user routes a valid token (401); admin routes an
// admin's token (403 for users); another user's resource is a 404 everywhere.
//
// The route handlers are split by resource: api_accounts.cc (users,
// subscriptions, providers, notifications), api_cancellations.cc,
// api_realtime.cc, api_system.cc (monitoring, health, metrics), trpc.cc.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cancellation/cancellation_service.h"
#include "cancellation/notifier.h"
#include "cancellation/provider_config.h"
#include "core/config.h"
#include "core/metrics.h"
#include "http/auth.h"
#include "http/http_types.h"
#include "http/monitor.h"
#include "http/rate_limiter.h"
#include "http/trpc_procedures.h"
#include "http/webhook_intake.h"
#include "realtime/hub.h"

namespace cancelflow::http {

struct ApiDeps {
  const Config& config;
  store::Store& store;
  cancellation::CancellationService& cancellations;
  const cancellation::ProviderRegistry& providers;
  cancellation::Notifier& notifier;
  realtime::Hub& hub;
  WebhookIntake& intake;
  Monitor& monitor;
  MetricsRegistry& metrics;
  Clock& clock;
};

class Api {
 public:
  explicit Api(ApiDeps deps);
  Response Handle(const Request& req);

  enum class Access { kPublic, kUser, kAdmin };

  // One request on its way through a route: the caller (for user/admin
  // routes) and the path's {} segments.
  struct Call {
    const Request& req;
    store::User user;
    std::vector<std::string> params;
    bool admin() const { return user.role == "admin"; }
  };

 private:
  using Method = Response (Api::*)(Call&);
  struct Route {
    std::string_view method;
    std::string_view pattern;  // "/v1/cancellations/{}/abort"
    Access access;
    Method handler;
    std::vector<std::string_view> segments = {};  // of the pattern, split once
    Histogram* latency = nullptr;
  };

  Response Dispatch(const Request& req, const Route*& matched);
  Result<store::User> Authorize(const Request& req, Access access, bool allow_query_token);
  Response RateLimited(int retry_after);

  // api_accounts.cc
  Response CreateUser(Call& c);
  Response ListUsers(Call& c);
  Response CreateSubscription(Call& c);
  Response ListSubscriptions(Call& c);
  Response GetSubscription(Call& c);
  Response ListProviders(Call& c);
  Response ListNotifications(Call& c);
  Response SetPreferences(Call& c);
  // api_cancellations.cc
  Response CreateCancellation(Call& c);
  Response BulkCancellations(Call& c);
  Response ListCancellations(Call& c);
  Response GetCancellation(Call& c);
  Response CancellationEvents(Call& c);
  Response AbortCancellation(Call& c);
  Response ConfirmCancellation(Call& c);
  Result<store::CancellationRequest> OwnedCancellation(const Call& c, const std::string& id);
  // api_realtime.cc
  Response OpenStream(Call& c);
  Response SendTestNotification(Call& c);
  // api_system.cc
  Response Healthz(Call& c);
  Response Readyz(Call& c);
  Response PrometheusMetrics(Call& c);
  Response SystemStatus(Call& c);
  Response JobStats(Call& c);
  Response FailedJobs(Call& c);
  Response RetryJob(Call& c);
  Response SystemMetrics(Call& c);
  Response RealtimeStats(Call& c);
  Response SystemEvents(Call& c);
  Response InboundWebhook(Call& c);
  // trpc.cc
  Response Trpc(Call& c);

  ApiDeps d_;
  Authenticator auth_;
  RateLimiter limiter_;
  TrpcProcedures procedures_;
  std::vector<Route> routes_;
};

// The record if the caller owns it (or is an admin). Another user's record
// answers exactly like a missing one — NotFound naming `what` — so ids cannot
// be probed (API.md, "Auth"); other store errors pass through.
template <typename Record>
Result<Record> OwnedBy(Result<Record> record, const Api::Call& c, const std::string& what) {
  if (record.ok() && (record->user_id == c.user.id || c.admin())) return record;
  if (!record.ok() && record.status().code() != Code::kNotFound) return record.status();
  return NotFound(what + " not found");
}

// A JSON response with `status`.
Response JsonResponse(int status, const boost::json::value& body);
// The bearer token of the Authorization header, or "".
std::string_view BearerToken(const Request& req);

}  // namespace cancelflow::http
