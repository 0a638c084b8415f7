#include "core/config.h"

#include <map>

#include <gtest/gtest.h>

namespace cancelflow {
namespace {

Result<Config> LoadFrom(std::map<std::string, std::string, std::less<>> env) {
  return LoadConfig([env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Config, DefaultsMatchTheDesign) {
  auto c = LoadFrom({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 3000);
  EXPECT_EQ(c->database.kind, DatabaseKind::kSqlite);
  EXPECT_EQ(c->database.path, "./data/cancelflow.db");
  EXPECT_EQ(c->job_processing_interval, Millis(1000));
  EXPECT_EQ(c->sse_keepalive_interval, Millis(30'000));
  EXPECT_EQ(c->sse_idle_timeout, Millis(1'800'000));
  EXPECT_EQ(c->sse_max_connections_per_user, 5);
  EXPECT_EQ(c->trpc_transformer, "superjson");
  EXPECT_EQ(c->rate_limit_rps, 20);
  EXPECT_EQ(c->rate_limit_burst, 40);
  EXPECT_FALSE(c->redis_url.has_value());
  EXPECT_EQ(c->environment, Environment::kProduction);
}

TEST(Config, ReadsEveryVariable) {
  auto c = LoadFrom({{"CANCELFLOW_ADDR", "0.0.0.0:8080"},
                     {"DATABASE_URL", "sqlite:///var/lib/cf.db"},
                     {"REDIS_URL", "redis://127.0.0.1:6379/0"},
                     {"JOB_PROCESSING_INTERVAL", "250"},
                     {"WORKER_CONCURRENCY", "16"},
                     {"SSE_KEEPALIVE_INTERVAL", "5000"},
                     {"SSE_IDLE_TIMEOUT", "60000"},
                     {"SSE_MAX_CONNECTIONS_PER_USER", "3"},
                     {"TRPC_TRANSFORMER", "none"},
                     {"RATE_LIMIT_RPS", "0"},
                     {"RATE_LIMIT_BURST", "0"},
                     {"SMTP_URL", "smtp://127.0.0.1:2525"},
                     {"NODE_ENV", "production"},
                     {"CANCELFLOW_ENV", "development"},
                     {"CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN", "cf_0123456789abcdef"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->database.path, "/var/lib/cf.db");
  EXPECT_EQ(c->redis_url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(c->job_processing_interval, Millis(250));
  EXPECT_EQ(c->worker_concurrency, 16);
  EXPECT_EQ(c->sse_max_connections_per_user, 3);
  EXPECT_EQ(c->trpc_transformer, "none");
  EXPECT_EQ(c->rate_limit_rps, 0);
  EXPECT_TRUE(c->development());  // CANCELFLOW_ENV wins over NODE_ENV
}

TEST(Config, PostgresUrlIsRecognised) {
  auto c = LoadFrom({{"DATABASE_URL", "postgres://cf@127.0.0.1:5432/cf"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->database.kind, DatabaseKind::kPostgres);
}

struct BadValue {
  const char* name;
  const char* value;
};

class ConfigRejects : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigRejects, InvalidValueNamingTheVariable) {
  auto c = LoadFrom({{GetParam().name, GetParam().value}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find(GetParam().name), std::string::npos) << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Values, ConfigRejects,
    ::testing::Values(BadValue{"CANCELFLOW_ADDR", "3000"}, BadValue{"CANCELFLOW_ADDR", "host:99999"},
                      BadValue{"DATABASE_URL", "mysql://x"}, BadValue{"DATABASE_URL", "sqlite://"},
                      BadValue{"REDIS_URL", "localhost:6379"}, BadValue{"JOB_PROCESSING_INTERVAL", "1s"},
                      BadValue{"JOB_PROCESSING_INTERVAL", "0"}, BadValue{"WORKER_CONCURRENCY", "-1"},
                      BadValue{"WORKER_CONCURRENCY", "abc"}, BadValue{"SSE_MAX_CONNECTIONS_PER_USER", "0"},
                      BadValue{"TRPC_TRANSFORMER", "devalue"}, BadValue{"RATE_LIMIT_RPS", "fast"},
                      BadValue{"SMTP_URL", "mail.example.com"}, BadValue{"CANCELFLOW_ENV", "staging"},
                      BadValue{"CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN", "short"}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
      return std::string(info.param.name) + "_" + std::to_string(info.index);
    });

TEST(Config, SecretValuesAreNotEchoed) {
  auto c = LoadFrom({{"CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN", "tiny-secret"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("tiny-secret"), std::string::npos);
}

TEST(Config, EmptyValuesCountAsUnset) {
  auto c = LoadFrom({{"REDIS_URL", ""}, {"WORKER_CONCURRENCY", ""}});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->redis_url.has_value());
  EXPECT_EQ(c->worker_concurrency, 8);
}

}  // namespace
}  // namespace cancelflow
