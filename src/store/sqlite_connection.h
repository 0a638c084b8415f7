// SqliteConnection and SqliteStatement: a thin RAII layer over the sqlite3 C API
// that translates SQLite's result codes into Status at the point where they
// enter our code (UNIQUE violation → AlreadyExists, BUSY → Unavailable,
// corrupt or unopenable file → FailedPrecondition).
//
// A connection and its statements belong to one thread at a time; SqliteDatabase
// decides which (one writer thread, a pool of readers).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cancelflow::store {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in SQLite. Strings are copied by SQLite only when
  // needed (SQLITE_TRANSIENT), so the caller's buffer may go away after Bind.
  SqliteStatement& Bind(int index, int64_t v);
  SqliteStatement& Bind(int index, double v);
  SqliteStatement& Bind(int index, std::string_view v);
  SqliteStatement& Bind(int index, const std::string& v) { return Bind(index, std::string_view(v)); }
  SqliteStatement& Bind(int index, const char* v) { return Bind(index, std::string_view(v)); }
  SqliteStatement& Bind(int index, const std::optional<std::string>& v);
  SqliteStatement& Bind(int index, const std::optional<int64_t>& v);
  SqliteStatement& BindNull(int index);

  // Advances; true while a row is available. Errors are translated.
  Result<bool> Step();
  // Runs to completion, discarding rows.
  Status Run();
  // Resets for the next execution and clears bindings.
  void Reset();

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step/Reset
  bool IsNull(int col) const;
  std::optional<std::string> OptionalText(int col) const;
  std::optional<int64_t> OptionalInt(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (and for kReadWrite creates) the database file and applies the
  // connection settings every connection of ours uses: WAL, synchronous=NORMAL,
  // foreign keys, busy timeout.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, Mode mode);

  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  // Runs one statement through the statement cache: for SQL run often (BEGIN, COMMIT, …).
  Status Run(const std::string& sql);
  // A cached prepared statement, reset and ready to bind. The reference stays
  // valid for the connection's life; don't hold it across a nested Prepare of
  // the same SQL text.
  Result<SqliteStatement*> Prepare(const std::string& sql);

  int64_t Changes() const;
  int64_t LastInsertRowId() const;
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

// Translates an SQLite result code (with the connection's message) to a Status.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace cancelflow::store
