// Provider configuration (DESIGN.md, "Providers"): how to cancel with each
// provider, read from PROVIDERS_FILE (example: config/providers.example.json).
//
// Strings may reference the environment as ${NAME} (secrets stay out of the
// file); a missing variable stops loading with an error naming it. API URL
// and body templates take {{externalId}}, {{requestId}}, {{subscriptionId}},
// {{userId}} and {{reason}} at call time. A loaded registry is immutable and
// may be shared between threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"

namespace cancelflow::cancellation {

struct ApiConfig {
  std::string method = "POST";
  std::string url;  // template
  std::map<std::string, std::string> headers;
  std::string body = "{}";  // JSON template
  Millis timeout{5000};
  std::string idempotency_header = "Idempotency-Key";
  std::vector<int> success{200, 201, 202, 204};
  std::vector<int> temporary{408, 425, 429, 500, 502, 503, 504};
  std::vector<int> configuration{400, 401, 403, 404, 405, 501};
  std::vector<int> user{409, 410, 422};
};

struct WebhookConfig {
  std::string url;             // where our signed cancellation request goes
  std::string signing_secret;  // whsec_… for outgoing requests
  Millis confirmation_timeout{300'000};
  std::string scheme = "standard";           // inbound verification: standard | stripe
  std::vector<std::string> inbound_secrets;  // several, for rotation
};

struct ManualConfig {
  std::vector<std::string> steps;
  std::optional<std::string> url, phone, email;
};

struct ProviderConfig {
  std::string name;
  std::string display_name;
  std::optional<ApiConfig> api;
  std::optional<WebhookConfig> webhook;
  ManualConfig manual;
};

class ProviderRegistry {
 public:
  // Parses the file's JSON; errors name the provider and field.
  static Result<ProviderRegistry> Parse(std::string_view json_text, const ConfigLookup& env);
  static Result<ProviderRegistry> LoadFile(const std::string& path, const ConfigLookup& env);

  const ProviderConfig* Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  void Add(ProviderConfig provider);

 private:
  std::map<std::string, ProviderConfig, std::less<>> providers_;
};

// Replaces {{name}} placeholders; `escape_json` escapes values for use inside a JSON string.
std::string RenderTemplate(std::string_view tmpl, const std::map<std::string, std::string>& values,
                           bool escape_json);

}  // namespace cancelflow::cancellation
