// Webhook signatures (API.md, "Inbound provider webhooks").
//
// Standard Webhooks: headers webhook-id, webhook-timestamp (unix seconds) and
// webhook-signature = space-separated "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>",
// where the key is the base64-decoded part of a "whsec_…" secret. Any one valid
// signature with any one of the provider's secrets (rotation) passes.
// Stripe: Stripe-Signature "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>", the
// secret used as is.
// Both: the timestamp must be within `tolerance` of now. Comparisons are
// constant-time. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow::cancellation {

// "v1,<base64>" for one secret. InvalidArgument for a secret that is not whsec_<base64>.
Result<std::string> SignStandardWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                        std::string_view body);

struct StandardWebhookHeaders {
  std::string id;
  std::string timestamp;
  std::string signature;
};

// OK, or Unauthenticated saying why (missing header, bad timestamp, no valid signature).
Status VerifyStandardWebhook(const std::vector<std::string>& secrets, const StandardWebhookHeaders& headers,
                             std::string_view body, TimePoint now, Millis tolerance = Millis(300'000));

// "t=<unix>,v1=<hex>"
std::string SignStripeWebhook(std::string_view secret, int64_t timestamp, std::string_view body);
Status VerifyStripeWebhook(const std::vector<std::string>& secrets, std::string_view header, std::string_view body,
                           TimePoint now, Millis tolerance = Millis(300'000));

// Helpers, exposed for tests.
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Base64Encode(std::string_view raw);
std::optional<std::string> Base64Decode(std::string_view text);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cancelflow::cancellation
