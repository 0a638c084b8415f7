// SqliteStore: the Store on an SqliteDatabase (the embedded default).
// Thread-safe; see Store. Does not own the database.
#pragma once

#include "store/sqlite_database.h"
#include "store/store.h"

namespace cancelflow::store {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteDatabase& db) : db_(db) {}

  Status Ping() override;
  void AppendAudit(std::vector<AuditRecord> records) override;
  Status FlushAudit() override;
  Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace cancelflow::store
