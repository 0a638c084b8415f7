// SqliteDatabase: one SQLite file, written by one thread with group commit and
// read through a small pool of reader connections.
//
// Writes are closures run on the one writer connection, by the "combiner":
// it takes every closure waiting (up to kMaxBatch), runs them in one
// transaction — each under its own savepoint, so one caller's failure rolls
// back only its own work — commits once and reports to every caller. An
// uncontended Write (writer idle, nothing queued) is combined by its caller:
// one batch on the caller's thread, no hand-off. Everything else — writes that
// arrive while the writer is busy, and Submit (fire and forget) — goes to the
// background writer thread, which combines batch after batch until the queue
// is empty. Under load the combiner is thus that one thread, not a worker that
// happened to call first and is now held up running other callers' work (and
// preempted among many threads while the whole queue waits on it): measured,
// 10–15 % more cancellations per second than callers draining the queue.
//
// Reads run on the calling thread with a pooled read-only connection; in WAL
// mode they never block the writer and see every write whose Write() returned.
//
// Checkpoints (copying the WAL back into the database file, then syncing both)
// run beside the writer: after a commit that leaves kCheckpointFrames or more in
// the WAL, the writer wakes a checkpointer thread, which runs a PASSIVE
// checkpoint on a connection of its own while commits go on. Since commits keep
// coming meanwhile, such a checkpoint never catches up with the WAL's end, and
// the WAL could only start over from its beginning after a pause in writing; so
// once it holds kWriterCheckpointFrames the writer copies the little that is
// left itself, after which the next transaction starts the WAL over. Before,
// the writer ran every checkpoint (SQLite's automatic one) and each stalled all
// writes queued behind it for ~23 ms, two fsyncs included, every few hundred
// cancellations: measured, p99 request → completed at 1,000/s 37–40 ms with
// that, 19–21 ms with this (docs/BENCHMARKS.md).
//
// Thread-safety: all methods may be called from any thread, but Write and
// Flush block on SQLite and must not be called on an I/O thread. A WriteFn runs
// on whichever thread combines and must not call Write/Flush (it would wait on
// itself); it may call Submit.
//
// Invariants:
//  1. Only the combiner (combining_ set, by the thread that set it) touches
//     writer_.
//  2. A DoneFn is called exactly once, after its work committed or failed.
//  3. The destructor runs every submitted write before it returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/migrations.h"
#include "store/sqlite_connection.h"

namespace cancelflow::store {

class SqliteDatabase {
 public:
  using WriteFn = std::function<Status(SqliteConnection&)>;
  using DoneFn = std::function<void(const Status&)>;
  static constexpr size_t kMaxBatch = 4096;
  static constexpr int kCheckpointFrames = 2048;        // the checkpointer copies from here (8 MiB)
  static constexpr int kWriterCheckpointFrames = 8192;  // the writer copies the rest, the WAL starts over

  // Creates the file's directory if needed, opens the file, applies pending
  // `migrations` (migrations.h) and starts the writer thread. An unwritable path
  // or a file that is not a cancelflow database is a FailedPrecondition naming
  // the path.
  // `writer_name` names the writer thread (core/thread_name.h).
  static Result<std::unique_ptr<SqliteDatabase>> Open(const std::string& path,
                                                      const std::vector<Migration>& migrations = EmbeddedMigrations(),
                                                      std::string writer_name = "db-writer");

  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Queues fn; `done` (optional) runs on the writer thread after the commit.
  void Submit(WriteFn fn, DoneFn done = nullptr);

  // Runs fn on the writer thread and waits until its transaction committed.
  // `on_commit`, if set, runs on the combining thread right after the commit
  // of a successful fn, in commit order (before any caller is woken); it must
  // be quick and must not call Write.
  Status Write(const WriteFn& fn, const std::function<void()>& on_commit = nullptr);
  template <typename T>
  Result<T> Write(const std::function<Result<T>(SqliteConnection&)>& fn) {
    std::optional<Result<T>> out;
    Status s = Write([&](SqliteConnection& c) {
      out.emplace(fn(c));
      return out->status();
    });
    if (!s.ok()) return s;
    return std::move(*out);
  }

  // Waits until everything submitted before this call has committed.
  Status Flush();

  // Runs fn with a read-only connection on the calling thread.
  template <typename T>
  Result<T> Read(const std::function<Result<T>(SqliteConnection&)>& fn) {
    auto conn = AcquireReader();
    if (!conn) return conn.status();
    Result<T> out = fn(**conn);
    ReleaseReader(std::move(*conn));
    return out;
  }

  const std::string& path() const { return path_; }

 private:
  struct Task {
    WriteFn fn;
    DoneFn done;
    std::function<void()> on_commit;
  };

  SqliteDatabase(std::string path, std::unique_ptr<SqliteConnection> writer,
                 std::unique_ptr<SqliteConnection> checkpointer, std::string writer_name);
  void WriterLoop();
  // Called by SQLite on the writer after each commit with the WAL's size in frames.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  void CheckpointLoop();
  // Runs queued tasks in batches: until the queue is empty (`drain`, the writer
  // thread) or one batch (a caller that found the writer idle). Called with
  // `lock` held and combining_ false; returns with it held and combining_ false.
  void Combine(std::unique_lock<std::mutex>& lock, bool drain);
  void RunBatch(std::vector<Task>& batch);
  Result<std::unique_ptr<SqliteConnection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqliteConnection> conn);

  const std::string path_;
  std::unique_ptr<SqliteConnection> writer_;  // writer thread only

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;   // guarded by mu_
  bool combining_ = false;   // guarded by mu_
  bool stopping_ = false;    // guarded by mu_

  std::unique_ptr<SqliteConnection> checkpointer_;  // checkpoint thread only
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;    // guarded by checkpoint_mu_
  bool checkpoint_stopping_ = false;  // guarded by checkpoint_mu_
  std::thread checkpoint_thread_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // idle; guarded by readers_mu_

  std::thread thread_;
};

}  // namespace cancelflow::store
