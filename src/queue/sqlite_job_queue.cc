#include "queue/sqlite_job_queue.h"

#include <algorithm>
#include <limits>
#include <random>
#include <tuple>
#include <unordered_map>

#include <boost/json.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"

namespace cancelflow::queue {
namespace {

using store::SqliteConnection;
using store::SqliteStatement;

// Column order read by ReadJob; `seq` last so claim results can be ordered.
constexpr const char* kJobColumns =
    "id, type, payload, priority, state, run_at, attempts, max_attempts, unique_key, locked_by, lease_until,"
    " last_error, errors, created_at, started_at, finished_at, seq";
constexpr int kSeqColumn = 16;
// Queries of one finished state repeat the condition of the partial index
// jobs_finished (state, finished_at) WHERE state IN ('completed', 'failed'):
// SQLite uses a partial index only for a query that names its condition, and
// otherwise scans (and sorts) the whole table.
constexpr const char* kFinished = "state IN ('completed', 'failed')";

std::optional<TimePoint> OptionalTime(const SqliteStatement& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return FromUnixMillis(s.Int(col));
}

Job ReadJob(const SqliteStatement& s) {
  Job j;
  j.id = s.Text(0);
  j.type = s.Text(1);
  j.payload = s.Text(2);
  j.priority = static_cast<int>(s.Int(3));
  j.state = ParseJobState(s.TextView(4)).value_or(JobState::kWaiting);
  j.run_at = FromUnixMillis(s.Int(5));
  j.attempts = static_cast<int>(s.Int(6));
  j.max_attempts = static_cast<int>(s.Int(7));
  j.unique_key = s.OptionalText(8);
  j.locked_by = s.OptionalText(9);
  j.lease_until = OptionalTime(s, 10);
  j.last_error = s.OptionalText(11);
  j.errors = s.Text(12);
  j.created_at = FromUnixMillis(s.Int(13));
  j.started_at = OptionalTime(s, 14);
  j.finished_at = OptionalTime(s, 15);
  return j;
}

// Runs a prepared statement and collects every row as a Job.
Result<std::vector<Job>> CollectJobs(SqliteStatement& s) {
  std::vector<Job> out;
  for (;;) {
    auto row = s.Step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(ReadJob(s));
  }
}

Result<SqliteStatement*> Prepare(SqliteConnection& c, const std::string& sql) { return c.Prepare(sql); }

Result<Job> SelectJob(SqliteConnection& c, std::string_view where, std::string_view key) {
  auto st = Prepare(c, fmt::format("SELECT {} FROM jobs WHERE {} = ?", kJobColumns, where));
  if (!st) return st.status();
  (*st)->Bind(1, key);
  auto jobs = CollectJobs(**st);
  if (!jobs) return jobs.status();
  if (jobs->empty()) return NotFound(fmt::format("job {} not found", key));
  return std::move(jobs->front());
}

Status PromoteDue(SqliteConnection& c, TimePoint now, int64_t* promoted) {
  auto st = Prepare(c, "UPDATE jobs SET state = 'waiting' WHERE state = 'delayed' AND run_at <= ?");
  if (!st) return st.status();
  CF_RETURN_IF_ERROR((*st)->Bind(1, ToUnixMillis(now)).Run());
  if (promoted) *promoted = c.Changes();
  return Status::Ok();
}

// Retention's boundary in `state`: every job finished at or before (finished_at,
// seq) is to go — those older than `age`, and those beyond the newest `count`.
// Found on a reader, once per maintenance round.
struct PruneCutoff {
  int64_t finished_at = 0;
  int64_t seq = 0;
};
Result<PruneCutoff> FindPruneCutoff(SqliteConnection& c, std::string_view state, TimePoint now, Millis age,
                                    int64_t count) {
  PruneCutoff cut{ToUnixMillis(now - age) - 1, std::numeric_limits<int64_t>::max()};
  auto st = Prepare(c, fmt::format("SELECT finished_at, seq FROM jobs WHERE {} AND state = '{}'"
                                   " ORDER BY finished_at DESC, seq DESC LIMIT 1 OFFSET ?",
                                   kFinished, state));
  if (!st) return st.status();
  (*st)->Bind(1, count);
  auto row = (*st)->Step();
  if (!row) return row.status();
  if (*row && std::pair((*st)->Int(0), (*st)->Int(1)) > std::pair(cut.finished_at, cut.seq)) {
    cut = {(*st)->Int(0), (*st)->Int(1)};
  }
  (*st)->Reset();
  return cut;
}

// Deletes up to `limit` jobs in `state` at or before `cut`; returns how many.
Result<int64_t> PruneSome(SqliteConnection& c, std::string_view state, PruneCutoff cut, int64_t limit) {
  auto st = Prepare(c, fmt::format("DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE {} AND state = '{}'"
                                   " AND (finished_at < ?1 OR (finished_at = ?1 AND seq <= ?2)) LIMIT ?3)",
                                   kFinished, state));
  if (!st) return st.status();
  CF_RETURN_IF_ERROR((*st)->Bind(1, cut.finished_at).Bind(2, cut.seq).Bind(3, limit).Run());
  return c.Changes();
}

int64_t Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double ThreadLocalUniform() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

SqliteJobQueue::SqliteJobQueue(store::SqliteDatabase& db, Clock& clock, QueueOptions options,
                               std::function<double()> random)
    : db_(db), clock_(clock), options_(std::move(options)), random_(std::move(random)) {
  if (!random_) random_ = ThreadLocalUniform;
}

void SqliteJobQueue::SetReadyCallback(std::function<void()> callback) {
  std::lock_guard lock(callback_mu_);
  ready_callback_ = std::move(callback);
}

void SqliteJobQueue::NotifyReady() {
  std::function<void()> cb;
  {
    std::lock_guard lock(callback_mu_);
    cb = ready_callback_;
  }
  if (cb) cb();
}

Job SqliteJobQueue::MakeJob(const NewJob& n, TimePoint now) const {
  Job j;
  j.id = NewId("job", now);
  j.type = n.type;
  j.payload = n.payload;
  j.priority = n.priority;
  j.run_at = n.run_at.value_or(now);
  j.state = j.run_at > now ? JobState::kDelayed : JobState::kWaiting;
  j.max_attempts = n.max_attempts.value_or(options_.PolicyFor(n.type).max_attempts);
  j.unique_key = n.unique_key;
  j.created_at = now;
  return j;
}

Status SqliteJobQueue::Insert(SqliteConnection& c, std::vector<Job>& out, std::vector<size_t>& fresh) {
  auto bind_row = [](SqliteStatement& s, int base, const Job& j) {
    s.Bind(base + 1, j.id).Bind(base + 2, j.type).Bind(base + 3, j.payload).Bind(base + 4, int64_t{j.priority});
    s.Bind(base + 5, JobStateName(j.state)).Bind(base + 6, ToUnixMillis(j.run_at));
    s.Bind(base + 7, int64_t{j.max_attempts}).Bind(base + 8, j.unique_key).Bind(base + 9, ToUnixMillis(j.created_at));
  };
  constexpr std::string_view kInsert =
      "INSERT INTO jobs(id, type, payload, priority, state, run_at, attempts, max_attempts, unique_key,"
      " created_at) VALUES ";
  constexpr std::string_view kRow = "(?, ?, ?, ?, ?, ?, 0, ?, ?, ?)";
  constexpr size_t kRowsPerStatement = 50;  // multi-row VALUES: far fewer statement runs per job

  for (size_t i = 0; i < out.size();) {
    if (out[i].unique_key) {
      // One row at a time, so a taken key can be told apart and its holder returned.
      auto ins = Prepare(c, std::string(kInsert) + std::string(kRow) +
                                " ON CONFLICT(unique_key) WHERE unique_key IS NOT NULL DO NOTHING");
      if (!ins) return ins.status();
      bind_row(**ins, 0, out[i]);
      CF_RETURN_IF_ERROR((*ins)->Run());
      if (c.Changes() == 0) {
        auto existing = SelectJob(c, "unique_key", *out[i].unique_key);
        if (!existing) return existing.status();
        out[i] = std::move(*existing);
      } else {
        fresh.push_back(i);
      }
      ++i;
      continue;
    }
    size_t n = 0;
    while (n < kRowsPerStatement && i + n < out.size() && !out[i + n].unique_key) ++n;
    std::string sql(kInsert);
    for (size_t k = 0; k < n; ++k) {
      if (k > 0) sql += ", ";
      sql += kRow;
    }
    auto ins = Prepare(c, sql);
    if (!ins) return ins.status();
    for (size_t k = 0; k < n; ++k) {
      bind_row(**ins, static_cast<int>(9 * k), out[i + k]);
      fresh.push_back(i + k);
    }
    CF_RETURN_IF_ERROR((*ins)->Run());
    i += n;
  }
  return Status::Ok();
}

Result<Job> SqliteJobQueue::Add(const NewJob& job) {
  auto jobs = AddBulk({job});
  if (!jobs) return jobs.status();
  return std::move(jobs->front());
}

Result<std::vector<Job>> SqliteJobQueue::AddBulk(const std::vector<NewJob>& jobs) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status s = ValidateNewJob(jobs[i]);
    if (!s.ok()) {
      return jobs.size() == 1 ? s : InvalidArgument(fmt::format("jobs[{}].{}", i, s.message()));
    }
  }
  if (jobs.empty()) return std::vector<Job>{};
  std::vector<size_t> fresh;
  auto out = db_.Write<std::vector<Job>>([&](SqliteConnection& c) -> Result<std::vector<Job>> {
    const TimePoint now = clock_.Now();
    std::vector<Job> rows;
    rows.reserve(jobs.size());
    for (const NewJob& n : jobs) rows.push_back(MakeJob(n, now));
    fresh.clear();
    CF_RETURN_IF_ERROR(Insert(c, rows, fresh));
    return rows;
  });
  if (!out.ok() || fresh.empty()) return out;
  if (options_.observer) {
    std::vector<Job> added;
    added.reserve(fresh.size());
    for (size_t i : fresh) added.push_back((*out)[i]);
    options_.observer->OnEnqueued(added);
  }
  NotifyReady();
  return out;
}

Result<Job> SqliteJobQueue::Stage(store::WriteSet& set, const NewJob& job) {
  CF_RETURN_IF_ERROR(ValidateNewJob(job));
  Job j = MakeJob(job, clock_.Now());
  set.Add([this, j](store::Transaction& tx) -> Status {
    auto* sqlite = dynamic_cast<store::SqliteTransaction*>(&tx);
    if (sqlite == nullptr || &sqlite->database() != &db_) {
      return FailedPrecondition("the job queue does not share the store's database");
    }
    std::vector<Job> rows{j};
    std::vector<size_t> fresh;
    CF_RETURN_IF_ERROR(Insert(sqlite->connection(), rows, fresh));
    if (fresh.empty()) return AlreadyExists("a job with unique key " + j.unique_key.value_or("") + " exists");
    return Status::Ok();
  });
  set.AfterCommit([this, j] {
    if (options_.observer) options_.observer->OnEnqueued({j});
    NotifyReady();
  });
  return j;
}

Result<std::vector<Job>> SqliteJobQueue::Claim(const std::string& worker_id, int max, Millis lease) {
  if (max <= 0) return std::vector<Job>{};
  return db_.Write<std::vector<Job>>([&](SqliteConnection& c) -> Result<std::vector<Job>> {
    const TimePoint now = clock_.Now();
    CF_RETURN_IF_ERROR(PromoteDue(c, now, nullptr));
    auto st = Prepare(c, fmt::format(
                             "UPDATE jobs SET state = 'active', locked_by = ?1, lease_until = ?2,"
                             " attempts = attempts + 1, started_at = ?3"
                             " WHERE seq IN (SELECT seq FROM jobs WHERE state = 'waiting'"
                             "   AND type NOT IN (SELECT type FROM queue_paused_types)"
                             "   ORDER BY priority DESC, run_at, seq LIMIT ?4)"
                             " RETURNING {}",
                             kJobColumns));
    if (!st) return st.status();
    SqliteStatement& s = **st;
    s.Bind(1, worker_id).Bind(2, ToUnixMillis(now + lease)).Bind(3, ToUnixMillis(now)).Bind(4, int64_t{max});
    std::vector<std::pair<std::tuple<int, int64_t, int64_t>, Job>> rows;
    for (;;) {
      auto row = s.Step();
      if (!row) return row.status();
      if (!*row) break;
      Job j = ReadJob(s);
      rows.emplace_back(std::make_tuple(-j.priority, ToUnixMillis(j.run_at), s.Int(kSeqColumn)), std::move(j));
    }
    // RETURNING gives no order; hand jobs out in claim order.
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Job> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(std::move(r.second));
    return out;
  });
}

Status SqliteJobQueue::Heartbeat(const std::string& worker_id, const std::vector<std::string>& job_ids,
                                 Millis lease) {
  if (job_ids.empty()) return Status::Ok();
  return db_.Write([&](SqliteConnection& c) -> Status {
    auto st = Prepare(c, "UPDATE jobs SET lease_until = ? WHERE id = ? AND locked_by = ? AND state = 'active'");
    if (!st) return st.status();
    const int64_t until = ToUnixMillis(clock_.Now() + lease);
    for (const auto& id : job_ids) {
      (*st)->Reset();
      CF_RETURN_IF_ERROR((*st)->Bind(1, until).Bind(2, id).Bind(3, worker_id).Run());
    }
    return Status::Ok();
  });
}

Result<JobTransition> SqliteJobQueue::FailOne(SqliteConnection& c, const std::string& worker_id,
                                              const JobResult& r, TimePoint now) {
  auto sel = Prepare(c,
                     "SELECT type, attempts, max_attempts, started_at, payload FROM jobs"
                     " WHERE id = ? AND locked_by = ? AND state = 'active'");
  if (!sel) return sel.status();
  (*sel)->Bind(1, r.job_id).Bind(2, worker_id);
  auto row = (*sel)->Step();
  if (!row) return row.status();
  JobTransition t{.job_id = r.job_id, .error = r.status};
  if (!*row) {
    t.lost = true;
    return t;
  }
  t.type = (*sel)->Text(0);
  t.attempts = static_cast<int>((*sel)->Int(1));
  t.max_attempts = static_cast<int>((*sel)->Int(2));
  if (auto started = (*sel)->OptionalInt(3)) t.duration = Millis(ToUnixMillis(now) - *started);
  t.payload = (*sel)->Text(4);
  (*sel)->Reset();

  const bool retry = r.status.error_class() == ErrorClass::kTemporary && t.attempts < t.max_attempts;
  t.state = retry ? JobState::kDelayed : JobState::kFailed;
  t.run_at = retry ? now + options_.PolicyFor(t.type).Backoff(t.attempts, random_()) : now;
  auto upd = Prepare(c,
                     "UPDATE jobs SET state = ?, run_at = ?, locked_by = NULL, lease_until = NULL, last_error = ?,"
                     " errors = json_insert(errors, '$[#]', json(?)), finished_at = ? WHERE id = ?");
  if (!upd) return upd.status();
  SqliteStatement& u = **upd;
  u.Bind(1, JobStateName(t.state)).Bind(2, ToUnixMillis(t.run_at)).Bind(3, r.status.ToString());
  u.Bind(4, JobErrorJson(t.attempts, r.status, now));
  if (retry) {
    u.BindNull(5);
  } else {
    u.Bind(5, ToUnixMillis(now));
  }
  u.Bind(6, r.job_id);
  CF_RETURN_IF_ERROR(u.Run());
  return t;
}

Result<std::vector<JobTransition>> SqliteJobQueue::Complete(const std::string& worker_id,
                                                            const std::vector<JobResult>& results) {
  if (results.empty()) return std::vector<JobTransition>{};
  // Successes are completed by one statement over a JSON array of ids; failures one by one.
  boost::json::array succeeded;
  for (const JobResult& r : results) {
    if (r.status.ok()) succeeded.emplace_back(r.job_id);
  }
  const std::string succeeded_ids = boost::json::serialize(succeeded);
  return db_.Write<std::vector<JobTransition>>([&](SqliteConnection& c) -> Result<std::vector<JobTransition>> {
    const TimePoint now = clock_.Now();
    std::unordered_map<std::string, JobTransition> completed;
    if (!succeeded.empty()) {
      auto done = Prepare(c,
                          "UPDATE jobs SET state = 'completed', finished_at = ?1, locked_by = NULL,"
                          " lease_until = NULL WHERE id IN (SELECT value FROM json_each(?2))"
                          " AND locked_by = ?3 AND state = 'active'"
                          " RETURNING id, type, attempts, max_attempts, started_at, payload");
      if (!done) return done.status();
      SqliteStatement& s = **done;
      s.Bind(1, ToUnixMillis(now)).Bind(2, succeeded_ids).Bind(3, worker_id);
      for (;;) {
        auto row = s.Step();
        if (!row) return row.status();
        if (!*row) break;
        JobTransition t{.job_id = s.Text(0), .type = s.Text(1), .state = JobState::kCompleted,
                        .attempts = static_cast<int>(s.Int(2)), .max_attempts = static_cast<int>(s.Int(3)),
                        .run_at = now};
        if (auto started = s.OptionalInt(4)) t.duration = Millis(ToUnixMillis(now) - *started);
        t.payload = s.Text(5);
        completed.emplace(t.job_id, std::move(t));
      }
    }
    std::vector<JobTransition> out;
    out.reserve(results.size());
    for (const JobResult& r : results) {
      if (!r.status.ok()) {
        auto t = FailOne(c, worker_id, r, now);
        if (!t) return t.status();
        out.push_back(std::move(*t));
      } else if (auto it = completed.find(r.job_id); it != completed.end()) {
        out.push_back(std::move(it->second));
      } else {  // no longer leased to this worker
        out.push_back(JobTransition{.job_id = r.job_id, .state = JobState::kCompleted, .run_at = now, .lost = true});
      }
    }
    return out;
  });
}

Status SqliteJobQueue::Release(const std::string& worker_id, const std::vector<std::string>& job_ids) {
  if (job_ids.empty()) return Status::Ok();
  Status s = db_.Write([&](SqliteConnection& c) -> Status {
    auto st = Prepare(c,
                      "UPDATE jobs SET state = 'waiting', locked_by = NULL, lease_until = NULL,"
                      " attempts = max(attempts - 1, 0) WHERE id = ? AND locked_by = ? AND state = 'active'");
    if (!st) return st.status();
    for (const auto& id : job_ids) {
      (*st)->Reset();
      CF_RETURN_IF_ERROR((*st)->Bind(1, id).Bind(2, worker_id).Run());
    }
    return Status::Ok();
  });
  if (s.ok()) NotifyReady();
  return s;
}

Result<Job> SqliteJobQueue::Get(const std::string& job_id) {
  return db_.Read<Job>([&](SqliteConnection& c) { return SelectJob(c, "id", job_id); });
}

Status SqliteJobQueue::Remove(const std::string& job_id) {
  return db_.Write([&](SqliteConnection& c) -> Status {
    auto st = Prepare(c, "DELETE FROM jobs WHERE id = ? AND state IN ('waiting', 'delayed')");
    if (!st) return st.status();
    CF_RETURN_IF_ERROR((*st)->Bind(1, job_id).Run());
    if (c.Changes() > 0) return Status::Ok();
    auto existing = SelectJob(c, "id", job_id);
    if (!existing) return existing.status();
    return FailedPrecondition(fmt::format("job {} is {}; only waiting or delayed jobs can be removed", job_id,
                                          JobStateName(existing->state)));
  });
}

Result<Job> SqliteJobQueue::RetryFailedJob(const std::string& job_id) {
  auto job = db_.Write<Job>([&](SqliteConnection& c) -> Result<Job> {
    auto st = Prepare(c, fmt::format(
                             "UPDATE jobs SET state = 'waiting', attempts = 0, run_at = ?, locked_by = NULL,"
                             " lease_until = NULL, finished_at = NULL WHERE id = ? AND state = 'failed'"
                             " RETURNING {}",
                             kJobColumns));
    if (!st) return st.status();
    (*st)->Bind(1, ToUnixMillis(clock_.Now())).Bind(2, job_id);
    auto jobs = CollectJobs(**st);
    if (!jobs) return jobs.status();
    if (!jobs->empty()) return std::move(jobs->front());
    auto existing = SelectJob(c, "id", job_id);
    if (!existing) return existing.status();
    return FailedPrecondition(
        fmt::format("job {} is {}, not failed", job_id, JobStateName(existing->state)));
  });
  if (job.ok()) NotifyReady();
  return job;
}

Result<std::vector<Job>> SqliteJobQueue::GetFailedJobs(int limit) {
  return db_.Read<std::vector<Job>>([&](SqliteConnection& c) -> Result<std::vector<Job>> {
    auto st = Prepare(c, fmt::format("SELECT {} FROM jobs WHERE {} AND state = 'failed'"
                                     " ORDER BY finished_at DESC, seq DESC LIMIT ?",
                                     kJobColumns, kFinished));
    if (!st) return st.status();
    (*st)->Bind(1, int64_t{std::max(limit, 0)});
    return CollectJobs(**st);
  });
}

Result<int64_t> SqliteJobQueue::ClearFailedJobs() {
  return db_.Write<int64_t>([](SqliteConnection& c) -> Result<int64_t> {
    CF_RETURN_IF_ERROR(c.Exec(fmt::format("DELETE FROM jobs WHERE {} AND state = 'failed'", kFinished)));
    return c.Changes();
  });
}

Result<QueueStats> SqliteJobQueue::GetStats() {
  const TimePoint now = clock_.Now();
  return db_.Read<QueueStats>([&](SqliteConnection& c) -> Result<QueueStats> {
    QueueStats stats;
    auto counts = Prepare(c, "SELECT type, state, count(*) FROM jobs GROUP BY type, state");
    if (!counts) return counts.status();
    for (;;) {
      auto row = (*counts)->Step();
      if (!row) return row.status();
      if (!*row) break;
      TypeStats& t = stats.by_type[(*counts)->Text(0)];
      const int64_t n = (*counts)->Int(2);
      switch (ParseJobState((*counts)->TextView(1)).value_or(JobState::kWaiting)) {
        case JobState::kWaiting: t.waiting += n, stats.waiting += n; break;
        case JobState::kDelayed: t.delayed += n, stats.delayed += n; break;
        case JobState::kActive: t.active += n, stats.active += n; break;
        case JobState::kCompleted: t.completed += n, stats.completed += n; break;
        case JobState::kFailed: t.failed += n, stats.failed += n; break;
      }
    }
    auto recent = Prepare(c, "SELECT state, count(*) FROM jobs WHERE state IN ('completed', 'failed')"
                             " AND finished_at >= ? GROUP BY state");
    if (!recent) return recent.status();
    (*recent)->Bind(1, ToUnixMillis(now - Millis(60'000)));
    for (;;) {
      auto row = (*recent)->Step();
      if (!row) return row.status();
      if (!*row) break;
      ((*recent)->TextView(0) == "completed" ? stats.completed_last_minute : stats.failed_last_minute) =
          (*recent)->Int(1);
    }
    auto oldest = Prepare(c, "SELECT min(run_at) FROM jobs WHERE state = 'waiting'");
    if (!oldest) return oldest.status();
    if (auto row = (*oldest)->Step(); !row) return row.status();
    if (auto t = (*oldest)->OptionalInt(0)) stats.oldest_waiting_ms = std::max<int64_t>(0, ToUnixMillis(now) - *t);
    (*oldest)->Reset();

    auto durations = Prepare(c, fmt::format("SELECT type, finished_at - started_at FROM jobs WHERE {} AND"
                                            " state = 'completed' AND finished_at >= ? ORDER BY finished_at DESC"
                                            " LIMIT 10000",
                                            kFinished));
    if (!durations) return durations.status();
    (*durations)->Bind(1, ToUnixMillis(now - Millis(3'600'000)));
    std::map<std::string, std::vector<int64_t>> by_type;
    std::vector<int64_t> all;
    for (;;) {
      auto row = (*durations)->Step();
      if (!row) return row.status();
      if (!*row) break;
      by_type[(*durations)->Text(0)].push_back((*durations)->Int(1));
      all.push_back((*durations)->Int(1));
    }
    for (auto& [type, v] : by_type) {
      stats.by_type[type].p50_ms = Percentile(v, 0.50);
      stats.by_type[type].p99_ms = Percentile(v, 0.99);
    }
    stats.p50_ms = Percentile(all, 0.50);
    stats.p99_ms = Percentile(all, 0.99);

    auto paused = Prepare(c, "SELECT type FROM queue_paused_types ORDER BY type");
    if (!paused) return paused.status();
    for (;;) {
      auto row = (*paused)->Step();
      if (!row) return row.status();
      if (!*row) break;
      stats.paused_types.push_back((*paused)->Text(0));
    }
    return stats;
  });
}

Status SqliteJobQueue::Health() {
  auto read = db_.Read<int>([](SqliteConnection& c) -> Result<int> {
    auto st = Prepare(c, "SELECT count(*) FROM queue_paused_types");
    if (!st) return st.status();
    auto row = (*st)->Step();
    if (!row) return row.status();
    (*st)->Reset();
    return 0;
  });
  if (!read.ok()) return read.status();
  return db_.Flush();  // the writer thread answers too
}

Status SqliteJobQueue::Pause(const std::string& type) {
  if (type.empty()) return InvalidArgument("type: must not be empty");
  return db_.Write([&](SqliteConnection& c) -> Status {
    auto st = Prepare(c, "INSERT OR IGNORE INTO queue_paused_types(type, paused_at) VALUES (?, ?)");
    if (!st) return st.status();
    return (*st)->Bind(1, type).Bind(2, ToUnixMillis(clock_.Now())).Run();
  });
}

Status SqliteJobQueue::Resume(const std::string& type) {
  Status s = db_.Write([&](SqliteConnection& c) -> Status {
    auto st = Prepare(c, "DELETE FROM queue_paused_types WHERE type = ?");
    if (!st) return st.status();
    return (*st)->Bind(1, type).Run();
  });
  if (s.ok()) NotifyReady();
  return s;
}

Result<MaintenanceReport> SqliteJobQueue::RunMaintenance() {
  auto report = db_.Write<MaintenanceReport>([&](SqliteConnection& c) -> Result<MaintenanceReport> {
    MaintenanceReport rep;
    const TimePoint now = clock_.Now();
    CF_RETURN_IF_ERROR(PromoteDue(c, now, &rep.promoted));

    auto expired = Prepare(c, "SELECT id, type, attempts, max_attempts, payload FROM jobs"
                              " WHERE state = 'active' AND lease_until < ?");
    if (!expired) return expired.status();
    (*expired)->Bind(1, ToUnixMillis(now));
    for (;;) {
      auto row = (*expired)->Step();
      if (!row) return row.status();
      if (!*row) break;
      JobTransition t;
      t.job_id = (*expired)->Text(0);
      t.type = (*expired)->Text(1);
      t.attempts = static_cast<int>((*expired)->Int(2));
      t.max_attempts = static_cast<int>((*expired)->Int(3));
      t.payload = (*expired)->Text(4);
      t.state = t.attempts >= t.max_attempts ? JobState::kFailed : JobState::kWaiting;
      t.run_at = now;
      t.error = DeadlineExceeded("lease expired: the worker stopped answering");
      rep.recovered.push_back(std::move(t));
    }
    auto recover = Prepare(c, "UPDATE jobs SET state = ?, locked_by = NULL, lease_until = NULL, last_error = ?,"
                              " errors = json_insert(errors, '$[#]', json(?)), finished_at = ? WHERE id = ?");
    if (!recover) return recover.status();
    for (const JobTransition& t : rep.recovered) {
      SqliteStatement& s = **recover;
      s.Reset();
      s.Bind(1, JobStateName(t.state)).Bind(2, t.error.ToString()).Bind(3, JobErrorJson(t.attempts, t.error, now));
      if (t.state == JobState::kFailed) {
        s.Bind(4, ToUnixMillis(now));
      } else {
        s.BindNull(4);
      }
      CF_RETURN_IF_ERROR(s.Bind(5, t.job_id).Run());
    }

    return rep;
  });
  if (!report.ok()) return report;
  if (report->promoted > 0 || !report->recovered.empty()) NotifyReady();
  // Retention in chunks, each its own write: deleting thousands of rows at once
  // held every other write up for tens of milliseconds.
  for (const auto& [state, age, count] : {std::tuple{"completed", options_.completed_retention_age,
                                                     options_.completed_retention_count},
                                          std::tuple{"failed", options_.failed_retention_age,
                                                     options_.failed_retention_count}}) {
    const int64_t chunk = std::max<int64_t>(1, options_.prune_chunk);
    auto cut = db_.Read<PruneCutoff>(
        [&](SqliteConnection& c) { return FindPruneCutoff(c, state, clock_.Now(), age, count); });
    for (;;) {
      auto pruned = cut.ok() ? db_.Write<int64_t>([&](SqliteConnection& c) { return PruneSome(c, state, *cut, chunk); })
                             : Result<int64_t>(cut.status());
      if (!pruned) {  // the promotions and recoveries above stand; retention runs again next time
        spdlog::error("job retention ({} jobs) failed: {}", state, pruned.status().ToString());
        break;
      }
      report->pruned += *pruned;
      if (*pruned < chunk) break;
    }
  }
  return report;
}

Result<std::optional<TimePoint>> SqliteJobQueue::NextDelayedAt() {
  return db_.Read<std::optional<TimePoint>>([](SqliteConnection& c) -> Result<std::optional<TimePoint>> {
    auto st = Prepare(c, "SELECT min(run_at) FROM jobs WHERE state = 'delayed'");
    if (!st) return st.status();
    auto row = (*st)->Step();
    if (!row) return row.status();
    std::optional<TimePoint> t;
    if (auto v = (*st)->OptionalInt(0)) t = FromUnixMillis(*v);
    (*st)->Reset();
    return t;
  });
}

}  // namespace cancelflow::queue
