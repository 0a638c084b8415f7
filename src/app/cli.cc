#include "app/cli.h"

#include <csignal>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/runtime.h"
#include "app/service.h"
#include "core/log.h"
#include "demo/mock_provider.h"
#include "http/auth.h"
#include "queue/job_json.h"
#include "queue/worker_pool.h"

namespace cancelflow::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr Millis kShutdownGrace{30'000};

// Flag values by the environment variable they override.
using Overrides = std::map<std::string, std::string, std::less<>>;

void AddFlag(CLI::App* cmd, Overrides& o, const std::string& flag, const std::string& var, const std::string& help) {
  cmd->add_option_function<std::string>(
         flag, [&o, var](const std::string& v) { o[var] = v; }, help + " (" + var + ")")
      ->type_name("VALUE");
}

void AddStoreFlags(CLI::App* cmd, Overrides& o) {
  AddFlag(cmd, o, "--database-url", "DATABASE_URL", "records store");
  AddFlag(cmd, o, "--redis-url", "REDIS_URL", "Redis for the queue and cross-instance events");
  AddFlag(cmd, o, "--env", "CANCELFLOW_ENV", "production, development or test");
}

std::string ServeFooter() {
  std::string s = "Environment variables (flags take precedence):\n";
  for (const auto& v : ConfigVariables()) {
    s += fmt::format("  {:<34} {}{}\n", v.name, v.help,
                     v.default_value.empty() ? "" : fmt::format(" [default: {}]", v.default_value));
  }
  return s;
}

Result<Config> Load(const Overrides& o) {
  return LoadConfig([&o](std::string_view name) -> std::optional<std::string> {
    if (auto it = o.find(name); it != o.end()) return it->second;
    return EnvironmentLookup(name);
  });
}

void PrintJson(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

// Loads the configuration and opens the runtime, or says why not.
std::unique_ptr<Runtime> OpenRuntime(const Overrides& o, int& exit_code) {
  auto config = Load(o);
  if (!config) {
    std::cerr << "cancelflow: " << config.status().message() << "\n";
    exit_code = kExitUsage;
    return nullptr;
  }
  ConfigureLogging(config->environment);
  auto rt = Runtime::Open(*config, SystemClock::Get());
  if (!rt) {
    std::cerr << "cancelflow: " << rt.status().message() << "\n";
    exit_code = rt.status().code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
    return nullptr;
  }
  return std::move(*rt);
}

int Serve(const Overrides& o, bool demo) {
  // Block the shutdown signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  const Config& cfg = rt->config();
  auto service = Service::Start(*rt, {.demo = demo});
  if (!service) {
    std::cerr << "cancelflow: " << service.status().message() << "\n";
    return service.status().code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  spdlog::info("cancelflow {} serving on http://{}:{} (store {}, {} workers)", CANCELFLOW_VERSION, cfg.host,
               (*service)->http_port(), cfg.database.path, cfg.worker_concurrency);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}; draining workers (up to {} s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
               kShutdownGrace.count() / 1000);
  (*service)->Stop(kShutdownGrace);
  spdlog::info("stopped");
  return 0;
}

int Migrate(const Overrides& o) {
  int code = 0;
  auto rt = OpenRuntime(o, code);  // opening applies pending migrations
  if (!rt) return code;
  std::cout << "database " << rt->config().database.path << " is up to date\n";
  return 0;
}

int JobsStats(const Overrides& o) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  auto stats = rt->queue().GetStats();
  if (!stats) {
    std::cerr << "cancelflow: " << stats.status().ToString() << "\n";
    return kExitFailure;
  }
  PrintJson(queue::StatsToJson(*stats));
  return 0;
}

int JobsFailed(const Overrides& o, int limit) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  auto jobs = rt->queue().GetFailedJobs(limit);
  if (!jobs) {
    std::cerr << "cancelflow: " << jobs.status().ToString() << "\n";
    return kExitFailure;
  }
  boost::json::array items;
  for (const auto& j : *jobs) items.push_back(queue::JobToJson(j));
  PrintJson(boost::json::object{{"items", std::move(items)}});
  return 0;
}

int JobsRetry(const Overrides& o, const std::string& id) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  auto job = rt->queue().RetryFailedJob(id);
  if (!job) {
    std::cerr << "cancelflow: " << job.status().message() << "\n";
    return kExitFailure;
  }
  PrintJson(queue::JobToJson(*job));
  return 0;
}

int JobsPauseOrResume(const Overrides& o, const std::string& type, bool pause) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  Status s = pause ? rt->queue().Pause(type) : rt->queue().Resume(type);
  if (!s.ok()) {
    std::cerr << "cancelflow: " << s.message() << "\n";
    return kExitFailure;
  }
  std::cout << "job type " << type << (pause ? " paused" : " resumed") << "\n";
  return 0;
}

// users create / tokens create: print the new token once, on stdout alone, so
// scripts can capture it (TOKEN=$(cancelflow users create …)).
int PrintNewToken(const Result<std::string>& token) {
  if (!token) {
    std::cerr << "cancelflow: " << token.status().message() << "\n";
    return token.status().code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::cout << *token << "\n";
  return 0;
}

int UsersCreate(const Overrides& o, const std::string& id, const std::string& email, bool admin) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  return PrintNewToken(http::CreateUserWithToken(rt->store(), rt->clock(), id, email, admin ? "admin" : "user"));
}

int TokensCreate(const Overrides& o, const std::string& user_id) {
  int code = 0;
  auto rt = OpenRuntime(o, code);
  if (!rt) return code;
  return PrintNewToken(http::IssueToken(rt->store(), rt->clock(), user_id));
}

int RunMockProvider(const std::string& addr, const std::string& callback, const std::string& secret, int delay_ms) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto config = LoadConfig([&](std::string_view name) -> std::optional<std::string> {
    if (name == "CANCELFLOW_ADDR") return addr;
    return std::nullopt;
  });
  if (!config) {
    std::cerr << "cancelflow: " << config.status().message() << "\n";
    return kExitUsage;
  }
  ConfigureLogging(Environment::kDevelopment);
  auto mock = demo::MockProvider::Start({.host = config->host,
                                         .port = config->port,
                                         .callback_base_url = callback,
                                         .webhook_secret = secret,
                                         .confirm_delay = Millis(delay_ms)});
  if (!mock) {
    std::cerr << "cancelflow: " << mock.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "mock provider listening on " << (*mock)->base_url() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  (*mock)->Stop();
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"cancelflow — cancels subscriptions, reliably and visibly"};
  app.set_version_flag("--version", std::string("cancelflow ") + CANCELFLOW_VERSION);
  app.require_subcommand(1);
  Overrides o;
  int limit = 10;
  std::string job_id;

  auto* serve = app.add_subcommand("serve", "Run the service: store, job workers, event bus");
  AddFlag(serve, o, "--addr", "CANCELFLOW_ADDR", "HOST:PORT to listen on");
  AddStoreFlags(serve, o);
  AddFlag(serve, o, "--worker-concurrency", "WORKER_CONCURRENCY", "jobs processed at once");
  AddFlag(serve, o, "--job-processing-interval", "JOB_PROCESSING_INTERVAL", "idle tick of the workers, ms");
  bool demo = false;
  serve->add_flag("--demo", demo, "run the demo providers in-process (see API.md, \"The demo providers\")");
  AddFlag(serve, o, "--providers-file", "PROVIDERS_FILE", "providers configuration (JSON)");
  serve->footer(ServeFooter());

  std::string mock_addr = "127.0.0.1:4010", mock_callback, mock_secret = demo::kDemoWebhookSecret;
  int mock_delay_ms = 1000;
  auto* mock = app.add_subcommand("mock-provider", "Run the demo providers as a standalone HTTP server (for tests)");
  mock->add_option("--addr", mock_addr, "HOST:PORT to listen on")->capture_default_str();
  mock->add_option("--callback-url", mock_callback, "cancelflow's base URL, for demo-webhook's confirmations");
  mock->add_option("--webhook-secret", mock_secret, "whsec_… shared with cancelflow");
  mock->add_option("--confirm-delay-ms", mock_delay_ms, "delay of demo-webhook's confirmation")
      ->check(CLI::Range(0, 600'000))
      ->capture_default_str();

  auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
  AddStoreFlags(migrate, o);

  auto* jobs = app.add_subcommand("jobs", "Inspect and repair the job queue");
  jobs->require_subcommand(1);
  auto* stats = jobs->add_subcommand("stats", "Counts by state and type, throughput, processing times (JSON)");
  AddStoreFlags(stats, o);
  auto* failed = jobs->add_subcommand("failed", "Failed jobs, newest first (JSON)");
  AddStoreFlags(failed, o);
  failed->add_option("--limit", limit, "how many")->check(CLI::Range(1, 1000))->capture_default_str();
  auto* retry = jobs->add_subcommand("retry", "Put a failed job back in the queue with fresh attempts");
  AddStoreFlags(retry, o);
  retry->add_option("id", job_id, "the job's id (job_…)")->required();
  std::string job_type;
  auto* pause = jobs->add_subcommand("pause", "Stop claiming jobs of a type (they keep waiting)");
  AddStoreFlags(pause, o);
  pause->add_option("type", job_type, "the job type")->required();
  auto* resume = jobs->add_subcommand("resume", "Claim jobs of a paused type again");
  AddStoreFlags(resume, o);
  resume->add_option("type", job_type, "the job type")->required();

  std::string user_id, user_email;
  bool user_admin = false;
  auto* users = app.add_subcommand("users", "Manage users");
  users->require_subcommand(1);
  auto* users_create = users->add_subcommand("create", "Create a user and print their first bearer token (once)");
  AddStoreFlags(users_create, o);
  users_create->add_option("--id", user_id, "the user's id (letters, digits, _ - .)")->required();
  users_create->add_option("--email", user_email, "the user's email address")->required();
  users_create->add_flag("--admin", user_admin, "make the user an admin");
  auto* tokens = app.add_subcommand("tokens", "Manage bearer tokens");
  tokens->require_subcommand(1);
  auto* tokens_create = tokens->add_subcommand("create", "Create another bearer token for a user and print it (once)");
  AddStoreFlags(tokens_create, o);
  tokens_create->add_option("--user", user_id, "the user's id")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (serve->parsed()) return Serve(o, demo);
  if (mock->parsed()) return RunMockProvider(mock_addr, mock_callback, mock_secret, mock_delay_ms);
  if (migrate->parsed()) return Migrate(o);
  if (stats->parsed()) return JobsStats(o);
  if (failed->parsed()) return JobsFailed(o, limit);
  if (retry->parsed()) return JobsRetry(o, job_id);
  if (pause->parsed()) return JobsPauseOrResume(o, job_type, true);
  if (resume->parsed()) return JobsPauseOrResume(o, job_type, false);
  if (users_create->parsed()) return UsersCreate(o, user_id, user_email, user_admin);
  if (tokens_create->parsed()) return TokensCreate(o, user_id);
  return kExitUsage;
}

}  // namespace cancelflow::app
