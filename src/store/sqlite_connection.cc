#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <mutex>

#include <fmt/format.h>

namespace cancelflow::store {
namespace {

// Process-wide settings, before SQLite initialises. Debian's build keeps
// memory statistics on, which takes a global mutex around every allocation.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = fmt::format("{}: {}", what, msg);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExists(std::move(text));
      }
      return InvalidArgument(std::move(text));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::move(text));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return FailedPrecondition(std::move(text));
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      return Unavailable(std::move(text));
    default:
      return Internal(std::move(text));
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, double v) {
  sqlite3_bind_double(stmt_, index, v);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, std::string_view v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, const std::optional<std::string>& v) {
  return v ? Bind(index, std::string_view(*v)) : BindNull(index);
}
SqliteStatement& SqliteStatement::Bind(int index, const std::optional<int64_t>& v) {
  return v ? Bind(index, *v) : BindNull(index);
}
SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int ext = sqlite3_extended_errcode(db_);
  Status s = SqliteError(db_, ext, "sqlite step");
  sqlite3_reset(stmt_);
  return s;
}

Status SqliteStatement::Run() {
  for (;;) {
    auto more = Step();
    if (!more) return more.status();
    if (!*more) return Status::Ok();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double SqliteStatement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string SqliteStatement::Text(int col) const { return std::string(TextView(col)); }
std::string_view SqliteStatement::TextView(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}
bool SqliteStatement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::optional<std::string> SqliteStatement::OptionalText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}
std::optional<int64_t> SqliteStatement::OptionalInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path, Mode mode) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, fmt::format("cannot open database {:?}", path));
    sqlite3_close(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_busy_timeout(db, 5000);
  // Reading the schema is the first real access: a file that is not a database fails here.
  // secure_delete (on in Debian's build) zeroes every freed cell and page: extra
  // page writes for the queue's jobs moving between indexes, nothing we need.
  std::string setup =
      "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; PRAGMA secure_delete=OFF;";
  // A larger WAL between checkpoints: a checkpoint syncs the file, and fewer of them keep the
  // per-commit cost of small transactions low. The WAL is truncated back after each checkpoint.
  // (SqliteDatabase's own writer checkpoints from a thread of its own instead; see there.)
  if (mode == Mode::kReadWrite) {
    setup += "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;"
             " PRAGMA journal_size_limit=67108864;";
  }
  CF_RETURN_IF_ERROR(conn->Exec(setup));
  CF_RETURN_IF_ERROR(conn->Exec("SELECT count(*) FROM sqlite_master"));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close(db_);
}

Status SqliteConnection::Exec(std::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return SqliteError(db_, sqlite3_extended_errcode(db_), "sqlite exec");
  return Status::Ok();
}

Status SqliteConnection::Run(const std::string& sql) {
  auto st = Prepare(sql);
  if (!st) return st.status();
  return (*st)->Run();
}

Result<SqliteStatement*> SqliteConnection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "sqlite prepare");
  auto [ins, _] = cache_.emplace(sql, std::make_unique<SqliteStatement>(db_, stmt));
  return ins->second.get();
}

int64_t SqliteConnection::Changes() const { return sqlite3_changes64(db_); }
int64_t SqliteConnection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace cancelflow::store
