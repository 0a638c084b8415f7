// Api routes: users (admin), subscriptions, providers, notification history
// and preferences.
#include <boost/json.hpp>

#include "core/ids.h"
#include "http/api.h"
#include "http/fields.h"
#include "http/views.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

constexpr int kMaxList = 1000;

bool ValidClientId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

Response Api::CreateUser(Call& c) {
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  Fields f(*body);
  const std::string id = f.RequiredString("id", 64);
  const std::string email = f.RequiredString("email", 254);
  const std::string role = f.Enum("role", {"user", "admin"}).value_or("user");
  if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  auto token = CreateUserWithToken(d_.store, d_.clock, id, email, role);
  if (!token) return ErrorResponse(token.status());
  auto user = d_.store.GetUser(id);
  if (!user) return ErrorResponse(user.status());
  return JsonResponse(201, json::object{{"user", UserView(*user)}, {"token", *token}});
}

Response Api::ListUsers(Call& c) {
  QueryFields q(c.req.query);
  const int limit = static_cast<int>(q.Int("limit", 1, kMaxList).value_or(100));
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  auto users = d_.store.ListUsers(limit);
  if (!users) return ErrorResponse(users.status());
  return JsonResponse(200, json::object{{"items", ViewsOf(*users, UserView)}});
}

Response Api::CreateSubscription(Call& c) {
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  Fields f(*body);
  store::Subscription sub;
  const auto id = f.String("id", 64);
  sub.provider = f.RequiredString("provider", 128);
  sub.external_id = f.RequiredString("externalId", 256);
  sub.name = f.RequiredString("name", 256);
  sub.plan = f.String("plan", 256);
  sub.amount = f.Number("amount");
  sub.currency = f.String("currency", 8);
  sub.renews_at = f.Time("renewsAt");
  if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  if (id && !ValidClientId(*id))
    return ErrorResponse(FieldError("id", "1-64 letters, digits, '_' or '-'"));
  if (d_.providers.Find(sub.provider) == nullptr) {
    return ErrorResponse(
        FieldError("provider", "is not a configured provider (see GET /v1/providers)"));
  }
  if (sub.amount && *sub.amount < 0)
    return ErrorResponse(FieldError("amount", "must not be negative"));
  const TimePoint now = d_.clock.Now();
  sub.id = id.value_or(NewId("sub", now));
  sub.user_id = c.user.id;
  sub.created_at = sub.updated_at = now;
  if (Status s = d_.store.CreateSubscription(sub); !s.ok()) {
    if (s.code() == Code::kAlreadyExists) {
      return ErrorResponse(
          AlreadyExists("subscription " + sub.id + " already exists").WithReason("conflict"));
    }
    return ErrorResponse(s);
  }
  return JsonResponse(201, SubscriptionView(sub));
}

Response Api::ListSubscriptions(Call& c) {
  QueryFields q(c.req.query);
  const int limit = static_cast<int>(q.Int("limit", 1, kMaxList).value_or(100));
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  auto subs = d_.store.ListSubscriptions(c.user.id, limit);
  if (!subs) return ErrorResponse(subs.status());
  return JsonResponse(200, json::object{{"items", ViewsOf(*subs, SubscriptionView)}});
}

Response Api::GetSubscription(Call& c) {
  auto sub = OwnedBy(d_.store.GetSubscription(c.params[0]), c, "subscription " + c.params[0]);
  if (!sub) return ErrorResponse(sub.status());
  return JsonResponse(200, SubscriptionView(*sub));
}

Response Api::ListProviders(Call&) {
  json::array items;
  for (const auto& name : d_.providers.Names()) {
    const cancellation::ProviderConfig& p = *d_.providers.Find(name);
    json::array methods;
    json::object stats;
    auto add = [&](const char* method) {
      methods.emplace_back(method);
      json::object s{{"attempts", 0}, {"successRate", nullptr}, {"medianDurationMs", nullptr}};
      if (auto st = d_.store.GetProviderStats(name, method, 1000); st.ok() && st->attempts > 0) {
        s["attempts"] = st->attempts;
        s["successRate"] = static_cast<double>(st->succeeded) / static_cast<double>(st->attempts);
        if (st->median_duration_ms > 0) s["medianDurationMs"] = st->median_duration_ms;
      }
      stats[method] = std::move(s);
    };
    if (p.api) add("api");
    if (p.webhook && !p.webhook->url.empty()) add("webhook");
    add("manual");
    items.push_back(
        {{"name", p.name},
         {"displayName", p.display_name},
         {"methods", std::move(methods)},
         {"webhookScheme", p.webhook ? json::value(p.webhook->scheme) : json::value(nullptr)},
         {"stats", std::move(stats)}});
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

Response Api::ListNotifications(Call& c) {
  QueryFields q(c.req.query);
  const int limit = static_cast<int>(q.Int("limit", 1, kMaxList).value_or(50));
  const int64_t after = q.Int("after", 0, INT64_MAX).value_or(0);
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  auto rows = d_.store.ListNotifications(c.user.id, after, limit);
  if (!rows) return ErrorResponse(rows.status());
  json::array items;
  for (const auto& n : *rows) {
    json::object o = cancellation::Notifier::ToJson(n);
    o["seq"] = n.seq;
    items.push_back(std::move(o));
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

Response Api::SetPreferences(Call& c) {
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  Fields f(*body);
  const auto realtime = f.Bool("realtime");
  const auto email = f.Bool("email");
  if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  const bool rt = realtime.value_or(c.user.realtime_notifications);
  const bool em = email.value_or(c.user.email_notifications);
  if (Status s = d_.store.SetNotificationPreferences(c.user.id, rt, em); !s.ok())
    return ErrorResponse(s);
  return JsonResponse(200, json::object{{"realtime", rt}, {"email", em}});
}

}  // namespace cancelflow::http
