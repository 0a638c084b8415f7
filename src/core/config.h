// Config: the service's settings, read from the environment variables of
// DESIGN.md ("Configuration") with command-line flags taking precedence.
//
// LoadConfig validates everything up front: an invalid value is an error whose
// message names the variable, and start-up stops there. Values are plain data;
// a loaded Config is immutable and may be shared between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow {

enum class Environment { kProduction, kDevelopment, kTest };
enum class DatabaseKind { kSqlite, kPostgres };

struct DatabaseUrl {
  DatabaseKind kind = DatabaseKind::kSqlite;
  std::string url;   // as given
  std::string path;  // sqlite: the file path ("./data/cancelflow.db"); ":memory:" allowed
};

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 3000;
  DatabaseUrl database{DatabaseKind::kSqlite, "sqlite://./data/cancelflow.db", "./data/cancelflow.db"};
  std::optional<std::string> redis_url;
  Millis job_processing_interval{1000};
  int worker_concurrency = 8;
  Millis sse_keepalive_interval{30'000};
  Millis sse_idle_timeout{1'800'000};
  int sse_max_connections_per_user = 5;
  std::optional<std::string> providers_file;
  std::optional<std::string> smtp_url;
  std::string trpc_transformer = "superjson";
  double rate_limit_rps = 20;
  int rate_limit_burst = 40;
  std::optional<std::string> metrics_token;
  Environment environment = Environment::kProduction;
  std::optional<std::string> bootstrap_admin_token;

  bool development() const { return environment == Environment::kDevelopment; }
};

// Looks a variable up; returns nullopt when it is not set.
using ConfigLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the process environment.
std::optional<std::string> EnvironmentLookup(std::string_view name);

// Builds a Config from `lookup`. Empty values count as unset.
Result<Config> LoadConfig(const ConfigLookup& lookup);

// The variables LoadConfig reads, with their defaults and meaning, for --help.
struct ConfigVariable {
  std::string_view name;
  std::string_view default_value;
  std::string_view help;
};
const std::vector<ConfigVariable>& ConfigVariables();

Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url);

}  // namespace cancelflow
