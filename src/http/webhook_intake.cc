#include "http/webhook_intake.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "cancellation/full_process.h"
#include "cancellation/webhook_signature.h"
#include "core/json_util.h"

namespace cancelflow::http {

Response WebhookIntake::Reject(const std::string& provider, const std::string& reason) {
  bus_.Publish("webhook.rejected", provider, {{"provider", provider}, {"reason", reason}});
  return JsonError(401, "unauthorized", reason);
}

Response WebhookIntake::Handle(const Request& req, const std::string& provider) {
  const cancellation::ProviderConfig* p = providers_.Find(provider);
  if (p == nullptr || !p->webhook || p->webhook->inbound_secrets.empty()) {
    return JsonError(404, "not_found",
                     fmt::format("no webhooks are configured for provider {}", provider));
  }
  const auto& wh = *p->webhook;
  std::string message_id;
  Status verified;
  if (wh.scheme == "stripe") {
    verified = cancellation::VerifyStripeWebhook(wh.inbound_secrets, req.Header("stripe-signature"),
                                                 req.body, clock_.Now());
    boost::system::error_code ec;
    auto body = boost::json::parse(req.body, ec);
    if (verified.ok() && !ec && body.is_object()) message_id = StringMember(body.as_object(), "id");
    if (verified.ok() && message_id.empty())
      verified = Status(Code::kUnauthenticated, "Stripe event has no id");
  } else {
    const cancellation::StandardWebhookHeaders h{
        req.Header("webhook-id"), req.Header("webhook-timestamp"), req.Header("webhook-signature")};
    verified = cancellation::VerifyStandardWebhook(wh.inbound_secrets, h, req.body, clock_.Now());
    message_id = h.id;
  }
  if (!verified.ok()) return Reject(provider, verified.message());

  if (Status s = store_.RecordWebhookReceipt(provider, message_id, req.body, clock_.Now());
      !s.ok()) {
    if (s.code() == Code::kAlreadyExists)
      return Reject(provider, "replayed webhook id " + message_id);
    return JsonError(503, "unavailable", "the webhook could not be stored; send it again");
  }
  auto w = engine_.Start(cancellation::kWebhookProcess,
                         {{"provider", provider}, {"messageId", message_id}, {"body", req.body}});
  if (!w) return JsonError(503, "unavailable", "the webhook could not be queued; send it again");
  Response r;
  r.status = 202;
  r.body = boost::json::serialize(boost::json::object{{"received", true}, {"workflowId", w->id}});
  return r;
}

}  // namespace cancelflow::http
