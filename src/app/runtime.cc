#include "app/runtime.h"

#include <fmt/format.h>

#include "queue/sqlite_job_queue.h"
#include "store/sqlite_store.h"

namespace cancelflow::app {

Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config, Clock& clock) {
  if (config.database.kind != DatabaseKind::kSqlite) {
    return FailedPrecondition("DATABASE_URL: the PostgreSQL store is not available in this version; use sqlite://PATH");
  }
  if (config.redis_url) {
    return FailedPrecondition("REDIS_URL: the Redis queue backend is not available in this version; unset it");
  }
  std::unique_ptr<Runtime> rt(new Runtime(config, clock));
  auto db = store::SqliteDatabase::Open(config.database.path);
  if (!db) return db.status();
  rt->db_ = std::move(*db);
  auto st = store::SqliteStore::Open(*rt->db_);
  if (!st) return st.status();
  rt->store_ = std::move(*st);
  rt->bus_ = std::make_unique<events::EventBus>(rt->store_.get(), clock);
  rt->bus_->StartTimer();
  if (config.development()) rt->debugger_ = std::make_unique<events::EventDebugger>(*rt->bus_);
  rt->job_events_ = std::make_unique<JobEvents>(*rt->bus_);
  queue::QueueOptions qopts;
  qopts.observer = rt->job_events_.get();
  rt->queue_ = std::make_unique<queue::SqliteJobQueue>(*rt->db_, clock, qopts);
  return rt;
}

Runtime::~Runtime() {
  // Reverse order of use: nothing may publish once the bus is gone.
  queue_.reset();
  job_events_.reset();
  debugger_.reset();
  bus_.reset();
  if (store_) (void)store_->FlushAudit();
  store_.reset();
  db_.reset();
}

}  // namespace cancelflow::app
