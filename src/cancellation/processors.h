// The job processors of the cancellation domain (DESIGN.md, "cancellation"):
//   CancellationJobProcessor  cancellation.validate, .api, .webhook, .manual_instructions
//   NotificationJobProcessor  notification.send (stored notification + realtime event; email)
//   WebhookJobProcessor       webhook.process, webhook.update_status (inbound provider webhooks)
//   AnalyticsJobProcessor     analytics.track (per provider/method outcomes and durations)
// Every processor is idempotent: it may run more than once for one job (at
// least once delivery); provider calls carry the request id as idempotency key.
// Errors follow the queue's classes: provider 5xx/timeouts are temporary,
// refusals are configuration errors, bad data is a user error.
#pragma once

#include <optional>
#include <string>

#include "cancellation/notifier.h"
#include "cancellation/provider_config.h"
#include "events/event_bus.h"
#include "queue/worker_pool.h"
#include "store/store.h"

namespace cancelflow::cancellation {

struct ProcessorContext {
  store::Store& store;
  events::EventBus& bus;
  const ProviderRegistry& providers;
  Notifier& notifier;
  Clock& clock;
  std::optional<std::string> smtp_url;  // unset: emails go to the outbox
  std::string mail_from = "cancelflow@localhost";
};

// Registers every processor above with the pool. `ctx` must outlive the pool.
void RegisterProcessors(queue::WorkerPool& pool, const ProcessorContext& ctx);

// Classifies a provider's HTTP status by the provider's lists (ApiConfig).
Status ClassifyProviderStatus(const ApiConfig& api, int status, const std::string& what);

}  // namespace cancelflow::cancellation
