// SqliteTransaction: a WriteSet's writes on the SQLite writer connection, inside
// the transaction SqliteStore::Commit opened. The embedded job queue shares the
// database and joins the same transaction through connection().
#pragma once

#include "store/sqlite_connection.h"
#include "store/write_set.h"

namespace cancelflow::store {

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteConnection& connection, const SqliteDatabase& database)
      : connection_(connection), database_(database) {}

  SqliteConnection& connection() { return connection_; }
  const SqliteDatabase& database() const { return database_; }

  Status CreateCancellation(const CancellationRequest& request) override;
  Status UpdateCancellation(const CancellationRequest& request) override;
  Status CompleteCancellation(const CancellationRequest& request) override;
  Status AddNotification(Notification& n) override;
  Status SaveWorkflow(const WorkflowInstance& instance) override;

 private:
  SqliteConnection& connection_;
  const SqliteDatabase& database_;
};

}  // namespace cancelflow::store
