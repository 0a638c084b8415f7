#include "cancellation/notifier.h"

#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::cancellation {
namespace {

// Notifications are announced in the order of their seq (the SSE id), however
// many threads store them at once: a live stream sends each id once and in
// increasing order, so one announced after a higher one would never reach it.
TEST(Notifier, NotificationsAreAnnouncedInSeqOrderUnderConcurrentWriters) {
  cancelflow::testing::TempDir dir;
  auto db = store::SqliteDatabase::Open(dir.File("cf.db"));
  ASSERT_TRUE(db.ok());
  auto store = store::SqliteStore::Open(**db);
  ASSERT_TRUE(store.ok());
  FakeClock clock;
  events::EventBus bus(store->get(), clock);
  Notifier notifier(**store, bus, clock);

  std::mutex mu;
  std::vector<int64_t> announced;
  auto sub = bus.Subscribe("notification.sent", [&](const events::Event& e) {
    std::lock_guard lock(mu);
    announced.push_back(e.data.at("seq").as_int64());
  });

  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(notifier.Send("usr_1", "system", "t", "m", "normal", {}).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  notifier.Drain();  // announcements trail the writes a little
  std::lock_guard lock(mu);
  ASSERT_EQ(announced.size(), size_t{kThreads * kEach});
  for (size_t i = 1; i < announced.size(); ++i) {
    ASSERT_LT(announced[i - 1], announced[i]) << "announcement " << i << " out of order";
  }
}

}  // namespace
}  // namespace cancelflow::cancellation
