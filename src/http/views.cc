#include "http/views.h"

#include <boost/json.hpp>

namespace cancelflow::http {

namespace json = boost::json;

json::value TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatRfc3339(*t)) : json::value(nullptr);
}

json::value ParsedOr(const std::string& text, json::value fallback) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? fallback : v;
}

namespace {

// The stored attempts carry millisecond twins of their times for the
// service's own arithmetic; the API shows the RFC 3339 ones.
json::value AttemptsView(const std::string& text) {
  json::value v = ParsedOr(text, json::array{});
  if (!v.is_array()) return json::array{};
  for (auto& a : v.as_array()) {
    if (!a.is_object()) continue;
    a.as_object().erase("startedMs");
    a.as_object().erase("finishedMs");
  }
  return v;
}

}  // namespace

json::object UserView(const store::User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"role", u.role},
          {"notificationPreferences",
           {{"realtime", u.realtime_notifications}, {"email", u.email_notifications}}},
          {"createdAt", FormatRfc3339(u.created_at)}};
}

json::object SubscriptionView(const store::Subscription& s) {
  json::object o{{"id", s.id},
                 {"provider", s.provider},
                 {"externalId", s.external_id},
                 {"name", s.name},
                 {"status", s.status},
                 {"createdAt", FormatRfc3339(s.created_at)},
                 {"updatedAt", FormatRfc3339(s.updated_at)}};
  if (s.plan) o["plan"] = *s.plan;
  if (s.amount) o["amount"] = *s.amount;
  if (s.currency) o["currency"] = *s.currency;
  if (s.renews_at) o["renewsAt"] = FormatRfc3339(*s.renews_at);
  return o;
}

json::object CancellationView(const store::CancellationRequest& r) {
  json::object o{
      {"requestId", r.id},
      {"workflowId", r.workflow_id},
      {"subscriptionId", r.subscription_id},
      {"status", r.status},
      {"method", r.method ? json::value(*r.method) : json::value(nullptr)},
      {"priority", r.priority},
      {"preferredMethod", r.preferred_method},
      {"progress", r.progress},
      {"currentStep", r.current_step ? json::value(*r.current_step) : json::value(nullptr)},
      {"attempts", AttemptsView(r.attempts)},
      {"estimatedCompletion", TimeOrNull(r.estimated_completion)},
      {"createdAt", FormatRfc3339(r.created_at)},
      {"updatedAt", FormatRfc3339(r.updated_at)}};
  if (r.confirmation_code) o["confirmationCode"] = *r.confirmation_code;
  if (r.manual_instructions)
    o["manualInstructions"] = ParsedOr(*r.manual_instructions, json::object{});
  if (r.scheduled_for) o["scheduledFor"] = FormatRfc3339(*r.scheduled_for);
  if (r.completed_at) o["completedAt"] = FormatRfc3339(*r.completed_at);
  if (r.reason) o["reason"] = *r.reason;
  return o;
}

json::object AuditView(const store::AuditRecord& a) {
  return {{"id", a.id},
          {"timestamp", FormatRfc3339(a.timestamp)},
          {"userId", a.user_id ? json::value(*a.user_id) : json::value(nullptr)},
          {"action", a.action},
          {"resource", a.resource},
          {"result", a.result},
          {"metadata", ParsedOr(a.metadata, json::object{})}};
}

}  // namespace cancelflow::http
