#include "cancellation/processors.h"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cancellation/http_client.h"
#include "cancellation/webhook_signature.h"
#include "core/ids.h"
#include "core/json_util.h"
#include "events/redactor.h"

namespace cancelflow::cancellation {
namespace {

namespace json = boost::json;

Result<json::object> PayloadOf(const queue::Job& job) {
  json::error_code ec;
  auto v = json::parse(job.payload, ec);
  if (ec || !v.is_object()) return InvalidArgument("job payload is not a JSON object");
  return std::move(v.as_object());
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// What every cancellation job needs: the request, its subscription, the provider.
struct Target {
  store::CancellationRequest request;
  store::Subscription subscription;
  const ProviderConfig* provider = nullptr;
};

Result<Target> LoadTarget(const ProcessorContext& ctx, const json::object& payload) {
  auto r = ctx.store.GetCancellation(StringMember(payload, "requestId"));
  if (!r) return r.status();
  auto sub = ctx.store.GetSubscription(r->subscription_id);
  if (!sub) return sub.status();
  const ProviderConfig* p = ctx.providers.Find(sub->provider);
  if (p == nullptr) return FailedPrecondition(fmt::format("provider {} is not configured", sub->provider));
  return Target{std::move(*r), std::move(*sub), p};
}

Result<Target> LoadTarget(const ProcessorContext& ctx, const queue::Job& job) {
  auto payload = PayloadOf(job);
  if (!payload) return payload.status();
  return LoadTarget(ctx, *payload);
}

std::map<std::string, std::string> TemplateValues(const Target& t) {
  return {{"externalId", t.subscription.external_id},
          {"requestId", t.request.id},
          {"subscriptionId", t.subscription.id},
          {"userId", t.request.user_id},
          {"reason", t.request.reason.value_or("")}};
}

// cancellation.validate, .api, .webhook, .manual_instructions
class CancellationJobProcessor {
 public:
  explicit CancellationJobProcessor(const ProcessorContext& ctx) : ctx_(ctx) {}

  Status Validate(const queue::Job& job) {
    auto t = LoadTarget(ctx_, job);
    if (!t) return t.status();
    if (t->request.status == "aborted") return Status(Code::kCancelled, "the request was aborted");
    if (t->subscription.status == "cancelled") {
      return InvalidArgument(fmt::format("subscription {} is already cancelled", t->subscription.id));
    }
    return Status::Ok();
  }

  Status Api(const queue::Job& job) {
    auto t = LoadTarget(ctx_, job);
    if (!t) return t.status();
    if (!t->provider->api) return FailedPrecondition(fmt::format("provider {} has no API", t->provider->name));
    const ApiConfig& api = *t->provider->api;
    const auto values = TemplateValues(*t);
    HttpHeaders headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    for (const auto& [k, v] : api.headers) headers.emplace_back(k, RenderTemplate(v, values, false));
    headers.emplace_back(api.idempotency_header, t->request.id);
    auto resp = HttpRequest(api.method, RenderTemplate(api.url, values, false), headers,
                            RenderTemplate(api.body, values, true), api.timeout);
    if (!resp) return resp.status();
    CF_RETURN_IF_ERROR(ClassifyProviderStatus(api, resp->status, t->provider->name + " API"));
    json::error_code ec;
    auto body = json::parse(resp->body, ec);
    if (!ec && body.is_object()) {
      const std::string code = StringMember(body.as_object(), "confirmationCode");
      if (!code.empty()) CF_RETURN_IF_ERROR(ctx_.store.SetConfirmationCode(t->request.id, code));
    }
    return Status::Ok();
  }

  Status Webhook(const queue::Job& job) {
    auto t = LoadTarget(ctx_, job);
    if (!t) return t.status();
    const auto& wh = t->provider->webhook;
    if (!wh || wh->url.empty()) return FailedPrecondition(fmt::format("provider {} has no webhook", t->provider->name));
    const std::string body = json::serialize(json::object{
        {"type", "cancellation.requested"},
        {"data",
         {{"requestId", t->request.id},
          {"externalId", t->subscription.external_id},
          {"subscriptionId", t->subscription.id},
          {"reason", t->request.reason ? json::value(*t->request.reason) : json::value(nullptr)}}}});
    const std::string msg_id = "msg_" + t->request.id;  // the same on every attempt: the provider dedups
    const int64_t ts = ToUnixMillis(ctx_.clock.Now()) / 1000;
    auto signature = SignStandardWebhook(wh->signing_secret, msg_id, ts, body);
    if (!signature) return FailedPrecondition("webhook signing secret: " + signature.status().message());
    auto resp = HttpRequest("POST", wh->url,
                            {{"Content-Type", "application/json"},
                             {"webhook-id", msg_id},
                             {"webhook-timestamp", std::to_string(ts)},
                             {"webhook-signature", *signature}},
                            body, Millis(10'000));
    if (!resp) return resp.status();
    return ClassifyProviderStatus(ApiConfig{}, resp->status, t->provider->name + " webhook");
  }

  Status ManualInstructions(const queue::Job& job) {
    auto t = LoadTarget(ctx_, job);
    if (!t) return t.status();
    const ManualConfig& m = t->provider->manual;
    const auto values = TemplateValues(*t);
    json::array steps;
    for (const auto& s : m.steps) steps.emplace_back(RenderTemplate(s, values, false));
    json::object instructions{{"steps", std::move(steps)}};
    if (m.url) instructions["url"] = *m.url;
    if (m.phone) instructions["phone"] = *m.phone;
    if (m.email) instructions["email"] = *m.email;
    return ctx_.store.SetManualInstructions(t->request.id, json::serialize(instructions));
  }

 private:
  const ProcessorContext& ctx_;
};

// notification.send: the final word to the user, realtime and by email.
class NotificationJobProcessor {
 public:
  explicit NotificationJobProcessor(const ProcessorContext& ctx) : ctx_(ctx) {}

  Status Send(const queue::Job& job) {
    auto payload = PayloadOf(job);
    if (!payload) return payload.status();
    auto t = LoadTarget(ctx_, *payload);
    if (!t) return t.status();
    const std::string kind = StringMember(*payload, "kind");
    const std::string& name = t->subscription.name;
    std::string type, title, message;
    if (kind == "completed") {
      type = "cancellation.completed";
      title = "Subscription cancelled";
      message = fmt::format("{} with {} is cancelled.", name, t->provider->display_name);
      if (t->request.confirmation_code) message += " Confirmation: " + *t->request.confirmation_code + ".";
    } else if (kind == "manual_required") {
      type = "cancellation.manual_required";
      title = "A few steps are left to you";
      message = fmt::format("{} cannot be cancelled automatically; follow the instructions to finish.", name);
    } else if (kind == "failed") {
      type = "cancellation.failed";
      title = "Cancellation failed";
      message = fmt::format("We could not cancel {}.", name);
    } else {
      return InvalidArgument(fmt::format("notification kind {:?} is unknown", kind));
    }
    // At least once: a retry after a crash may repeat the notification; the
    // job's own id keeps the email from being stored twice.
    if (t->request.notify_realtime) {
      auto sent = ctx_.notifier.Send(t->request.user_id, type, title, message, t->request.priority,
                                     {{"requestId", t->request.id},
                                      {"status", t->request.status},
                                      {"progress", t->request.progress},
                                      {"step", t->request.current_step.value_or("")}});
      if (!sent) return sent.status();
    }
    if (t->request.notify_email) CF_RETURN_IF_ERROR(Email(*t, job.id, title, message));
    return Status::Ok();
  }

 private:
  Status Email(const Target& t, const std::string& job_id, const std::string& subject, const std::string& body) {
    auto user = ctx_.store.GetUser(t.request.user_id);
    if (!user) return user.status();
    store::EmailMessage email{"eml_" + job_id.substr(4), user->id, user->email, subject, body, "outbox",
                              ctx_.clock.Now(), std::nullopt};
    if (ctx_.smtp_url) {
      CF_RETURN_IF_ERROR(SendMail(*ctx_.smtp_url, ctx_.mail_from, user->email, subject, body, Millis(10'000)));
      email.status = "sent";
      email.sent_at = ctx_.clock.Now();
    } else {
      spdlog::info("email to {} kept in the outbox (SMTP_URL unset): {}", events::MaskEmail(user->email), subject);
    }
    Status stored = ctx_.store.AddEmail(email);
    if (stored.code() == Code::kAlreadyExists) return Status::Ok();  // a repeat of this job
    return stored;
  }

  const ProcessorContext& ctx_;
};

// webhook.process and webhook.update_status: a verified inbound provider webhook.
class WebhookJobProcessor {
 public:
  explicit WebhookJobProcessor(const ProcessorContext& ctx) : ctx_(ctx) {}

  Status Process(const queue::Job& job) {
    auto m = Match(job);
    return m.status();
  }

  Status UpdateStatus(const queue::Job& job) {
    auto m = Match(job);
    if (!m) return m.status();
    if (!m->request) {
      // Nothing is waiting: the provider tells us the subscription is gone.
      if (m->type == "subscription.cancelled" && m->subscription) {
        return ctx_.store.SetSubscriptionStatus(m->subscription->id, "cancelled", ctx_.clock.Now());
      }
      return Status::Ok();
    }
    if (m->request->current_step == "webhook") {
      // The provider answered before the request started waiting for it: try
      // again shortly (temporary), rather than let the confirmation go unheard.
      return Unavailable(fmt::format("request {} is not waiting for its confirmation yet", m->request->id));
    }
    json::object data{{"requestId", m->request->id}, {"provider", m->provider}, {"type", m->type},
                      {"messageId", m->message_id}};
    if (!m->confirmation_code.empty()) data["confirmationCode"] = m->confirmation_code;
    if (!m->reason.empty()) data["reason"] = m->reason;
    ctx_.bus.Publish("webhook.received", m->request->id, std::move(data), m->request->user_id);
    return Status::Ok();
  }

 private:
  struct Matched {
    std::string provider, message_id, type, confirmation_code, reason;
    std::optional<store::Subscription> subscription;
    std::optional<store::CancellationRequest> request;
  };

  Result<Matched> Match(const queue::Job& job) {
    auto payload = PayloadOf(job);
    if (!payload) return payload.status();
    Matched m{StringMember(*payload, "provider"), StringMember(*payload, "messageId")};
    json::error_code ec;
    auto body = json::parse(StringMember(*payload, "body"), ec);
    if (ec || !body.is_object()) return InvalidArgument("webhook body is not a JSON object");
    const auto& b = body.as_object();
    m.type = StringMember(b, "type");
    if (m.type != "cancellation.confirmed" && m.type != "cancellation.rejected" && m.type != "subscription.cancelled") {
      return InvalidArgument(fmt::format("webhook type {:?} is not handled", m.type));
    }
    const auto* data = b.if_contains("data");
    if (data == nullptr || !data->is_object()) return InvalidArgument("webhook body has no data object");
    const auto& d = data->as_object();
    m.confirmation_code = StringMember(d, "confirmationCode");
    m.reason = StringMember(d, "reason");
    if (const std::string id = StringMember(d, "requestId"); !id.empty()) {
      auto r = ctx_.store.GetCancellation(id);
      if (r) {
        auto sub = ctx_.store.GetSubscription(r->subscription_id);
        if (sub && sub->provider == m.provider) {  // a provider speaks only for its own subscriptions
          m.subscription = *sub;
          if (r->active()) m.request = *r;
          return m;
        }
      }
    }
    const std::string external = StringMember(d, "externalId");
    if (external.empty()) return InvalidArgument("webhook data names neither requestId nor externalId");
    auto sub = ctx_.store.FindSubscriptionByExternalId(m.provider, external);
    if (!sub) return sub.status().code() == Code::kNotFound ? Result<Matched>(m) : Result<Matched>(sub.status());
    m.subscription = *sub;
    if (auto r = ctx_.store.FindActiveCancellation(sub->id); r.ok()) m.request = *r;
    return m;
  }

  const ProcessorContext& ctx_;
};

// analytics.track: one provider call's outcome.
Status TrackOutcome(const ProcessorContext& ctx, const queue::Job& job) {
  auto p = PayloadOf(job);
  if (!p) return p.status();
  const auto* duration = p->if_contains("durationMs");
  store::ProviderOutcome o{StringMember(*p, "provider"), StringMember(*p, "method"), StringMember(*p, "outcome"),
                           duration != nullptr && duration->is_int64() ? duration->as_int64() : 0, ctx.clock.Now()};
  if (o.provider.empty() || o.method.empty() || o.outcome.empty()) {
    return InvalidArgument("analytics.track needs provider, method and outcome");
  }
  return ctx.store.RecordProviderOutcome(o);
}

}  // namespace

Status ClassifyProviderStatus(const ApiConfig& api, int status, const std::string& what) {
  if (Contains(api.success, status)) return Status::Ok();
  const std::string msg = fmt::format("{} answered HTTP {}", what, status);
  if (Contains(api.temporary, status)) return Unavailable(msg);
  if (Contains(api.user, status)) return InvalidArgument(msg);
  if (Contains(api.configuration, status)) return FailedPrecondition(msg);
  if (status >= 500) return Unavailable(msg);
  if (status >= 200 && status < 300) return Status::Ok();
  return FailedPrecondition(msg);
}

void RegisterProcessors(queue::WorkerPool& pool, const ProcessorContext& ctx) {
  auto cancellation = std::make_shared<CancellationJobProcessor>(ctx);
  auto notification = std::make_shared<NotificationJobProcessor>(ctx);
  auto webhook = std::make_shared<WebhookJobProcessor>(ctx);
  pool.Register("cancellation.validate", [cancellation](const queue::Job& j, std::stop_token) { return cancellation->Validate(j); });
  pool.Register("cancellation.api", [cancellation](const queue::Job& j, std::stop_token) { return cancellation->Api(j); });
  pool.Register("cancellation.webhook", [cancellation](const queue::Job& j, std::stop_token) { return cancellation->Webhook(j); });
  pool.Register("cancellation.manual_instructions",
                [cancellation](const queue::Job& j, std::stop_token) { return cancellation->ManualInstructions(j); });
  pool.Register("notification.send", [notification](const queue::Job& j, std::stop_token) { return notification->Send(j); });
  pool.Register("webhook.process", [webhook](const queue::Job& j, std::stop_token) { return webhook->Process(j); });
  pool.Register("webhook.update_status", [webhook](const queue::Job& j, std::stop_token) { return webhook->UpdateStatus(j); });
  pool.Register("analytics.track", [&ctx](const queue::Job& j, std::stop_token) { return TrackOutcome(ctx, j); });
}

}  // namespace cancelflow::cancellation
