// Full cancellations through the API path: the real service on the embedded
// default (SQLite file, job workers, workflow engine, audit log, notifications)
// against the in-process demo provider `demo-instant` over loopback HTTP.
//   build/release/bench/cancellation_benchmark [count] [producers] [rate] [workers]
// Prints completed cancellations per second and request → completed latency.
// With a rate (cancellations per second, all producers together) requests are
// paced, to measure latency below saturation; without, producers go flat out.
// Also prints the CPU time each kind of thread (by name) spent per cancellation
// during the run: the SQLite writer's share is what bounds throughput.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <mutex>
#include <thread>

#include "app/runtime.h"
#include "app/service.h"
#include "core/ids.h"
#include "testing/temp_dir.h"

using namespace cancelflow;

namespace {

// CPU seconds (user + system) of this process's threads, summed by thread name.
std::map<std::string, double> CpuByThreadName() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name, stat;
    std::getline(std::ifstream(task.path() / "comm"), name);
    std::getline(std::ifstream(task.path() / "stat"), stat);
    const auto close = stat.rfind(')');  // fields after the name: state is field 3, utime 14, stime 15
    if (name.empty() || close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> field && i <= 15; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    out[name] += (utime + stime) / tick;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int producers = argc > 2 ? std::atoi(argv[2]) : 4;
  const double rate = argc > 3 ? std::atof(argv[3]) : 0;
  const int workers = argc > 4 ? std::atoi(argv[4]) : 8;
  testing::TempDir dir;
  Config c;
  c.port = 0;
  c.database = {DatabaseKind::kSqlite, "sqlite://" + dir.File("cf.db"), dir.File("cf.db")};
  c.environment = Environment::kTest;
  c.worker_concurrency = workers;
  auto rt = app::Runtime::Open(c, SystemClock::Get());
  if (!rt) return std::fprintf(stderr, "%s\n", rt.status().ToString().c_str()), 1;
  auto svc = app::Service::Start(**rt, {.demo = true});
  if (!svc) return std::fprintf(stderr, "%s\n", svc.status().ToString().c_str()), 1;

  const TimePoint now = SystemClock::Get().Now();
  std::vector<std::string> subs;
  for (int i = 0; i < count; ++i) {
    const std::string user = "usr_" + std::to_string(i % 100);
    if (i < 100) (void)(*rt)->store().CreateUser({user, user + "@example.com", "user", true, false, now});
    store::Subscription s{NewId("sub"), user, "demo-instant", "ext-" + std::to_string(i), "Plan", std::nullopt,
                          std::nullopt, std::nullopt, std::nullopt, "active", now, now};
    (void)(*rt)->store().CreateSubscription(s);
    subs.push_back(s.id);
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> latencies_ms;
  std::map<std::string, std::chrono::steady_clock::time_point> started;  // by subscription id
  auto sub = (*rt)->bus().Subscribe("cancellation.completed", [&](const events::Event& e) {
    const auto t = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    auto it = started.find(std::string(e.data.at("subscriptionId").as_string()));
    if (it != started.end()) latencies_ms.push_back(std::chrono::duration<double, std::milli>(t - it->second).count());
    cv.notify_all();
  });

  const auto cpu0 = CpuByThreadName();
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < count;) {
        if (rate > 0) std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t(i * 1e6 / rate)));
        const std::string user = "usr_" + std::to_string(i % 100);
        {
          std::lock_guard lock(mu);
          started[subs[i]] = std::chrono::steady_clock::now();
        }
        auto r = (*svc)->cancellations().InitiateCancellation(user, {.subscription_id = subs[i]});
        if (!r) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(120), [&] { return latencies_ms.size() + failed >= size_t(count); });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto cpu = CpuByThreadName();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) { return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1, size_t(p * latencies_ms.size()))]; };
  std::printf("rate=%.0f workers=%d ", rate, workers);
  std::printf("cancellations=%d producers=%d completed=%zu failed=%d seconds=%.2f completed_per_s=%.0f "
              "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
              count, producers, latencies_ms.size(), failed.load(), seconds, latencies_ms.size() / seconds, pct(0.5),
              pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  // Threads that ended during the run are not counted; the service's threads live throughout.
  std::printf("cpu_us_per_cancellation");
  double total = 0;
  for (auto& [name, secs] : cpu) {
    auto before = cpu0.find(name);
    const double used = secs - (before == cpu0.end() ? 0.0 : before->second);
    total += used;
    if (used * 1e6 / count >= 1) std::printf(" %s=%.0f", name.c_str(), used * 1e6 / count);
  }
  std::printf(" total=%.0f\n", total * 1e6 / count);
  (*svc)->Stop(Millis(10'000));
  return latencies_ms.size() == size_t(count) ? 0 : 1;
}
