// `cancelflow serve` is SIGKILLed in the middle of a cancellation (between two
// API attempts); after a restart the workflow resumes and completes, and the
// provider sees one cancellation, every call carrying the same idempotency key.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "cancellation/cancellation_service.h"
#include "cancellation/full_process.h"
#include "core/ids.h"
#include "demo/mock_provider.h"
#include "queue/sqlite_job_queue.h"
#include "store/sqlite_store.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace cancelflow {
namespace {

using testing::WaitUntil;

TEST(WorkflowCrash, KilledServerResumesTheCancellationAfterRestart) {
  testing::TempDir dir;
  auto mock = demo::MockProvider::Start({.webhook_secret = demo::kDemoWebhookSecret});
  ASSERT_TRUE(mock.ok());
  const std::string providers_file = dir.File("providers.json");
  std::ofstream(providers_file) << demo::DemoProvidersJson((*mock)->base_url(), demo::kDemoWebhookSecret);
  auto registry = cancellation::ProviderRegistry::LoadFile(providers_file, EnvironmentLookup);
  ASSERT_TRUE(registry.ok());

  // The test plays the API: it stores the records and starts the workflow;
  // the serve processes do the work.
  auto db = store::SqliteDatabase::Open(dir.File("cf.db"));
  ASSERT_TRUE(db.ok());
  auto opened = store::SqliteStore::Open(**db);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store::SqliteStore& store = **opened;
  queue::SqliteJobQueue queue(**db, SystemClock::Get());
  events::EventBus bus(&store, SystemClock::Get());
  workflow::WorkflowEngine engine(store, queue, bus, SystemClock::Get());
  engine.Register(cancellation::FullProcessDefinition());
  cancellation::Notifier notifier(store, bus, SystemClock::Get());
  cancellation::CancellationService service(store, engine, queue, bus, *registry, notifier, SystemClock::Get());
  const TimePoint now = SystemClock::Get().Now();
  ASSERT_TRUE(store.CreateUser({"usr_1", "jane@example.com", "user", true, false, now}).ok());
  ASSERT_TRUE(store.CreateSubscription({"sub_1", "usr_1", "demo-flaky", "ext-flaky", "Flaky plan", std::nullopt,
                                        std::nullopt, std::nullopt, std::nullopt, "active", now, now})
                  .ok());

  const std::vector<std::string> serve = {CANCELFLOW_BIN, "serve", "--database-url", "sqlite://" + dir.File("cf.db"),
                                          "--providers-file", providers_file, "--addr", "127.0.0.1:0",
                                          "--job-processing-interval", "50", "--env", "test"};
  const pid_t first = testing::Spawn(serve, dir.File("serve1.log"));
  ASSERT_GT(first, 0);
  auto started = service.InitiateCancellation("usr_1", {.subscription_id = "sub_1"});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const std::string id = started->request_id;

  // The first API call answered 503 and the job waits for its retry: kill the
  // server now. (A kill during a call is the lease's business: worker_crash_test.)
  ASSERT_TRUE(WaitUntil([&] {
    auto stats = queue.GetStats();
    return stats.ok() && stats->by_type["cancellation.api"].delayed == 1;
  }));
  kill(first, SIGKILL);
  EXPECT_EQ(testing::WaitExit(first), 128 + SIGKILL);
  EXPECT_EQ(store.GetCancellation(id)->status, "processing");

  const pid_t second = testing::Spawn(serve, dir.File("serve2.log"));
  ASSERT_GT(second, 0);
  const bool done = WaitUntil([&] {
    auto r = store.GetCancellation(id);
    return r.ok() && r->status == "completed";
  });
  kill(second, SIGTERM);
  EXPECT_EQ(testing::WaitExit(second), 0);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ASSERT_TRUE(done) << "status: " << store.GetCancellation(id)->status << "\nfirst server:\n"
                    << slurp(dir.File("serve1.log")) << "\nsecond server:\n" << slurp(dir.File("serve2.log"));

  EXPECT_EQ((*mock)->CancellationsOf("ext-flaky"), 1);
  EXPECT_EQ((*mock)->CallsWith(id), 3);  // 503, 503, 200 — all with the request's idempotency key
  EXPECT_EQ(store.GetCancellation(id)->method, "api");
  EXPECT_EQ(store.GetSubscription("sub_1")->status, "cancelled");
}

}  // namespace
}  // namespace cancelflow
