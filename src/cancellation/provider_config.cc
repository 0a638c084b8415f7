#include "cancellation/provider_config.h"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace cancelflow::cancellation {
namespace {

namespace json = boost::json;

// Resolves ${NAME} references.
Result<std::string> ResolveEnv(std::string_view s, const ConfigLookup& env, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = s.find("${", i);
    if (start == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    size_t end = s.find('}', start);
    if (end == std::string_view::npos) return InvalidArgument(where + ": unterminated ${");
    out.append(s.substr(i, start - i));
    const std::string name(s.substr(start + 2, end - start - 2));
    auto value = env(name);
    if (!value) return FailedPrecondition(fmt::format("{}: environment variable {} is not set", where, name));
    out += *value;
    i = end + 1;
  }
  return out;
}

Result<std::string> String(const json::object& o, std::string_view key, const ConfigLookup& env,
                           const std::string& where, bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return InvalidArgument(fmt::format("{}.{}: required", where, key));
    return std::string();
  }
  if (!v->is_string()) return InvalidArgument(fmt::format("{}.{}: must be a string", where, key));
  return ResolveEnv(v->as_string(), env, where + "." + std::string(key));
}

Result<std::vector<int>> Codes(const json::object& o, std::string_view key, std::vector<int> fallback,
                               const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_array()) return InvalidArgument(fmt::format("{}.{}: must be an array of status codes", where, key));
  std::vector<int> out;
  for (const auto& e : v->as_array()) {
    if (!e.is_int64()) return InvalidArgument(fmt::format("{}.{}: must be an array of status codes", where, key));
    out.push_back(static_cast<int>(e.as_int64()));
  }
  return out;
}

Result<Millis> Duration(const json::object& o, std::string_view key, Millis fallback, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_int64() || v->as_int64() <= 0) {
    return InvalidArgument(fmt::format("{}.{}: must be a positive number of milliseconds", where, key));
  }
  return Millis(v->as_int64());
}

#define CF_ASSIGN(lhs, expr)           \
  do {                                 \
    auto cf_r_ = (expr);               \
    if (!cf_r_) return cf_r_.status(); \
    lhs = std::move(*cf_r_);           \
  } while (false)

Result<ProviderConfig> ParseProvider(const std::string& name, const json::value& v, const ConfigLookup& env) {
  const std::string where = "providers." + name;
  if (!v.is_object()) return InvalidArgument(where + ": must be an object");
  const auto& o = v.as_object();
  ProviderConfig p;
  p.name = name;
  CF_ASSIGN(p.display_name, String(o, "displayName", env, where, false));
  if (p.display_name.empty()) p.display_name = name;

  if (const auto* a = o.if_contains("api"); a != nullptr && !a->is_null()) {
    const std::string w = where + ".api";
    if (!a->is_object()) return InvalidArgument(w + ": must be an object");
    const auto& ao = a->as_object();
    ApiConfig api;
    CF_ASSIGN(api.url, String(ao, "url", env, w, true));
    std::string method;
    CF_ASSIGN(method, String(ao, "method", env, w, false));
    if (!method.empty()) api.method = method;
    if (const auto* h = ao.if_contains("headers")) {
      if (!h->is_object()) return InvalidArgument(w + ".headers: must be an object");
      for (const auto& [k, hv] : h->as_object()) {
        if (!hv.is_string()) return InvalidArgument(fmt::format("{}.headers.{}: must be a string", w, std::string(k)));
        CF_ASSIGN(api.headers[std::string(k)], ResolveEnv(hv.as_string(), env, w + ".headers." + std::string(k)));
      }
    }
    if (const auto* b = ao.if_contains("body")) api.body = json::serialize(*b);
    CF_ASSIGN(api.timeout, Duration(ao, "timeoutMs", api.timeout, w));
    std::string idem;
    CF_ASSIGN(idem, String(ao, "idempotencyHeader", env, w, false));
    if (!idem.empty()) api.idempotency_header = idem;
    CF_ASSIGN(api.success, Codes(ao, "successStatuses", api.success, w));
    CF_ASSIGN(api.temporary, Codes(ao, "temporaryStatuses", api.temporary, w));
    CF_ASSIGN(api.configuration, Codes(ao, "configurationStatuses", api.configuration, w));
    CF_ASSIGN(api.user, Codes(ao, "userStatuses", api.user, w));
    p.api = std::move(api);
  }
  if (const auto* h = o.if_contains("webhook"); h != nullptr && !h->is_null()) {
    const std::string w = where + ".webhook";
    if (!h->is_object()) return InvalidArgument(w + ": must be an object");
    const auto& ho = h->as_object();
    WebhookConfig wh;
    CF_ASSIGN(wh.url, String(ho, "url", env, w, false));
    CF_ASSIGN(wh.signing_secret, String(ho, "signingSecret", env, w, false));
    CF_ASSIGN(wh.confirmation_timeout, Duration(ho, "confirmationTimeoutMs", wh.confirmation_timeout, w));
    std::string scheme;
    CF_ASSIGN(scheme, String(ho, "scheme", env, w, false));
    if (!scheme.empty()) wh.scheme = scheme;
    if (wh.scheme != "standard" && wh.scheme != "stripe") return InvalidArgument(w + ".scheme: standard or stripe");
    if (const auto* s = ho.if_contains("inboundSecrets")) {
      if (!s->is_array()) return InvalidArgument(w + ".inboundSecrets: must be an array");
      for (const auto& e : s->as_array()) {
        if (!e.is_string()) return InvalidArgument(w + ".inboundSecrets: must hold strings");
        std::string secret;
        CF_ASSIGN(secret, ResolveEnv(e.as_string(), env, w + ".inboundSecrets"));
        wh.inbound_secrets.push_back(std::move(secret));
      }
    }
    if (!wh.url.empty() && wh.signing_secret.empty()) return InvalidArgument(w + ".signingSecret: required with url");
    p.webhook = std::move(wh);
  }
  if (const auto* m = o.if_contains("manual"); m != nullptr && m->is_object()) {
    const auto& mo = m->as_object();
    if (const auto* steps = mo.if_contains("steps"); steps != nullptr && steps->is_array()) {
      for (const auto& s : steps->as_array()) {
        if (s.is_string()) p.manual.steps.emplace_back(s.as_string());
      }
    }
    for (auto [key, field] : {std::pair{"url", &p.manual.url}, {"phone", &p.manual.phone}, {"email", &p.manual.email}}) {
      std::string value;
      CF_ASSIGN(value, String(mo, key, env, where + ".manual", false));
      if (!value.empty()) *field = value;
    }
  }
  if (p.manual.steps.empty()) {
    p.manual.steps = {"Sign in to your " + p.display_name + " account.", "Open the subscription or billing page.",
                      "Choose to cancel the subscription and confirm.",
                      "Keep the confirmation email or number, then confirm here that you are done."};
  }
  return p;
}

}  // namespace

Result<ProviderRegistry> ProviderRegistry::Parse(std::string_view text, const ConfigLookup& env) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return InvalidArgument(fmt::format("providers file is not valid JSON: {}", ec.message()));
  const json::value* providers = v.is_object() ? v.as_object().if_contains("providers") : nullptr;
  if (providers == nullptr || !providers->is_object()) return InvalidArgument("providers file: needs a \"providers\" object");
  ProviderRegistry reg;
  for (const auto& [name, pv] : providers->as_object()) {
    auto p = ParseProvider(std::string(name), pv, env);
    if (!p) return p.status();
    reg.Add(std::move(*p));
  }
  return reg;
}

Result<ProviderRegistry> ProviderRegistry::LoadFile(const std::string& path, const ConfigLookup& env) {
  std::ifstream in(path);
  if (!in) return FailedPrecondition(fmt::format("PROVIDERS_FILE: cannot read {:?}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto reg = Parse(ss.str(), env);
  if (!reg) return Status(reg.status().code(), fmt::format("PROVIDERS_FILE {:?}: {}", path, reg.status().message()));
  return reg;
}

const ProviderConfig* ProviderRegistry::Find(std::string_view name) const {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : &it->second;
}

std::vector<std::string> ProviderRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : providers_) out.push_back(name);
  return out;
}

void ProviderRegistry::Add(ProviderConfig provider) {
  std::string name = provider.name;
  providers_.insert_or_assign(std::move(name), std::move(provider));
}

std::string RenderTemplate(std::string_view tmpl, const std::map<std::string, std::string>& values,
                           bool escape_json) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t start = tmpl.find("{{", i);
    size_t end = start == std::string_view::npos ? start : tmpl.find("}}", start);
    if (end == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, start - i));
    auto it = values.find(std::string(tmpl.substr(start + 2, end - start - 2)));
    if (it != values.end()) {
      if (escape_json) {
        std::string quoted = json::serialize(json::value(it->second));
        out.append(quoted.substr(1, quoted.size() - 2));
      } else {
        out.append(it->second);
      }
    }
    i = end + 2;
  }
  return out;
}

}  // namespace cancelflow::cancellation
