#include "core/config.h"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

namespace cancelflow {
namespace {

Status Invalid(std::string_view name, std::string_view value, std::string_view why) {
  return InvalidArgument(fmt::format("invalid {}={:?}: {}", name, value, why));
}

Result<int64_t> ParseInteger(std::string_view name, std::string_view value, int64_t min, int64_t max) {
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Invalid(name, value, "expected an integer");
  }
  if (out < min || out > max) {
    return Invalid(name, value, fmt::format("must be between {} and {}", min, max));
  }
  return out;
}

Result<double> ParseNumber(std::string_view name, std::string_view value, double min, double max) {
  double out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Invalid(name, value, "expected a number");
  }
  if (!(out >= min && out <= max)) {
    return Invalid(name, value, fmt::format("must be between {} and {}", min, max));
  }
  return out;
}

Status ParseAddr(std::string_view value, Config& c) {
  const auto colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Invalid("CANCELFLOW_ADDR", value, "expected HOST:PORT, e.g. 127.0.0.1:3000");
  }
  auto port = ParseInteger("CANCELFLOW_ADDR", value.substr(colon + 1), 0, 65535);
  if (!port) return port.status();
  std::string host(value.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  c.host = std::move(host);
  c.port = static_cast<uint16_t>(*port);
  return Status::Ok();
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

std::optional<std::string> EnvironmentLookup(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url) {
  constexpr std::string_view kName = "DATABASE_URL";
  if (StartsWith(url, "sqlite://")) {
    std::string path(url.substr(9));
    if (path.empty()) return Invalid(kName, url, "sqlite:// needs a file path, e.g. sqlite://./data/cancelflow.db");
    return DatabaseUrl{DatabaseKind::kSqlite, std::string(url), path};
  }
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    return DatabaseUrl{DatabaseKind::kPostgres, std::string(url), ""};
  }
  return Invalid(kName, url, "expected sqlite://PATH or postgres://…");
}

const std::vector<ConfigVariable>& ConfigVariables() {
  static const std::vector<ConfigVariable> kVars = {
      {"CANCELFLOW_ADDR", "127.0.0.1:3000", "address the HTTP server listens on"},
      {"DATABASE_URL", "sqlite://./data/cancelflow.db", "records store: sqlite://PATH or postgres://…"},
      {"REDIS_URL", "", "set: Redis queue and cross-instance events"},
      {"JOB_PROCESSING_INTERVAL", "1000", "ms; bounds the idle wait of workers and the delayed-job tick"},
      {"WORKER_CONCURRENCY", "8", "jobs processed at once by this instance"},
      {"SSE_KEEPALIVE_INTERVAL", "30000", "ms between keepalive comments on SSE streams"},
      {"SSE_IDLE_TIMEOUT", "1800000", "ms after which an idle SSE stream is closed"},
      {"SSE_MAX_CONNECTIONS_PER_USER", "5", "SSE streams one user may hold"},
      {"PROVIDERS_FILE", "", "providers configuration (JSON)"},
      {"SMTP_URL", "", "smtp://host:port for emails; unset: emails go to the outbox"},
      {"TRPC_TRANSFORMER", "superjson", "superjson or none"},
      {"RATE_LIMIT_RPS", "20", "requests per second per user; 0 turns the limit off"},
      {"RATE_LIMIT_BURST", "40", "burst per user"},
      {"METRICS_TOKEN", "", "bearer token required by /metrics when set"},
      {"CANCELFLOW_ENV", "production", "production, development or test (NODE_ENV is read too)"},
      {"CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN", "", "creates the admin with this token on first start"},
  };
  return kVars;
}

Result<Config> LoadConfig(const ConfigLookup& raw_lookup) {
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto v = raw_lookup(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  Config c;
  if (auto v = lookup("CANCELFLOW_ADDR")) CF_RETURN_IF_ERROR(ParseAddr(*v, c));
  if (auto v = lookup("DATABASE_URL")) {
    auto db = ParseDatabaseUrl(*v);
    if (!db) return db.status();
    c.database = *db;
  }
  if (auto v = lookup("REDIS_URL")) {
    if (!StartsWith(*v, "redis://") && !StartsWith(*v, "rediss://")) {
      return Invalid("REDIS_URL", *v, "expected redis://HOST:PORT[/DB]");
    }
    c.redis_url = *v;
  }
  auto millis = [&](std::string_view name, Millis& out, int64_t min, int64_t max) -> Status {
    if (auto v = lookup(name)) {
      auto n = ParseInteger(name, *v, min, max);
      if (!n) return n.status();
      out = Millis(*n);
    }
    return Status::Ok();
  };
  auto integer = [&](std::string_view name, int& out, int64_t min, int64_t max) -> Status {
    if (auto v = lookup(name)) {
      auto n = ParseInteger(name, *v, min, max);
      if (!n) return n.status();
      out = static_cast<int>(*n);
    }
    return Status::Ok();
  };
  CF_RETURN_IF_ERROR(millis("JOB_PROCESSING_INTERVAL", c.job_processing_interval, 10, 3'600'000));
  CF_RETURN_IF_ERROR(integer("WORKER_CONCURRENCY", c.worker_concurrency, 1, 1024));
  CF_RETURN_IF_ERROR(millis("SSE_KEEPALIVE_INTERVAL", c.sse_keepalive_interval, 100, 3'600'000));
  CF_RETURN_IF_ERROR(millis("SSE_IDLE_TIMEOUT", c.sse_idle_timeout, 1000, 86'400'000));
  CF_RETURN_IF_ERROR(integer("SSE_MAX_CONNECTIONS_PER_USER", c.sse_max_connections_per_user, 1, 100'000));
  c.providers_file = lookup("PROVIDERS_FILE");
  if (auto v = lookup("SMTP_URL")) {
    if (!StartsWith(*v, "smtp://") && !StartsWith(*v, "smtps://")) {
      return Invalid("SMTP_URL", *v, "expected smtp://HOST:PORT or smtps://…");
    }
    c.smtp_url = *v;
  }
  if (auto v = lookup("TRPC_TRANSFORMER")) {
    if (*v != "superjson" && *v != "none") return Invalid("TRPC_TRANSFORMER", *v, "expected superjson or none");
    c.trpc_transformer = *v;
  }
  if (auto v = lookup("RATE_LIMIT_RPS")) {
    auto n = ParseNumber("RATE_LIMIT_RPS", *v, 0, 1e9);
    if (!n) return n.status();
    c.rate_limit_rps = *n;
  }
  CF_RETURN_IF_ERROR(integer("RATE_LIMIT_BURST", c.rate_limit_burst, 0, 1'000'000'000));
  c.metrics_token = lookup("METRICS_TOKEN");
  for (std::string_view name : {"NODE_ENV", "CANCELFLOW_ENV"}) {  // the second wins
    if (auto v = lookup(name)) {
      if (*v == "production") c.environment = Environment::kProduction;
      else if (*v == "development") c.environment = Environment::kDevelopment;
      else if (*v == "test") c.environment = Environment::kTest;
      else return Invalid(name, *v, "expected production, development or test");
    }
  }
  if (auto v = lookup("CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN")) {
    if (v->size() < 16) {
      // Never echo the value: it is a secret.
      return InvalidArgument("invalid CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN: must be at least 16 characters");
    }
    c.bootstrap_admin_token = *v;
  }
  return c;
}

}  // namespace cancelflow
