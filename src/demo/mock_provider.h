// MockProvider: an HTTP server on loopback that plays the demo providers of
// API.md ("The demo providers"), so every path of a cancellation can be seen
// and tested without an account anywhere:
//
//   demo-instant  API cancels at once (200, confirmation code)
//   demo-flaky    API answers 503 twice per idempotency key, then 200
//   demo-webhook  API refuses (400); our signed webhook is accepted (202) and
//                 the provider confirms with a signed inbound webhook to
//                 cancelflow about `confirm_delay` later
//   demo-silent   API refuses; the webhook is accepted and never confirmed
//   demo-manual   (no API, no webhook: nothing to serve)
//   demo-hang     API answers only after `hang`, past any sane timeout
//
// Routes: POST /<provider>/api/cancel, POST /<provider>/webhook,
// GET /_stats (calls per idempotency key, effective cancellations per
// external id: a provider cancels a subscription once, whatever is retried).
// Incoming webhooks must carry a valid Standard Webhooks signature made with
// `webhook_secret` (401 otherwise).
//
// Thread-safety: Start/Stop from one thread; the server runs its own threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow::demo {

struct MockProviderOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;               // 0: any free port
  std::string callback_base_url;   // cancelflow, e.g. http://127.0.0.1:3000; empty: never confirm
  std::string webhook_secret;      // whsec_… shared with cancelflow (both directions)
  Millis confirm_delay{1000};
  Millis hang{30'000};
};

class MockProvider {
 public:
  static Result<std::unique_ptr<MockProvider>> Start(MockProviderOptions options);
  virtual ~MockProvider() = default;

  virtual uint16_t port() const = 0;
  std::string base_url() const;
  // Effective cancellations of a subscription, by its external id.
  virtual int CancellationsOf(const std::string& external_id) const = 0;
  // API calls made with this idempotency key.
  virtual int CallsWith(const std::string& idempotency_key) const = 0;
  // Where confirmations go (cancelflow's base URL), when it is known only after Start.
  virtual void SetCallbackBaseUrl(const std::string& url) = 0;
  virtual void Stop() = 0;
};

// The demo providers' configuration (the same as config/providers.example.json)
// pointing at a mock on `base_url`, as PROVIDERS_FILE JSON text.
std::string DemoProvidersJson(const std::string& base_url, const std::string& webhook_secret,
                              Millis confirmation_timeout = Millis(5000));

// The demo webhook secret of config/providers.example.json.
inline constexpr const char* kDemoWebhookSecret = "whsec_ZGVtby13ZWJob29rLXNlY3JldC0wMDAwMDAwMDAw";

}  // namespace cancelflow::demo
