#include "store/sqlite_database.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "testing/sqlite_count.h"
#include "testing/temp_dir.h"

namespace cancelflow::store {
namespace {

using cancelflow::testing::TempDir;

Result<int64_t> CountRows(SqliteDatabase& db, const std::string& table) {
  return cancelflow::testing::QueryCount(db, "SELECT count(*) FROM " + table);
}

TEST(SqliteDatabase, OpenAppliesMigrationsOnceAndCreatesTheDirectory) {
  TempDir dir;
  const std::string path = dir.File("nested/dir/cf.db");
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto n = CountRows(**db, "schema_migrations");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, static_cast<int64_t>(EmbeddedMigrations().size()));
  }
  auto again = SqliteDatabase::Open(path);  // reopening applies nothing new
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*CountRows(**again, "schema_migrations"), static_cast<int64_t>(EmbeddedMigrations().size()));
  auto journal = (*again)->Read<std::string>([](SqliteConnection& c) -> Result<std::string> {
    auto st = c.Prepare("PRAGMA journal_mode");
    if (!st) return st.status();
    if (auto row = (*st)->Step(); !row) return row.status();
    std::string mode = (*st)->Text(0);
    (*st)->Reset();
    return mode;
  });
  EXPECT_EQ(*journal, "wal");
}

TEST(SqliteDatabase, CorruptFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.File("corrupt.db");
  std::ofstream(path) << "this is not a database, just some text that is long enough to be read";
  auto db = SqliteDatabase::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(db.status().message().find(path), std::string::npos) << db.status().message();
}

TEST(SqliteDatabase, UnwritablePathIsAClearError) {
  TempDir dir;
  std::ofstream(dir.File("file")) << "x";
  const std::string path = dir.File("file/cf.db");  // a directory that is a file
  auto db = SqliteDatabase::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("cannot create directory"), std::string::npos) << db.status().message();
}

TEST(SqliteDatabase, NewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.File("cf.db");
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Write([](SqliteConnection& c) {
                      return c.Exec("INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
                    }).ok());
  }
  auto db = SqliteDatabase::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("newer"), std::string::npos);
}

TEST(SqliteDatabase, FailedWriteRollsBackOnlyItsOwnWork) {
  TempDir dir;
  auto db = SqliteDatabase::Open(dir.File("cf.db"));
  ASSERT_TRUE(db.ok());
  SqliteDatabase& d = **db;
  ASSERT_TRUE(d.Write([](SqliteConnection& c) { return c.Exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); }).ok());

  // Many concurrent writers share group commits; the ones that fail must not take the others down.
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int x = t * kPerThread + i;
        Status s = d.Write([x](SqliteConnection& c) -> Status {
          CF_RETURN_IF_ERROR(c.Exec("INSERT INTO t VALUES (" + std::to_string(x) + ")"));
          if (x % 10 == 0) return InvalidArgument("rejected on purpose");  // after its insert
          return Status::Ok();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), kThreads * kPerThread / 10);
  EXPECT_EQ(*CountRows(d, "t"), kThreads * kPerThread - failures.load());
}

TEST(SqliteDatabase, SubmittedWorkRunsBeforeTheDatabaseCloses) {
  TempDir dir;
  const std::string path = dir.File("cf.db");
  std::atomic<int> done{0};
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Write([](SqliteConnection& c) { return c.Exec("CREATE TABLE t(x)"); }).ok());
    for (int i = 0; i < 1000; ++i) {
      (*db)->Submit([](SqliteConnection& c) { return c.Exec("INSERT INTO t VALUES (1)"); },
                    [&done](const Status& s) { done += s.ok() ? 1 : 0; });
    }
  }
  EXPECT_EQ(done.load(), 1000);
  auto db = SqliteDatabase::Open(path);
  EXPECT_EQ(*CountRows(**db, "t"), 1000);
}

// The checkpointer thread copies the WAL into the database file while the
// writer goes on (the writer itself only copies what is left once the WAL is
// long, so that it starts over instead of growing).
TEST(SqliteDatabase, TheWalIsCheckpointedBesideTheWriterAndStartsOver) {
  TempDir dir;
  const std::string path = dir.File("cf.db");
  auto db = SqliteDatabase::Open(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Write([](SqliteConnection& c) { return c.Exec("CREATE TABLE pages(x BLOB)"); }).ok());
  // Each row fills about one 4 KiB page, so a commit of 100 rows adds ~100 WAL frames.
  auto write_pages = [&](int commits) {
    for (int i = 0; i < commits; ++i) {
      ASSERT_TRUE((*db)->Write([](SqliteConnection& c) {
                         return c.Exec(
                             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
                             " INSERT INTO pages SELECT randomblob(4000) FROM n");
                       }).ok());
    }
  };
  auto wait_until = [](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };

  // Past the checkpointer's threshold, short of the writer's: only the checkpointer copies.
  const int first = (SqliteDatabase::kCheckpointFrames + SqliteDatabase::kWriterCheckpointFrames) / 2 / 100;
  write_pages(first);
  EXPECT_TRUE(wait_until([&] {
    return std::filesystem::file_size(path) >= static_cast<uintmax_t>(first) * 100 * 4096 * 9 / 10;
  })) << "database file: " << std::filesystem::file_size(path) << " bytes";

  // Far past the writer's threshold: the WAL has started over rather than held every frame.
  const int second = 3 * SqliteDatabase::kWriterCheckpointFrames / 100;
  write_pages(second);
  auto probe = SqliteConnection::Open(path, SqliteConnection::Mode::kReadWrite);
  ASSERT_TRUE(probe.ok());
  int wal_frames = -1, copied = -1;
  EXPECT_TRUE(wait_until([&] {  // BUSY while the checkpointer is at work
    return sqlite3_wal_checkpoint_v2((*probe)->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied) ==
           SQLITE_OK;
  }));
  EXPECT_GE(wal_frames, 0);
  EXPECT_LT(wal_frames, SqliteDatabase::kWriterCheckpointFrames + 200);
  EXPECT_EQ(*CountRows(**db, "pages"), int64_t{100} * (first + second));
}

}  // namespace
}  // namespace cancelflow::store
