// Throughput and latency of the SQLite job queue on this machine.
//   build/release/bench/queue_benchmark
// Results and the targets they answer are in docs/BENCHMARKS.md.
#include <algorithm>
#include <condition_variable>
#include <latch>
#include <mutex>

#include <benchmark/benchmark.h>

#include "queue/sqlite_job_queue.h"
#include "queue/worker_pool.h"
#include "testing/temp_dir.h"

namespace cancelflow::queue {
namespace {

struct World {
  cancelflow::testing::TempDir dir;
  std::unique_ptr<store::SqliteDatabase> db;
  std::unique_ptr<SqliteJobQueue> queue;

  World() {
    db = *std::move(store::SqliteDatabase::Open(dir.File("bench.db")));
    QueueOptions options;
    options.completed_retention_count = 1'000'000;
    queue = std::make_unique<SqliteJobQueue>(*db, SystemClock::Get(), options);
  }
};

const std::string kPayload = R"({"requestId":"req_01jf3k8x2c9q4w7m1n5p6r8t0v","step":"api"})";

// addBulk of state.range(0) jobs: one transaction per call.
void BM_EnqueueBatch(benchmark::State& state) {
  World w;
  std::vector<NewJob> batch(state.range(0), NewJob{.type = "bench.noop", .payload = kPayload});
  for (auto _ : state) {
    auto r = w.queue->AddBulk(batch);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EnqueueBatch)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// add of one job from one producer: every job is its own transaction.
void BM_EnqueueSingle(benchmark::State& state) {
  World w;
  const NewJob job{.type = "bench.noop", .payload = kPayload};
  for (auto _ : state) {
    auto r = w.queue->Add(job);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnqueueSingle)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(2.0);

// No-op jobs processed end to end through the worker pool: claim in batches,
// run, complete in batches. Each iteration drains state.range(0) jobs.
void BM_ProcessNoop(benchmark::State& state) {
  World w;
  const int n = static_cast<int>(state.range(0));
  const int concurrency = static_cast<int>(state.range(1));
  std::vector<NewJob> batch(1000, NewJob{.type = "bench.noop", .payload = kPayload});
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < n; i += 1000) (void)w.queue->AddBulk(batch);
    std::atomic<int> left{n};
    std::mutex mu;
    std::condition_variable cv;
    WorkerPool pool(*w.queue, SystemClock::Get(), {.concurrency = concurrency});
    pool.Register("bench.noop", [&](const Job&, std::stop_token) {
      if (left.fetch_sub(1) == 1) {
        std::lock_guard lock(mu);
        cv.notify_all();
      }
      return Status::Ok();
    });
    state.ResumeTiming();
    pool.Start();
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return left.load() == 0; });
    }
    pool.Stop(Millis(10'000));  // includes reporting the last batch
    state.PauseTiming();
    if (w.queue->GetStats()->completed < n) state.SkipWithError("not every job completed");
    (void)w.db->Write([](store::SqliteConnection& c) { return c.Exec("DELETE FROM jobs"); });
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ProcessNoop)
    ->Args({50'000, 4})
    ->Args({50'000, 8})
    ->Args({50'000, 32})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// Enqueue → processor start with idle workers: one job at a time, so the pool
// is idle (asleep on its condition variable) whenever a job arrives.
void BM_PickupLatencyIdle(benchmark::State& state) {
  World w;
  std::mutex mu;
  std::condition_variable cv;
  std::chrono::steady_clock::time_point started;
  bool ran = false;
  WorkerPool pool(*w.queue, SystemClock::Get(), {.concurrency = 8});
  pool.Register("bench.noop", [&](const Job&, std::stop_token) {
    std::lock_guard lock(mu);
    started = std::chrono::steady_clock::now();
    ran = true;
    cv.notify_all();
    return Status::Ok();
  });
  pool.Start();
  std::vector<double> latencies_us;
  for (auto _ : state) {
    state.PauseTiming();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the pool go idle again
    {
      std::lock_guard lock(mu);
      ran = false;
    }
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    (void)w.queue->Add(NewJob{.type = "bench.noop", .payload = kPayload});
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ran; });
    latencies_us.push_back(std::chrono::duration<double, std::micro>(started - t0).count());
  }
  pool.Stop(Millis(1000));
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) { return latencies_us[std::min(latencies_us.size() - 1, size_t(p * latencies_us.size()))]; };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = latencies_us.back();
}
BENCHMARK(BM_PickupLatencyIdle)->Iterations(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace cancelflow::queue

BENCHMARK_MAIN();
