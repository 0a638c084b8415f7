#include "cancellation/full_process.h"

#include <boost/json.hpp>

#include "core/json_util.h"

namespace cancelflow::cancellation {
namespace {

using workflow::Context;
using workflow::Step;
using workflow::StepKind;

bool Flag(const Context& c, const char* key) {
  const auto* v = c.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

Step Job(std::string name, std::string type, int progress, std::string next, std::string on_failure = "") {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kJob;
  s.job_type = std::move(type);
  s.progress = progress;
  s.next = std::move(next);
  s.on_failure = std::move(on_failure);
  s.payload = [](const Context& c) { return boost::json::object{{"requestId", StringMember(c, "requestId")}}; };
  return s;
}

Step Condition(std::string name, std::function<std::string(const Context&)> choose) {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kCondition;
  s.choose = std::move(choose);
  return s;
}

Step Notify(std::string name, std::string kind, int progress, std::string next) {
  Step s = Job(std::move(name), "notification.send", progress, std::move(next));
  s.payload = [kind](const Context& c) {
    return boost::json::object{{"requestId", StringMember(c, "requestId")}, {"kind", kind}};
  };
  return s;
}

Step End(std::string name, bool succeed) {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kFinish;
  s.succeed = succeed;
  return s;
}

}  // namespace

std::string ConfirmationKey(std::string_view request_id) { return "cancellation:" + std::string(request_id); }

workflow::Definition FullProcessDefinition() {
  Step route = Condition("route", [](const Context& c) {
    const std::string m = StringMember(c, "preferredMethod");
    if ((m == "auto" || m == "api") && Flag(c, "hasApi")) return "api";
    if ((m == "auto" || m == "api" || m == "webhook") && Flag(c, "hasWebhook")) return "webhook";
    return "manual";
  });
  Step after_api = Condition("after_api", [](const Context& c) {
    return Flag(c, "hasWebhook") ? "webhook" : "manual";
  });
  Step await;
  await.name = "await_confirmation";
  await.kind = StepKind::kWaitEvent;
  await.progress = 70;
  await.event_type = "webhook.received";
  await.wait_key = [](const Context& c) { return ConfirmationKey(StringMember(c, "requestId")); };
  await.event_key = [](const events::Event& e) {
    const std::string id = StringMember(e.data, "requestId");
    return id.empty() ? std::string() : ConfirmationKey(id);
  };
  await.wait_timeout = [](const Context& c) {
    const auto* v = c.if_contains("confirmationTimeoutMs");
    return Millis(v != nullptr && v->is_int64() ? v->as_int64() : 300'000);
  };
  await.next = "confirmed";
  await.on_timeout = "manual";
  Step confirmed = Condition("confirmed", [](const Context& c) {
    const auto& steps = c.at("_steps").as_object();
    const auto* data = steps.at("await_confirmation").as_object().if_contains("data");
    const bool rejected = data != nullptr && data->is_object() && data->as_object().if_contains("type") &&
                          data->as_object().at("type") == "cancellation.rejected";
    return rejected ? "manual" : "notify_completed";
  });
  return workflow::Definition{
      kFullProcess,
      "validate",
      {
          Job("validate", "cancellation.validate", 10, "route", "notify_failed"),
          route,
          Job("api", "cancellation.api", 40, "notify_completed", "after_api"),
          after_api,
          Job("webhook", "cancellation.webhook", 60, "await_confirmation", "manual"),
          await,
          confirmed,
          Job("manual", "cancellation.manual_instructions", 90, "notify_manual"),
          Notify("notify_completed", "completed", 95, "done"),
          Notify("notify_manual", "manual_required", 95, "done"),
          Notify("notify_failed", "failed", 95, "failed"),
          End("done", true),
          End("failed", false),
      }};
}

workflow::Definition WebhookProcessDefinition() {
  auto payload = [](const Context& c) {
    return boost::json::object{
        {"provider", StringMember(c, "provider")}, {"messageId", StringMember(c, "messageId")}, {"body", StringMember(c, "body")}};
  };
  Step process = Job("process", "webhook.process", 30, "update_status");
  process.payload = payload;
  Step update = Job("update_status", "webhook.update_status", 70, "");
  update.payload = payload;
  return workflow::Definition{kWebhookProcess, "process", {process, update}};
}

}  // namespace cancelflow::cancellation
