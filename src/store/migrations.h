// Schema migrations: the SQL files of migrations/sqlite/ (the records and the
// queue) and migrations/sqlite-audit/ (the audit log's own file), embedded in the binary
// at build time (cmake/Embed.cmake) and applied in version order, each in its own
// transaction, recording what ran in `schema_migrations`.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sqlite_connection.h"

namespace cancelflow::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& EmbeddedMigrations();
const std::vector<Migration>& AuditMigrations();

// Applies every migration newer than the database's version. A database newer
// than this binary is a FailedPrecondition (an older binary must not write it).
Status ApplyMigrations(SqliteConnection& conn, const std::vector<Migration>& migrations = EmbeddedMigrations());

// The highest applied version, 0 for an empty database.
Result<int> SchemaVersion(SqliteConnection& conn);

}  // namespace cancelflow::store
