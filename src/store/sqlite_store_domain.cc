// SqliteStore: users, tokens, subscriptions and cancellation requests.
#include <charconv>

#include "store/internal/sqlite_rows.h"
#include "store/sqlite_store.h"

namespace cancelflow::store {
namespace {

using internal::Execute;
using internal::OptionalMillis;
using internal::OptionalTime;
using internal::QueryOne;
using internal::QueryRows;

constexpr const char* kUserColumns =
    "id, email, role, realtime_notifications, email_notifications, created_at";

User ReadUser(const SqliteStatement& s) {
  return User{s.Text(0),     s.Text(1),     s.Text(2),
              s.Int(3) != 0, s.Int(4) != 0, FromUnixMillis(s.Int(5))};
}

constexpr const char* kSubscriptionColumns =
    "id, user_id, provider, external_id, name, plan, amount, currency, renews_at, status, "
    "created_at, updated_at";

Subscription ReadSubscription(const SqliteStatement& s) {
  Subscription sub;
  sub.id = s.Text(0);
  sub.user_id = s.Text(1);
  sub.provider = s.Text(2);
  sub.external_id = s.Text(3);
  sub.name = s.Text(4);
  sub.plan = s.OptionalText(5);
  if (!s.IsNull(6)) sub.amount = s.Double(6);
  sub.currency = s.OptionalText(7);
  sub.renews_at = OptionalTime(s, 8);
  sub.status = s.Text(9);
  sub.created_at = FromUnixMillis(s.Int(10));
  sub.updated_at = FromUnixMillis(s.Int(11));
  return sub;
}

constexpr const char* kRequestColumns =
    "id, user_id, subscription_id, workflow_id, status, method, priority, preferred_method,"
    " notify_realtime, notify_email, reason, scheduled_for, progress, current_step, attempts,"
    " confirmation_code, manual_instructions, idempotency_key, request_hash, estimated_completion,"
    " created_at, updated_at, completed_at";
constexpr int kRequestColumnCount = 23;

CancellationRequest ReadRequest(const SqliteStatement& s) {
  CancellationRequest r;
  r.id = s.Text(0);
  r.user_id = s.Text(1);
  r.subscription_id = s.Text(2);
  r.workflow_id = s.Text(3);
  r.status = s.Text(4);
  r.method = s.OptionalText(5);
  r.priority = s.Text(6);
  r.preferred_method = s.Text(7);
  r.notify_realtime = s.Int(8) != 0;
  r.notify_email = s.Int(9) != 0;
  r.reason = s.OptionalText(10);
  r.scheduled_for = OptionalTime(s, 11);
  r.progress = static_cast<int>(s.Int(12));
  r.current_step = s.OptionalText(13);
  r.attempts = s.Text(14);
  r.confirmation_code = s.OptionalText(15);
  r.manual_instructions = s.OptionalText(16);
  r.idempotency_key = s.OptionalText(17);
  r.request_hash = s.OptionalText(18);
  r.estimated_completion = OptionalTime(s, 19);
  r.created_at = FromUnixMillis(s.Int(20));
  r.updated_at = FromUnixMillis(s.Int(21));
  r.completed_at = OptionalTime(s, 22);
  return r;
}

void BindRequest(SqliteStatement& s, const CancellationRequest& r) {
  s.Bind(1, r.id)
      .Bind(2, r.user_id)
      .Bind(3, r.subscription_id)
      .Bind(4, r.workflow_id)
      .Bind(5, r.status);
  s.Bind(6, r.method)
      .Bind(7, r.priority)
      .Bind(8, r.preferred_method)
      .Bind(9, int64_t{r.notify_realtime});
  s.Bind(10, int64_t{r.notify_email}).Bind(11, r.reason).Bind(12, OptionalMillis(r.scheduled_for));
  s.Bind(13, int64_t{r.progress})
      .Bind(14, r.current_step)
      .Bind(15, r.attempts)
      .Bind(16, r.confirmation_code);
  s.Bind(17, r.manual_instructions).Bind(18, r.idempotency_key).Bind(19, r.request_hash);
  s.Bind(20, OptionalMillis(r.estimated_completion)).Bind(21, ToUnixMillis(r.created_at));
  s.Bind(22, ToUnixMillis(r.updated_at)).Bind(23, OptionalMillis(r.completed_at));
}

std::string Placeholders(int n) {
  std::string p;
  for (int i = 0; i < n; ++i) p += i == 0 ? "?" : ", ?";
  return p;
}

}  // namespace

Status SqliteStore::CreateUser(const User& u) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(c,
                   std::string("INSERT INTO users(") + kUserColumns + ") VALUES (?, ?, ?, ?, ?, ?)",
                   [&](SqliteStatement& s) {
                     s.Bind(1, u.id)
                         .Bind(2, u.email)
                         .Bind(3, u.role)
                         .Bind(4, int64_t{u.realtime_notifications});
                     s.Bind(5, int64_t{u.email_notifications}).Bind(6, ToUnixMillis(u.created_at));
                   });
  });
}

Result<User> SqliteStore::GetUser(const std::string& id) {
  return db_.Read<User>([&](SqliteConnection& c) {
    return QueryOne<User>(
        c, std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", "user " + id,
        [&](SqliteStatement& s) { s.Bind(1, id); }, ReadUser);
  });
}

Result<std::vector<User>> SqliteStore::ListUsers(int limit) {
  return db_.Read<std::vector<User>>([&](SqliteConnection& c) {
    return QueryRows<User>(
        c, std::string("SELECT ") + kUserColumns + " FROM users ORDER BY created_at, id LIMIT ?",
        [&](SqliteStatement& s) { s.Bind(1, int64_t{limit}); }, ReadUser);
  });
}

Status SqliteStore::AddToken(const std::string& token_hash, const std::string& user_id,
                             TimePoint at) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(c, "INSERT INTO tokens(hash, user_id, created_at) VALUES (?, ?, ?)",
                   [&](SqliteStatement& s) {
                     s.Bind(1, token_hash).Bind(2, user_id).Bind(3, ToUnixMillis(at));
                   });
  });
}

Result<User> SqliteStore::FindUserByToken(const std::string& token_hash) {
  return db_.Read<User>([&](SqliteConnection& c) {
    return QueryOne<User>(
        c,
        "SELECT u.id, u.email, u.role, u.realtime_notifications, u.email_notifications,"
        " u.created_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?",
        "token", [&](SqliteStatement& s) { s.Bind(1, token_hash); }, ReadUser);
  });
}

Status SqliteStore::SetNotificationPreferences(const std::string& user_id, bool realtime,
                                               bool email) {
  return db_.Write([&](SqliteConnection& c) -> Status {
    CF_RETURN_IF_ERROR(Execute(
        c, "UPDATE users SET realtime_notifications = ?, email_notifications = ? WHERE id = ?",
        [&](SqliteStatement& s) {
          s.Bind(1, int64_t{realtime}).Bind(2, int64_t{email}).Bind(3, user_id);
        }));
    if (c.Changes() == 0) return NotFound("user " + user_id + " not found");
    return Status::Ok();
  });
}

Status SqliteStore::CreateSubscription(const Subscription& sub) {
  return db_.Write([&](SqliteConnection& c) {
    return Execute(
        c,
        std::string("INSERT INTO subscriptions(") + kSubscriptionColumns + ") VALUES (" +
            Placeholders(12) + ")",
        [&](SqliteStatement& s) {
          s.Bind(1, sub.id).Bind(2, sub.user_id).Bind(3, sub.provider).Bind(4, sub.external_id);
          s.Bind(5, sub.name).Bind(6, sub.plan);
          if (sub.amount) {
            s.Bind(7, *sub.amount);
          } else {
            s.BindNull(7);
          }
          s.Bind(8, sub.currency).Bind(9, OptionalMillis(sub.renews_at)).Bind(10, sub.status);
          s.Bind(11, ToUnixMillis(sub.created_at)).Bind(12, ToUnixMillis(sub.updated_at));
        });
  });
}

Result<Subscription> SqliteStore::GetSubscription(const std::string& id) {
  return db_.Read<Subscription>([&](SqliteConnection& c) {
    return QueryOne<Subscription>(
        c, std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?",
        "subscription " + id, [&](SqliteStatement& s) { s.Bind(1, id); }, ReadSubscription);
  });
}

Result<Subscription> SqliteStore::FindSubscriptionByExternalId(const std::string& provider,
                                                               const std::string& external_id) {
  return db_.Read<Subscription>([&](SqliteConnection& c) {
    return QueryOne<Subscription>(
        c,
        std::string("SELECT ") + kSubscriptionColumns +
            " FROM subscriptions WHERE provider = ? AND external_id = ? ORDER BY created_at DESC "
            "LIMIT 1",
        "subscription", [&](SqliteStatement& s) { s.Bind(1, provider).Bind(2, external_id); },
        ReadSubscription);
  });
}

Status SqliteStore::SetSubscriptionStatus(const std::string& id, const std::string& status,
                                          TimePoint at) {
  return db_.Write([&](SqliteConnection& c) -> Status {
    CF_RETURN_IF_ERROR(Execute(
        c, "UPDATE subscriptions SET status = ?, updated_at = ? WHERE id = ?",
        [&](SqliteStatement& s) { s.Bind(1, status).Bind(2, ToUnixMillis(at)).Bind(3, id); }));
    if (c.Changes() == 0) return NotFound("subscription " + id + " not found");
    return Status::Ok();
  });
}

Result<std::vector<Subscription>> SqliteStore::ListSubscriptions(const std::string& user_id,
                                                                 int limit) {
  return db_.Read<std::vector<Subscription>>([&](SqliteConnection& c) {
    return QueryRows<Subscription>(
        c,
        std::string("SELECT ") + kSubscriptionColumns +
            " FROM subscriptions WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        [&](SqliteStatement& s) { s.Bind(1, user_id).Bind(2, int64_t{limit}); }, ReadSubscription);
  });
}

Status SqliteTransaction::CreateCancellation(const CancellationRequest& request) {
  return Execute(connection_,
                 std::string("INSERT INTO cancellation_requests(") + kRequestColumns + ") VALUES (" +
                     Placeholders(kRequestColumnCount) + ")",
                 [&](SqliteStatement& s) { BindRequest(s, request); });
}

Result<CancellationRequest> SqliteStore::GetCancellation(const std::string& id) {
  return db_.Read<CancellationRequest>([&](SqliteConnection& c) {
    return QueryOne<CancellationRequest>(
        c, std::string("SELECT ") + kRequestColumns + " FROM cancellation_requests WHERE id = ?",
        "cancellation request " + id, [&](SqliteStatement& s) { s.Bind(1, id); }, ReadRequest);
  });
}

Result<CancellationRequest> SqliteStore::FindActiveCancellation(
    const std::string& subscription_id) {
  return db_.Read<CancellationRequest>([&](SqliteConnection& c) {
    return QueryOne<CancellationRequest>(
        c,
        std::string("SELECT ") + kRequestColumns +
            " FROM cancellation_requests WHERE subscription_id = ?"
            " AND (status = 'pending' OR status = 'scheduled' OR status = 'processing')"
            " ORDER BY created_at DESC LIMIT 1",
        "active cancellation request", [&](SqliteStatement& s) { s.Bind(1, subscription_id); },
        ReadRequest);
  });
}

Result<CancellationRequest> SqliteStore::FindCancellationByIdempotencyKey(
    const std::string& user_id, const std::string& key) {
  return db_.Read<CancellationRequest>([&](SqliteConnection& c) {
    return QueryOne<CancellationRequest>(
        c,
        std::string("SELECT ") + kRequestColumns +
            " FROM cancellation_requests WHERE user_id = ? AND idempotency_key = ?",
        "cancellation request", [&](SqliteStatement& s) { s.Bind(1, user_id).Bind(2, key); },
        ReadRequest);
  });
}

Status SqliteTransaction::UpdateCancellation(const CancellationRequest& r) {
  CF_RETURN_IF_ERROR(
      Execute(connection_,
              "UPDATE cancellation_requests SET status = ?, method = ?, progress = ?,"
              " current_step = ?, attempts = ?, estimated_completion = ?, completed_at = ?,"
              " updated_at = ? WHERE id = ?",
              [&](SqliteStatement& s) {
                s.Bind(1, r.status).Bind(2, r.method).Bind(3, int64_t{r.progress});
                s.Bind(4, r.current_step).Bind(5, r.attempts);
                s.Bind(6, OptionalMillis(r.estimated_completion));
                s.Bind(7, OptionalMillis(r.completed_at)).Bind(8, ToUnixMillis(r.updated_at));
                s.Bind(9, r.id);
              }));
  if (connection_.Changes() == 0) return NotFound("cancellation request " + r.id + " not found");
  return Status::Ok();
}

Status SqliteStore::UpdateCancellation(const CancellationRequest& r) {
  return db_.Write([&](SqliteConnection& c) { return SqliteTransaction(c, db_).UpdateCancellation(r); });
}

Status SqliteTransaction::CompleteCancellation(const CancellationRequest& r) {
  CF_RETURN_IF_ERROR(
      Execute(connection_, "UPDATE subscriptions SET status = 'cancelled', updated_at = ? WHERE id = ?",
              [&](SqliteStatement& s) {
                s.Bind(1, ToUnixMillis(r.updated_at)).Bind(2, r.subscription_id);
              }));
  if (r.confirmation_code) {
    CF_RETURN_IF_ERROR(
        Execute(connection_, "UPDATE cancellation_requests SET confirmation_code = ? WHERE id = ?",
                [&](SqliteStatement& s) { s.Bind(1, *r.confirmation_code).Bind(2, r.id); }));
  }
  return UpdateCancellation(r);
}

Status SqliteStore::CompleteCancellation(const CancellationRequest& r) {
  return db_.Write([&](SqliteConnection& c) { return SqliteTransaction(c, db_).CompleteCancellation(r); });
}

namespace {

// A page cursor is "<created_at millis>.<request id>" of the page's last item:
// the next page starts strictly after it in (created_at, id) descending order.
std::string EncodeCursor(const CancellationRequest& r) {
  return std::to_string(ToUnixMillis(r.created_at)) + "." + r.id;
}

Result<std::pair<int64_t, std::string>> DecodeCursor(const std::string& cursor) {
  const auto dot = cursor.find('.');
  int64_t millis = 0;
  if (dot == std::string::npos || dot + 1 >= cursor.size() ||
      std::from_chars(cursor.data(), cursor.data() + dot, millis).ptr != cursor.data() + dot) {
    return InvalidArgument("cursor is not one this server returned");
  }
  return std::make_pair(millis, cursor.substr(dot + 1));
}

}  // namespace

Result<CancellationPage> SqliteStore::ListCancellations(const CancellationQuery& q) {
  std::optional<std::pair<int64_t, std::string>> after;
  if (q.before) {
    auto decoded = DecodeCursor(*q.before);
    if (!decoded) return decoded.status();
    after = std::move(*decoded);
  }
  std::string sql =
      std::string("SELECT ") + kRequestColumns + " FROM cancellation_requests WHERE 1 = 1";
  if (q.user_id) sql += " AND user_id = ?1";
  if (q.status) sql += " AND status = ?2";
  if (after) sql += " AND (created_at < ?3 OR (created_at = ?3 AND id < ?4))";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?5";
  auto rows = db_.Read<std::vector<CancellationRequest>>([&](SqliteConnection& c) {
    return QueryRows<CancellationRequest>(
        c, sql,
        [&](SqliteStatement& s) {
          if (q.user_id) s.Bind(1, *q.user_id);
          if (q.status) s.Bind(2, *q.status);
          if (after) s.Bind(3, after->first).Bind(4, after->second);
          s.Bind(5, int64_t{q.limit} + 1);  // one more tells whether a next page exists
        },
        ReadRequest);
  });
  if (!rows) return rows.status();
  CancellationPage page;
  page.items = std::move(*rows);
  if (static_cast<int>(page.items.size()) > q.limit) {
    page.items.resize(q.limit);
    page.next_cursor = EncodeCursor(page.items.back());
  }
  return page;
}

Result<std::vector<CancellationFact>> SqliteStore::CancellationFacts(TimePoint from, TimePoint to) {
  return db_.Read<std::vector<CancellationFact>>([&](SqliteConnection& c) {
    return QueryRows<CancellationFact>(
        c,
        "SELECT r.status, r.method, s.provider, r.created_at, r.completed_at FROM "
        "cancellation_requests r"
        " JOIN subscriptions s ON s.id = r.subscription_id WHERE r.created_at >= ? AND "
        "r.created_at < ?",
        [&](SqliteStatement& s) { s.Bind(1, ToUnixMillis(from)).Bind(2, ToUnixMillis(to)); },
        [](const SqliteStatement& s) {
          return CancellationFact{s.Text(0), s.OptionalText(1), s.Text(2), FromUnixMillis(s.Int(3)),
                                  internal::OptionalTime(s, 4)};
        });
  });
}

namespace {
Status SetRequestColumn(SqliteDatabase& db, const char* column, const std::string& id,
                        const std::string& value) {
  return db.Write([&](SqliteConnection& c) -> Status {
    CF_RETURN_IF_ERROR(
        Execute(c, std::string("UPDATE cancellation_requests SET ") + column + " = ? WHERE id = ?",
                [&](SqliteStatement& s) { s.Bind(1, value).Bind(2, id); }));
    if (c.Changes() == 0) return NotFound("cancellation request " + id + " not found");
    return Status::Ok();
  });
}
}  // namespace

Status SqliteStore::SetConfirmationCode(const std::string& request_id, const std::string& code) {
  return SetRequestColumn(db_, "confirmation_code", request_id, code);
}

Status SqliteStore::SetManualInstructions(const std::string& request_id,
                                          const std::string& instructions_json) {
  return SetRequestColumn(db_, "manual_instructions", request_id, instructions_json);
}

}  // namespace cancelflow::store
