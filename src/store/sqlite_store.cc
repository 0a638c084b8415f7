#include "store/sqlite_store.h"

#include <spdlog/spdlog.h>

namespace cancelflow::store {

Status SqliteStore::Ping() {
  auto r = db_.Read<int>([](SqliteConnection& c) -> Result<int> {
    auto st = c.Prepare("SELECT 1");
    if (!st) return st.status();
    auto row = (*st)->Step();
    if (!row) return row.status();
    (*st)->Reset();
    return 1;
  });
  return r.status();
}

Status SqliteStore::Commit(WriteSet& set) {
  CF_RETURN_IF_ERROR(db_.Write([&](SqliteConnection& c) {
    SqliteTransaction tx(c, db_);
    return set.Apply(tx);
  }));
  set.RunAfterCommit();
  return Status::Ok();
}

SqliteStore::SqliteStore(SqliteDatabase& db) : db_(db) {
  audit_thread_ = std::thread([this] { AuditLoop(); });
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
  db_.Submit([this](SqliteConnection& c) {
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
  auto st = c.Prepare(
      "INSERT INTO audit_log(id, user_id, action, resource, result, metadata, timestamp)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  Status s = st.status();
  for (size_t i = 0; s.ok() && i < records.size(); ++i) {
    const AuditRecord& r = records[i];
    (*st)->Reset();
    (*st)->Bind(1, r.id).Bind(2, r.user_id).Bind(3, r.action).Bind(4, r.resource);
    (*st)->Bind(5, r.result).Bind(6, r.metadata).Bind(7, ToUnixMillis(r.timestamp));
    s = (*st)->Run();
  }
  if (!s.ok()) spdlog::error("audit log write of {} records failed: {}", records.size(), s.ToString());
}

Status SqliteStore::FlushAudit() {
  {
    std::lock_guard lock(audit_mu_);
    ScheduleAuditLocked();
  }
  return db_.Flush();  // everything submitted before, the audit task included
}

Result<std::vector<AuditRecord>> SqliteStore::QueryAudit(const AuditQuery& q) {
  std::string sql =
      "SELECT seq, id, user_id, action, resource, result, metadata, timestamp FROM audit_log WHERE 1=1";
  if (q.user_id) sql += " AND user_id = ?";
  if (q.resource) sql += " AND resource = ?";
  if (!q.action_globs.empty()) {
    sql += " AND (";
    for (size_t i = 0; i < q.action_globs.size(); ++i) sql += i == 0 ? "action GLOB ?" : " OR action GLOB ?";
    sql += ")";
  }
  sql += q.oldest_first ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
  CF_RETURN_IF_ERROR(FlushAudit());  // what was appended before this call is seen
  return db_.Read<std::vector<AuditRecord>>([&](SqliteConnection& c) -> Result<std::vector<AuditRecord>> {
    auto st = c.Prepare(sql);
    if (!st) return st.status();
    SqliteStatement& s = **st;
    int i = 1;
    if (q.user_id) s.Bind(i++, *q.user_id);
    if (q.resource) s.Bind(i++, *q.resource);
    for (const auto& g : q.action_globs) s.Bind(i++, g);
    s.Bind(i, int64_t{q.limit});
    std::vector<AuditRecord> out;
    for (;;) {
      auto row = s.Step();
      if (!row) return row.status();
      if (!*row) break;
      out.push_back(AuditRecord{s.Int(0), s.Text(1), s.OptionalText(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6),
                                FromUnixMillis(s.Int(7))});
    }
    s.Reset();
    return out;
  });
}

}  // namespace cancelflow::store
