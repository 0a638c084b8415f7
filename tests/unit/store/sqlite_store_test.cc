#include "store/sqlite_store.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "testing/sqlite_count.h"
#include "testing/temp_dir.h"

namespace cancelflow::store {
namespace {

AuditRecord Record(std::string id, std::optional<std::string> user, std::string action, std::string resource) {
  return AuditRecord{0, std::move(id), std::move(user), std::move(action), std::move(resource), "success", "{}",
                     FromUnixMillis(1'800'000'000'000)};
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto opened = SqliteStore::Open(*db_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  cancelflow::testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, PingAnswers) { EXPECT_TRUE(store_->Ping().ok()); }

TEST_F(SqliteStoreTest, AuditQueriesFilterByUserResourceAndGlob) {
  store_->AppendAudit({Record("evt_1", "usr_a", "cancellation.requested", "req_1"),
                       Record("evt_2", "usr_a", "job.enqueued", "job_1"),
                       Record("evt_3", "usr_b", "cancellation.requested", "req_2"),
                       Record("evt_4", "usr_a", "cancellation.completed", "req_1")});
  ASSERT_TRUE(store_->FlushAudit().ok());

  auto all = store_->QueryAudit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().id, "evt_4");  // newest first

  auto timeline = store_->QueryAudit({.resource = "req_1", .oldest_first = true});
  ASSERT_EQ(timeline->size(), 2u);
  EXPECT_EQ((*timeline)[0].action, "cancellation.requested");
  EXPECT_EQ((*timeline)[1].action, "cancellation.completed");

  auto mine = store_->QueryAudit({.user_id = "usr_a", .action_globs = {"cancellation.*"}});
  ASSERT_EQ(mine->size(), 2u);

  auto several = store_->QueryAudit({.action_globs = {"job.*", "cancellation.completed"}});
  ASSERT_EQ(several->size(), 2u);

  auto limited = store_->QueryAudit({.limit = 1});
  ASSERT_EQ(limited->size(), 1u);
}

// Audit rows wait for their window, not for a reader: they reach the table by
// themselves within it, a query sees every row appended before it, and a full
// batch does not wait for the window at all.
TEST_F(SqliteStoreTest, AuditRowsAreWrittenWithinTheirWindowAndSeenByQueries) {
  auto rows_in_table = [&] {
    return *cancelflow::testing::QueryCount(store_->audit_database(), "SELECT count(*) FROM audit_log");
  };
  auto wait_for_rows = [&](int64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rows_in_table() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return rows_in_table();
  };

  store_->AppendAudit({Record("evt_1", "usr_a", "cancellation.requested", "req_1")});
  EXPECT_EQ(wait_for_rows(1), 1);  // no reader, no flush: the window closed by itself

  store_->AppendAudit({Record("evt_2", "usr_a", "cancellation.completed", "req_1")});
  auto timeline = store_->QueryAudit({.resource = "req_1", .oldest_first = true});
  ASSERT_TRUE(timeline.ok());
  ASSERT_EQ(timeline->size(), 2u);  // appended just before the query: seen
  EXPECT_EQ((*timeline)[1].id, "evt_2");

  std::vector<AuditRecord> batch;
  for (size_t i = 0; i < SqliteStore::kAuditBatch; ++i) {
    batch.push_back(Record("evt_b" + std::to_string(i), std::nullopt, "job.enqueued", "job_" + std::to_string(i)));
  }
  store_->AppendAudit(std::move(batch));
  EXPECT_EQ(wait_for_rows(2 + static_cast<int64_t>(SqliteStore::kAuditBatch)),
            2 + static_cast<int64_t>(SqliteStore::kAuditBatch));
}

TEST(SqliteStoreAuditFileTest, TheAuditLogHasAFileOfItsOwnBesideTheRecords) {
  EXPECT_EQ(SqliteStore::AuditPath("data/cancelflow.db"), "data/cancelflow.audit.db");
  EXPECT_EQ(SqliteStore::AuditPath("/var/lib/cf/records"), "/var/lib/cf/records.audit");
}

// A database written by a version that kept the audit log among the records:
// on open its rows move to the audit file under their seq, the old table goes,
// and new rows continue the sequence.
TEST(SqliteStoreAuditFileTest, RowsOfTheRecordsFileMoveToTheAuditFile) {
  cancelflow::testing::TempDir dir;
  auto db = SqliteDatabase::Open(dir.File("cf.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Write([](SqliteConnection& c) {
                     return c.Exec(
                         "INSERT INTO audit_log(seq, id, user_id, action, resource, result, metadata, timestamp)"
                         " VALUES (7, 'evt_old1', 'usr_a', 'cancellation.requested', 'req_1', 'success', '{}', 1),"
                         " (9, 'evt_old2', NULL, 'job.enqueued', 'job_1', 'success', '{\"k\":1}', 2)");
                   }).ok());

  for (int open = 0; open < 2; ++open) {  // a second open finds nothing left to move
    auto store = SqliteStore::Open(**db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    if (open == 0) (*store)->AppendAudit({Record("evt_new", "usr_a", "cancellation.completed", "req_1")});
    auto rows = (*store)->QueryAudit({.oldest_first = true});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].seq, 7);
    EXPECT_EQ((*rows)[0].id, "evt_old1");
    EXPECT_EQ((*rows)[0].user_id, "usr_a");
    EXPECT_EQ((*rows)[1].seq, 9);
    EXPECT_EQ((*rows)[1].metadata, R"({"k":1})");
    EXPECT_FALSE((*rows)[1].user_id.has_value());
    EXPECT_EQ((*rows)[2].id, "evt_new");
    EXPECT_GT((*rows)[2].seq, 9);
  }
  auto legacy_tables =
      cancelflow::testing::QueryCount(**db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'audit_log%'");
  ASSERT_TRUE(legacy_tables.ok());
  EXPECT_EQ(*legacy_tables, 0);  // the table and its indexes
}

}  // namespace
}  // namespace cancelflow::store
