#include "store/sqlite_store.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/thread_name.h"
#include "store/internal/sqlite_rows.h"

namespace cancelflow::store {
namespace {

using internal::QueryRows;

constexpr const char* kAuditColumns = "seq, id, user_id, action, resource, result, metadata, timestamp";

AuditRecord ReadAuditRecord(const SqliteStatement& s) {
  return AuditRecord{s.Int(0), s.Text(1), s.OptionalText(2), s.Text(3),
                     s.Text(4), s.Text(5), s.Text(6), FromUnixMillis(s.Int(7))};
}

// Inserts the rows; with `keep_seq` under their own seq, skipping a seq already
// there, else under new ones.
Status InsertAuditRows(SqliteConnection& c, const std::vector<AuditRecord>& rows, bool keep_seq) {
  auto st = c.Prepare(keep_seq ? "INSERT OR IGNORE INTO audit_log(id, user_id, action, resource, result, metadata,"
                                 " timestamp, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                               : "INSERT INTO audit_log(id, user_id, action, resource, result, metadata, timestamp)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.status();
  for (const AuditRecord& r : rows) {
    SqliteStatement& s = **st;
    s.Reset();
    s.Bind(1, r.id).Bind(2, r.user_id).Bind(3, r.action).Bind(4, r.resource);
    s.Bind(5, r.result).Bind(6, r.metadata).Bind(7, ToUnixMillis(r.timestamp));
    if (keep_seq) s.Bind(8, r.seq);
    CF_RETURN_IF_ERROR(s.Run());
  }
  return Status::Ok();
}

// Audit rows an earlier version kept in the records' file move to the audit
// database with their seq, in chunks; then the old table is dropped. A move
// interrupted before the drop is redone on the next start (rows already there
// are skipped by seq).
Status MoveLegacyAuditRows(SqliteDatabase& db, SqliteDatabase& audit) {
  auto legacy = db.Read<std::vector<int64_t>>([](SqliteConnection& c) {
    return QueryRows<int64_t>(
        c, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'", [](SqliteStatement&) {},
        [](const SqliteStatement& s) { return s.Int(0); });
  });
  if (!legacy) return legacy.status();
  if (legacy->empty()) return Status::Ok();
  constexpr int64_t kChunk = 10'000;
  int64_t after = 0, moved = 0;
  for (;;) {
    auto rows = db.Read<std::vector<AuditRecord>>([&](SqliteConnection& c) {
      return QueryRows<AuditRecord>(
          c, std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
          [&](SqliteStatement& s) { s.Bind(1, after).Bind(2, kChunk); }, ReadAuditRecord);
    });
    if (!rows) return rows.status();
    if (rows->empty()) break;
    CF_RETURN_IF_ERROR(audit.Write([&](SqliteConnection& c) { return InsertAuditRows(c, *rows, /*keep_seq=*/true); }));
    after = rows->back().seq;
    moved += static_cast<int64_t>(rows->size());
  }
  CF_RETURN_IF_ERROR(db.Write([](SqliteConnection& c) { return c.Exec("DROP TABLE IF EXISTS audit_log"); }));
  if (moved > 0) spdlog::info("moved {} audit rows from {:?} to {:?}", moved, db.path(), audit.path());
  return Status::Ok();
}

}  // namespace

std::string SqliteStore::AuditPath(const std::string& db_path) {
  std::filesystem::path p(db_path);
  const std::string ext = p.extension().string();
  p.replace_extension();
  return p.string() + ".audit" + ext;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(SqliteDatabase& db) {
  auto audit = SqliteDatabase::Open(AuditPath(db.path()), AuditMigrations(), "audit-writer");
  if (!audit) return audit.status();
  CF_RETURN_IF_ERROR(MoveLegacyAuditRows(db, **audit));
  return std::unique_ptr<SqliteStore>(new SqliteStore(db, std::move(*audit)));
}

Status SqliteStore::Ping() {
  for (SqliteDatabase* db : {&db_, audit_.get()}) {
    auto r = db->Read<int>([](SqliteConnection& c) -> Result<int> {
      auto st = c.Prepare("SELECT 1");
      if (!st) return st.status();
      auto row = (*st)->Step();
      if (!row) return row.status();
      (*st)->Reset();
      return 1;
    });
    CF_RETURN_IF_ERROR(r.status());
  }
  return Status::Ok();
}

Status SqliteStore::Commit(WriteSet& set) {
  CF_RETURN_IF_ERROR(db_.Write(
      [&](SqliteConnection& c) {
        SqliteTransaction tx(c, db_);
        return set.Apply(tx);
      },
      set.has_on_commit() ? std::function<void()>([&set] { set.RunOnCommit(); }) : nullptr));
  set.RunAfterCommit();
  return Status::Ok();
}

SqliteStore::SqliteStore(SqliteDatabase& db, std::unique_ptr<SqliteDatabase> audit)
    : db_(db), audit_(std::move(audit)) {
  audit_thread_ = std::thread([this] {
    NameThisThread("audit-window");
    AuditLoop();
  });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(audit_mu_);
    audit_stopping_ = true;
  }
  audit_cv_.notify_all();
  audit_thread_.join();
  (void)FlushAudit();
}

void SqliteStore::AppendAudit(std::vector<AuditRecord> records) {
  if (records.empty()) return;
  std::lock_guard lock(audit_mu_);
  const bool was_empty = audit_pending_.empty();
  if (was_empty) audit_oldest_ = std::chrono::steady_clock::now();
  audit_pending_.insert(audit_pending_.end(), std::make_move_iterator(records.begin()),
                        std::make_move_iterator(records.end()));
  if (audit_pending_.size() >= kAuditBatch) {
    ScheduleAuditLocked();
  } else if (was_empty) {
    audit_cv_.notify_one();  // a new window opens
  }
}

void SqliteStore::ScheduleAuditLocked() {
  if (audit_scheduled_ || audit_pending_.empty()) return;  // the queued task takes these too
  audit_scheduled_ = true;
  audit_->Submit([this](SqliteConnection& c) {
    WriteAudit(c);
    return Status::Ok();
  });
}

void SqliteStore::AuditLoop() {
  std::unique_lock lock(audit_mu_);
  while (!audit_stopping_) {
    if (audit_pending_.empty() || audit_scheduled_) {
      // Nothing to wait for, or a queued task takes the records: the next append opens a window.
      audit_cv_.wait(lock);
      continue;
    }
    const auto close = audit_oldest_ + kAuditWindow;
    if (std::chrono::steady_clock::now() < close) {
      audit_cv_.wait_until(lock, close);
      continue;
    }
    ScheduleAuditLocked();
  }
}

void SqliteStore::WriteAudit(SqliteConnection& c) {
  std::vector<AuditRecord> records;
  {
    std::lock_guard lock(audit_mu_);
    records.swap(audit_pending_);
    audit_scheduled_ = false;
  }
  Status s = InsertAuditRows(c, records, /*keep_seq=*/false);
  if (!s.ok()) spdlog::error("audit log write of {} records failed: {}", records.size(), s.ToString());
}

Status SqliteStore::FlushAudit() {
  {
    std::lock_guard lock(audit_mu_);
    ScheduleAuditLocked();
  }
  return audit_->Flush();  // everything submitted before, the audit task included
}

Result<std::vector<AuditRecord>> SqliteStore::QueryAudit(const AuditQuery& q) {
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE 1=1";
  if (q.user_id) sql += " AND user_id = ?";
  if (q.resource) sql += " AND resource = ?";
  if (!q.action_globs.empty()) {
    sql += " AND (";
    for (size_t i = 0; i < q.action_globs.size(); ++i) sql += i == 0 ? "action GLOB ?" : " OR action GLOB ?";
    sql += ")";
  }
  sql += q.oldest_first ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
  CF_RETURN_IF_ERROR(FlushAudit());  // what was appended before this call is seen
  return audit_->Read<std::vector<AuditRecord>>([&](SqliteConnection& c) {
    return QueryRows<AuditRecord>(
        c, sql,
        [&](SqliteStatement& s) {
          int i = 1;
          if (q.user_id) s.Bind(i++, *q.user_id);
          if (q.resource) s.Bind(i++, *q.resource);
          for (const auto& g : q.action_globs) s.Bind(i++, g);
          s.Bind(i, int64_t{q.limit});
        },
        ReadAuditRecord);
  });
}

}  // namespace cancelflow::store
