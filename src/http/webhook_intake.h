// WebhookIntake: POST /v1/webhooks/{provider} (API.md, "Inbound provider
// webhooks"). Verifies the provider's signature scheme with the provider's
// secrets (several, for rotation), refuses a replayed message id, and hands a
// valid webhook to the webhook.process workflow, answering 202 at once.
// Everything refused is answered 401 and recorded as webhook.rejected; nothing
// of it is processed. Thread-safe; blocks on the store (call from a worker).
#pragma once

#include "cancellation/provider_config.h"
#include "core/clock.h"
#include "events/event_bus.h"
#include "http/http_types.h"
#include "store/store.h"
#include "workflow/workflow_engine.h"

namespace cancelflow::http {

class WebhookIntake {
 public:
  WebhookIntake(const cancellation::ProviderRegistry& providers, store::Store& store,
                workflow::WorkflowEngine& engine, events::EventBus& bus, Clock& clock)
      : providers_(providers), store_(store), engine_(engine), bus_(bus), clock_(clock) {}

  Response Handle(const Request& req, const std::string& provider);

 private:
  Response Reject(const std::string& provider, const std::string& reason);

  const cancellation::ProviderRegistry& providers_;
  store::Store& store_;
  workflow::WorkflowEngine& engine_;
  events::EventBus& bus_;
  Clock& clock_;
};

}  // namespace cancelflow::http
