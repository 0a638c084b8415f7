// Helpers for the SqliteStore's record files: running a query and reading its
// rows, optional times. Private to the store module.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "store/sqlite_connection.h"

namespace cancelflow::store::internal {

inline std::optional<TimePoint> OptionalTime(const SqliteStatement& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return FromUnixMillis(s.Int(col));
}

inline std::optional<int64_t> OptionalMillis(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return ToUnixMillis(*t);
}

// Prepares `sql`, lets `bind` bind its parameters, and reads every row with `read`.
template <typename T, typename Bind, typename Read>
Result<std::vector<T>> QueryRows(SqliteConnection& c, const std::string& sql, Bind&& bind, Read&& read) {
  auto st = c.Prepare(sql);
  if (!st) return st.status();
  SqliteStatement& s = **st;
  bind(s);
  std::vector<T> out;
  for (;;) {
    auto row = s.Step();
    if (!row) return row.status();
    if (!*row) break;
    out.push_back(read(s));
  }
  return out;
}

// The single row of a query, or NotFound naming `what`.
template <typename T, typename Bind, typename Read>
Result<T> QueryOne(SqliteConnection& c, const std::string& sql, const std::string& what, Bind&& bind, Read&& read) {
  auto rows = QueryRows<T>(c, sql, std::forward<Bind>(bind), std::forward<Read>(read));
  if (!rows) return rows.status();
  if (rows->empty()) return NotFound(what + " not found");
  return std::move(rows->front());
}

// Runs a statement that returns no rows.
template <typename Bind>
Status Execute(SqliteConnection& c, const std::string& sql, Bind&& bind) {
  auto st = c.Prepare(sql);
  if (!st) return st.status();
  bind(**st);
  return (*st)->Run();
}

}  // namespace cancelflow::store::internal
