#include "store/sqlite_database.h"

#include <filesystem>
#include <future>

#include <sqlite3.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/thread_name.h"

namespace cancelflow::store {
namespace {
// Enough for every thread that reads at once (workers, HTTP workers, producers): a
// connection opened anew pays for parsing the schema and preparing statements again.
constexpr size_t kMaxIdleReaders = 64;
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                             const std::vector<Migration>& migrations,
                                                             std::string writer_name) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return FailedPrecondition(
          fmt::format("cannot create directory {:?} for the database: {}", p.parent_path().string(), ec.message()));
    }
  }
  auto conn = SqliteConnection::Open(path, SqliteConnection::Mode::kReadWrite);
  if (!conn) {
    return Status(conn.status().code(), fmt::format("database {:?}: {}", path, conn.status().message()));
  }
  Status migrated = ApplyMigrations(**conn, migrations);
  if (!migrated.ok()) {
    return Status(migrated.code(), fmt::format("database {:?}: {}", path, migrated.message()));
  }
  auto checkpointer = SqliteConnection::Open(path, SqliteConnection::Mode::kReadWrite);
  if (!checkpointer) {
    return Status(checkpointer.status().code(), fmt::format("database {:?}: {}", path, checkpointer.status().message()));
  }
  return std::unique_ptr<SqliteDatabase>(
      new SqliteDatabase(path, std::move(*conn), std::move(*checkpointer), std::move(writer_name)));
}

SqliteDatabase::SqliteDatabase(std::string path, std::unique_ptr<SqliteConnection> writer,
                               std::unique_ptr<SqliteConnection> checkpointer, std::string writer_name)
    : path_(std::move(path)), writer_(std::move(writer)), checkpointer_(std::move(checkpointer)) {
  // Replaces SQLite's automatic checkpoint on the writer (wal_autocheckpoint).
  sqlite3_wal_hook(writer_->raw(), &SqliteDatabase::OnWalCommit, this);
  checkpoint_thread_ = std::thread([this] {
    NameThisThread("db-checkpoint");
    CheckpointLoop();
  });
  thread_ = std::thread([this, name = std::move(writer_name)] {
    NameThisThread(name);
    WriterLoop();
  });
}

SqliteDatabase::~SqliteDatabase() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  checkpoint_thread_.join();
  // Closing the writer last checkpoints what is left and removes the WAL.
}

int SqliteDatabase::OnWalCommit(void* self, sqlite3* db, const char* name, int frames) {
  auto* d = static_cast<SqliteDatabase*>(self);
  if (frames >= kWriterCheckpointFrames) {
    // What the checkpointer has not copied yet, so that the WAL can start over.
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= kCheckpointFrames) {
    {
      std::lock_guard lock(d->checkpoint_mu_);
      if (d->checkpoint_wanted_) return SQLITE_OK;
      d->checkpoint_wanted_ = true;
    }
    d->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteDatabase::CheckpointLoop() {
  // The WAL stays above the threshold until the writer lets it start over, so
  // every commit asks for a round: rounds are at least kPause apart.
  constexpr auto kPause = std::chrono::milliseconds(20);
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || checkpoint_stopping_; });
    if (checkpoint_stopping_) return;
    checkpoint_wanted_ = false;  // commits during this round ask for the next one
    lock.unlock();
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("checkpoint of {:?} failed: {}", path_, SqliteError(checkpointer_->raw(), rc, "checkpoint").ToString());
    }
    lock.lock();
    checkpoint_cv_.wait_for(lock, kPause, [&] { return checkpoint_stopping_; });
  }
}

void SqliteDatabase::Submit(WriteFn fn, DoneFn done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Task{std::move(fn), std::move(done)});
  }
  cv_.notify_one();
}

Status SqliteDatabase::Write(const WriteFn& fn, const std::function<void()>& on_commit) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  {
    std::unique_lock lock(mu_);
    queue_.push_back(Task{[&fn](SqliteConnection& c) { return fn(c); },
                          [&promise](const Status& s) { promise.set_value(s); }, on_commit});
    // Uncontended, the caller commits its own write (no thread hand-off); else
    // the writer thread, which works through the queue batch after batch, has it.
    if (!combining_ && queue_.size() == 1) {
      Combine(lock, /*drain=*/false);
    } else {
      cv_.notify_one();
    }
  }
  return future.get();
}

Status SqliteDatabase::Flush() {
  return Write([](SqliteConnection&) { return Status::Ok(); });
}

void SqliteDatabase::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return (!queue_.empty() && !combining_) || (stopping_ && !combining_); });
    if (queue_.empty()) return;  // stopping, and everything has run
    Combine(lock, /*drain=*/true);
  }
}

void SqliteDatabase::Combine(std::unique_lock<std::mutex>& lock, bool drain) {
  combining_ = true;
  std::vector<Task> batch;
  for (bool first = true; !queue_.empty() && (drain || first); first = false) {
    const size_t n = std::min(queue_.size(), kMaxBatch);
    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    lock.unlock();
    RunBatch(batch);
    batch.clear();
    lock.lock();
  }
  combining_ = false;
  // Submitted work that arrived while this thread combined was run above; the
  // writer thread may be waiting for combining_ to clear (shutdown).
  cv_.notify_all();
}

void SqliteDatabase::RunBatch(std::vector<Task>& batch) {
  // Transaction control goes through the statement cache: it runs on every batch.
  std::vector<Status> results(batch.size());
  Status tx = writer_->Run("BEGIN IMMEDIATE");
  if (tx.ok()) {
    // A lone task needs no savepoint: its failure rolls back the whole transaction.
    const bool savepoints = batch.size() > 1;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (savepoints) {
        Status sp = writer_->Run("SAVEPOINT task");
        if (!sp.ok()) {
          results[i] = sp;
          continue;
        }
      }
      results[i] = batch[i].fn(*writer_);
      if (savepoints) {
        if (!results[i].ok()) (void)writer_->Run("ROLLBACK TO task");
        (void)writer_->Run("RELEASE task");
      }
    }
    if (!savepoints && !results[0].ok()) {
      (void)writer_->Run("ROLLBACK");
    } else {
      tx = writer_->Run("COMMIT");
      if (!tx.ok()) (void)writer_->Run("ROLLBACK");
    }
  }
  if (!tx.ok()) spdlog::error("sqlite transaction on {:?} failed: {}", path_, tx.ToString());
  if (tx.ok()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].on_commit && results[i].ok()) batch[i].on_commit();
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(tx.ok() ? results[i] : tx);
  }
}

Result<std::unique_ptr<SqliteConnection>> SqliteDatabase::AcquireReader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  return SqliteConnection::Open(path_, SqliteConnection::Mode::kReadOnly);
}

void SqliteDatabase::ReleaseReader(std::unique_ptr<SqliteConnection> conn) {
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(conn));
}

}  // namespace cancelflow::store
