#include "store/migrations.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace cancelflow::store {

Result<int> SchemaVersion(SqliteConnection& conn) {
  CF_RETURN_IF_ERROR(conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  auto stmt = conn.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!stmt) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row) return row.status();
  const int v = static_cast<int>((*stmt)->Int(0));
  (*stmt)->Reset();
  return v;
}

Status ApplyMigrations(SqliteConnection& conn, const std::vector<Migration>& migrations) {
  auto current = SchemaVersion(conn);
  if (!current) return current.status();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return FailedPrecondition(fmt::format(
        "schema version {} is newer than this binary knows ({}); upgrade cancelflow", *current, latest));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    CF_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    Status s = conn.Exec(m.sql);
    if (s.ok()) {
      auto ins = conn.Prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)");
      if (!ins) {
        s = ins.status();
      } else {
        s = (*ins)->Bind(1, int64_t{m.version}).Bind(2, m.name).Bind(3, ToUnixMillis(SystemClock::Get().Now())).Run();
      }
    }
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      return Status(s.code(), fmt::format("migration {} failed: {}", m.name, s.message()));
    }
    CF_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    spdlog::info("applied migration {}", m.name);
  }
  return Status::Ok();
}

}  // namespace cancelflow::store
