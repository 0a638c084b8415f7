// Store: the records of cancelflow behind one interface, so that callers are the
// same on the embedded SQLite store and on PostgreSQL.
//
// This first part holds the audit log; the domain records (users, tokens,
// subscriptions, cancellation requests, workflow instances, notifications,
// webhook receipts) join it as their modules arrive. The schema is in
// migrations/ and documented in docs/STORAGE.md.
//
// Thread-safety: implementations are safe to call from any thread. Calls block
// on I/O; they must not run on an HTTP I/O thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow::store {

// One row of the audit log (the seed's AuditLogger.log): every event of the
// event bus lands here with its secrets already redacted.
struct AuditRecord {
  int64_t seq = 0;  // assigned by the store, increasing
  std::string id;   // the event id ("evt_…")
  std::optional<std::string> user_id;
  std::string action;    // the event type, e.g. "cancellation.completed"
  std::string resource;  // the id of what the event is about, e.g. "req_…"
  std::string result;    // "success" or "failure"
  std::string metadata;  // JSON object text
  TimePoint timestamp;
};

struct AuditQuery {
  std::optional<std::string> user_id;   // only this user's records
  std::optional<std::string> resource;  // only records about this resource
  std::vector<std::string> action_globs;  // any of these globs ("cancellation.*"); empty: all
  int limit = 50;
  bool oldest_first = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // A round trip to the database, for health checks.
  virtual Status Ping() = 0;

  // Queues records for the audit log without waiting; they are written in
  // order with the next group commit. FlushAudit waits for them.
  virtual void AppendAudit(std::vector<AuditRecord> records) = 0;
  virtual Status FlushAudit() = 0;
  virtual Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) = 0;
};

}  // namespace cancelflow::store
