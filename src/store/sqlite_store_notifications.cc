// SqliteStore: notifications (the SSE history), emails, webhook receipts and provider outcomes.
#include <algorithm>

#include "store/internal/sqlite_rows.h"
#include "store/sqlite_store.h"

namespace cancelflow::store {
namespace {

using internal::Execute;
using internal::OptionalMillis;
using internal::QueryRows;

Notification ReadNotification(const SqliteStatement& s) {
  return Notification{s.Int(0),  s.Text(1), s.Text(2),
                      s.Text(3), s.Text(4), s.Text(5),
                      s.Text(6), s.Text(7), FromUnixMillis(s.Int(8))};
}

}  // namespace

Status SqliteTransaction::AddNotification(Notification& n) {
  CF_RETURN_IF_ERROR(
      Execute(connection_,
              "INSERT INTO notifications(id, user_id, type, title, message, priority, data,"
              " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              [&](SqliteStatement& s) {
                s.Bind(1, n.id).Bind(2, n.user_id).Bind(3, n.type).Bind(4, n.title);
                s.Bind(5, n.message).Bind(6, n.priority).Bind(7, n.data);
                s.Bind(8, ToUnixMillis(n.created_at));
              }));
  n.seq = connection_.LastInsertRowId();
  return Status::Ok();
}

Result<Notification> SqliteStore::AddNotification(Notification n) {
  return db_.Write<Notification>([&](SqliteConnection& c) -> Result<Notification> {
    CF_RETURN_IF_ERROR(SqliteTransaction(c, db_).AddNotification(n));
    return n;
  });
}

Result<std::vector<Notification>> SqliteStore::ListNotifications(const std::string& user_id,
                                                                 int64_t after_seq, int limit) {
  return db_.Read<std::vector<Notification>>([&](SqliteConnection& c) {
    return QueryRows<Notification>(
        c,
        "SELECT seq, id, user_id, type, title, message, priority, data, created_at FROM "
        "notifications"
        " WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        [&](SqliteStatement& s) { s.Bind(1, user_id).Bind(2, after_seq).Bind(3, int64_t{limit}); },
        ReadNotification);
  });
}

Result<int64_t> SqliteStore::CountNotifications(const std::string& user_id, int64_t after_seq) {
  return db_.Read<int64_t>([&](SqliteConnection& c) -> Result<int64_t> {
    auto rows = QueryRows<int64_t>(
        c, "SELECT count(*) FROM notifications WHERE user_id = ? AND seq > ?",
        [&](SqliteStatement& s) { s.Bind(1, user_id).Bind(2, after_seq); },
        [](const SqliteStatement& s) { return s.Int(0); });
    if (!rows) return rows.status();
    return rows->front();
  });
}

Status SqliteStore::AddEmail(const EmailMessage& e) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(c,
                   "INSERT INTO email_outbox(id, user_id, recipient, subject, body, status, "
                   "created_at, sent_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [&](SqliteStatement& s) {
                     s.Bind(1, e.id)
                         .Bind(2, e.user_id)
                         .Bind(3, e.recipient)
                         .Bind(4, e.subject)
                         .Bind(5, e.body);
                     s.Bind(6, e.status)
                         .Bind(7, ToUnixMillis(e.created_at))
                         .Bind(8, OptionalMillis(e.sent_at));
                   });
  });
}

Status SqliteStore::RecordWebhookReceipt(const std::string& provider, const std::string& message_id,
                                         const std::string& body, TimePoint at) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(
        c,
        "INSERT INTO webhook_receipts(provider, message_id, received_at, body, status)"
        " VALUES (?, ?, ?, ?, 'accepted')",
        [&](SqliteStatement& s) {
          s.Bind(1, provider).Bind(2, message_id).Bind(3, ToUnixMillis(at)).Bind(4, body);
        });
  });
}

Status SqliteStore::RecordProviderOutcome(const ProviderOutcome& o) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(
        c,
        "INSERT INTO provider_outcomes(provider, method, outcome, duration_ms, at) VALUES (?, ?, "
        "?, ?, ?)",
        [&](SqliteStatement& s) {
          s.Bind(1, o.provider).Bind(2, o.method).Bind(3, o.outcome).Bind(4, o.duration_ms);
          s.Bind(5, ToUnixMillis(o.at));
        });
  });
}

Result<ProviderMethodStats> SqliteStore::GetProviderStats(const std::string& provider,
                                                          const std::string& method, int window) {
  struct Row {
    bool ok;
    int64_t ms;
  };
  auto rows = db_.Read<std::vector<Row>>([&](SqliteConnection& c) {
    return QueryRows<Row>(
        c,
        "SELECT outcome = 'succeeded', duration_ms FROM provider_outcomes WHERE provider = ? AND "
        "method = ?"
        " ORDER BY seq DESC LIMIT ?",
        [&](SqliteStatement& s) { s.Bind(1, provider).Bind(2, method).Bind(3, int64_t{window}); },
        [](const SqliteStatement& s) {
          return Row{s.Int(0) != 0, s.Int(1)};
        });
  });
  if (!rows) return rows.status();
  ProviderMethodStats stats;
  std::vector<int64_t> durations;
  for (const Row& r : *rows) {
    ++stats.attempts;
    if (r.ok) {
      ++stats.succeeded;
      durations.push_back(r.ms);
    }
  }
  if (!durations.empty()) {
    auto mid = durations.begin() + static_cast<std::ptrdiff_t>(durations.size() / 2);
    std::nth_element(durations.begin(), mid, durations.end());
    stats.median_duration_ms = *mid;
  }
  return stats;
}

}  // namespace cancelflow::store
