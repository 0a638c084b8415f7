// QueryCount: the integer a one-row query such as "SELECT count(*) FROM t"
// answers, read on one of the database's reader connections. For tests that
// look at what a SQLite file holds.
#pragma once

#include <string>

#include "store/sqlite_database.h"

namespace cancelflow::testing {

inline Result<int64_t> QueryCount(store::SqliteDatabase& db, const std::string& sql) {
  return db.Read<int64_t>([&](store::SqliteConnection& c) -> Result<int64_t> {
    auto st = c.Prepare(sql);
    if (!st) return st.status();
    auto row = (*st)->Step();
    if (!row) return row.status();
    const int64_t n = (*st)->Int(0);
    (*st)->Reset();
    return n;
  });
}

}  // namespace cancelflow::testing
