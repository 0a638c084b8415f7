// Runtime: the long-lived parts of one cancelflow process — database, store,
// job queue, event bus — built from a Config and torn down in reverse order.
// Commands (serve, migrate, jobs …) share it. Not thread-safe to construct;
// the parts it hands out are thread-safe.
#pragma once

#include <memory>

#include "app/job_events.h"
#include "core/config.h"
#include "events/event_bus.h"
#include "events/event_debugger.h"
#include "queue/job_queue.h"
#include "store/sqlite_database.h"
#include "store/store.h"

namespace cancelflow::app {

class Runtime {
 public:
  // Opens the store named by config.database (applying migrations) and the
  // queue backend. Errors name what failed (path, URL) and never a secret.
  static Result<std::unique_ptr<Runtime>> Open(const Config& config, Clock& clock);
  ~Runtime();

  const Config& config() const { return config_; }
  Clock& clock() { return clock_; }
  store::Store& store() { return *store_; }
  queue::JobQueue& queue() { return *queue_; }
  events::EventBus& bus() { return *bus_; }
  JobEvents& job_events() { return *job_events_; }

 private:
  Runtime(const Config& config, Clock& clock) : config_(config), clock_(clock) {}

  Config config_;
  Clock& clock_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<events::EventBus> bus_;
  std::unique_ptr<events::EventDebugger> debugger_;
  std::unique_ptr<JobEvents> job_events_;
  std::unique_ptr<queue::JobQueue> queue_;
};

}  // namespace cancelflow::app
