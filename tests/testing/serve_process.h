// ServeProcess: `cancelflow serve` started as a child process for black-box
// tests, on its own SQLite file in a TempDir, any free port, with the given
// environment; the port is read from its start-up log line. Stopped with
// SIGTERM (and reaped) on destruction.
#pragma once

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace cancelflow::testing {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

class ServeProcess {
 public:
  // `env` adds to (or overrides) the defaults: development mode, the bootstrap
  // admin token, no rate limit.
  ServeProcess(const TempDir& dir, std::map<std::string, std::string> env = {},
               std::vector<std::string> flags = {"--demo"}, const std::string& name = "serve")
      : log_(dir.File(name + ".log")) {
    std::map<std::string, std::string> vars = {
        {"DATABASE_URL", "sqlite://" + dir.File(name + ".db")},
        {"CANCELFLOW_ADDR", "127.0.0.1:0"},
        {"CANCELFLOW_ENV", "development"},
        {"CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN", kAdminToken},
        {"RATE_LIMIT_RPS", "0"},
        {"JOB_PROCESSING_INTERVAL", "50"}};
    for (auto& [k, v] : env) vars[k] = v;
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& [k, v] : vars) argv.push_back(k + "=" + v);
    argv.push_back(CANCELFLOW_BIN);
    argv.push_back("serve");
    for (auto& f : flags) argv.push_back(f);
    pid_ = Spawn(argv, log_);
    const std::regex serving(R"(serving on http://127\.0\.0\.1:(\d+))");
    WaitUntil([&] {
      std::smatch m;
      const std::string log = Log();
      if (!std::regex_search(log, m, serving)) return false;
      port_ = std::stoi(m[1]);
      return true;
    });
  }
  ~ServeProcess() { Stop(); }

  int Stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    exit_code_ = WaitExit(pid_);
    pid_ = -1;
    return exit_code_;
  }

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
};

}  // namespace cancelflow::testing
