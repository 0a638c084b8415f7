// The built-in workflow definitions (DESIGN.md, "Workflow semantics").
//
// cancellation.full_process:
//   validate ─► route ─┬─► api ──────────────────────────────┬─► notify_completed
//                      ├─► webhook ─► await_confirmation ─► confirmed? ┤
//                      └─► manual ─► notify_manual           └─► manual
//   api fails ─► webhook (if the provider has one) or manual; webhook fails or
//   times out ─► manual; validate fails ─► notify_failed ─► failed.
//   The preferred method (auto, api, webhook, manual) chooses where route starts.
// webhook.process: process (check and match the provider's webhook to a
//   request) ─► update_status (publishes webhook.received, which resolves a
//   waiting full_process, or marks the subscription cancelled). Its context:
//   provider, messageId, body (the verified raw body).
//
// The context carries what the conditions need, fixed at initiation:
// requestId, userId, provider, preferredMethod, hasApi, hasWebhook,
// confirmationTimeoutMs.
#pragma once

#include "workflow/definition.h"

namespace cancelflow::cancellation {

inline constexpr const char* kFullProcess = "cancellation.full_process";
inline constexpr const char* kWebhookProcess = "webhook.process";

workflow::Definition FullProcessDefinition();
workflow::Definition WebhookProcessDefinition();

// The wait key of a request's confirmation: "cancellation:<requestId>".
std::string ConfirmationKey(std::string_view request_id);

}  // namespace cancelflow::cancellation
