// SqliteStore: workflow instances.
#include "store/internal/sqlite_rows.h"
#include "store/sqlite_store.h"

namespace cancelflow::store {
namespace {

using internal::Execute;
using internal::OptionalMillis;
using internal::OptionalTime;
using internal::QueryOne;
using internal::QueryRows;

const std::string kColumns =
    "id, definition, status, current_step, progress, context, history, awaiting_job, wait_key, wake_at,"
    " created_at, updated_at, finished_at";
// Timers are looked up through the wake_at index: without statistics the planner
// would otherwise walk every unfinished instance (every running one, and every
// request scheduled months ahead) on each round of the timer thread.
const std::string kByWake = "INDEXED BY workflow_instances_wake";
const std::string kUnfinished = "(status = 'pending' OR status = 'running' OR status = 'waiting')";

WorkflowInstance ReadWorkflow(const SqliteStatement& s) {
  WorkflowInstance w;
  w.id = s.Text(0);
  w.definition = s.Text(1);
  w.status = s.Text(2);
  w.current_step = s.OptionalText(3);
  w.progress = static_cast<int>(s.Int(4));
  w.context = s.Text(5);
  w.history = s.Text(6);
  w.awaiting_job = s.OptionalText(7);
  w.wait_key = s.OptionalText(8);
  w.wake_at = OptionalTime(s, 9);
  w.created_at = FromUnixMillis(s.Int(10));
  w.updated_at = FromUnixMillis(s.Int(11));
  w.finished_at = OptionalTime(s, 12);
  return w;
}

}  // namespace

// An upsert rather than INSERT OR REPLACE: an update in place touches only the
// indexes whose columns changed, where a replace deletes and re-inserts every
// index entry of the row.
Status SqliteTransaction::SaveWorkflow(const WorkflowInstance& w) {
  return Execute(connection_,
                 "INSERT INTO workflow_instances(" + kColumns +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT(id) DO UPDATE SET status = excluded.status,"
                     " current_step = excluded.current_step, progress = excluded.progress,"
                     " context = excluded.context, history = excluded.history,"
                     " awaiting_job = excluded.awaiting_job, wait_key = excluded.wait_key,"
                     " wake_at = excluded.wake_at, updated_at = excluded.updated_at,"
                     " finished_at = excluded.finished_at",
                 [&](SqliteStatement& s) {
                   s.Bind(1, w.id).Bind(2, w.definition).Bind(3, w.status).Bind(4, w.current_step);
                   s.Bind(5, int64_t{w.progress}).Bind(6, w.context).Bind(7, w.history).Bind(8, w.awaiting_job);
                   s.Bind(9, w.wait_key).Bind(10, OptionalMillis(w.wake_at)).Bind(11, ToUnixMillis(w.created_at));
                   s.Bind(12, ToUnixMillis(w.updated_at)).Bind(13, OptionalMillis(w.finished_at));
                 });
}

Result<WorkflowInstance> SqliteStore::GetWorkflow(const std::string& id) {
  return db_.Read<WorkflowInstance>([&](SqliteConnection& c) {
    return QueryOne<WorkflowInstance>(c, "SELECT " + kColumns + " FROM workflow_instances WHERE id = ?",
                                      "workflow " + id, [&](SqliteStatement& s) { s.Bind(1, id); }, ReadWorkflow);
  });
}

Result<std::vector<WorkflowInstance>> SqliteStore::ListUnfinishedWorkflows() {
  return db_.Read<std::vector<WorkflowInstance>>([&](SqliteConnection& c) {
    return QueryRows<WorkflowInstance>(
        c, "SELECT " + kColumns + " FROM workflow_instances WHERE " + kUnfinished + " ORDER BY created_at",
        [](SqliteStatement&) {}, ReadWorkflow);
  });
}

Result<std::vector<WorkflowInstance>> SqliteStore::FindWorkflowsWaitingFor(const std::string& wait_key) {
  return db_.Read<std::vector<WorkflowInstance>>([&](SqliteConnection& c) {
    return QueryRows<WorkflowInstance>(c, "SELECT " + kColumns + " FROM workflow_instances WHERE wait_key = ?",
                                       [&](SqliteStatement& s) { s.Bind(1, wait_key); }, ReadWorkflow);
  });
}

Result<std::vector<WorkflowInstance>> SqliteStore::DueWorkflows(TimePoint now, int limit) {
  return db_.Read<std::vector<WorkflowInstance>>([&](SqliteConnection& c) {
    return QueryRows<WorkflowInstance>(
        c,
        "SELECT " + kColumns + " FROM workflow_instances " + kByWake + " WHERE wake_at <= ? AND " + kUnfinished +
            " ORDER BY wake_at LIMIT ?",
        [&](SqliteStatement& s) { s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit}); }, ReadWorkflow);
  });
}

Result<std::optional<TimePoint>> SqliteStore::NextWorkflowWake() {
  return db_.Read<std::optional<TimePoint>>([&](SqliteConnection& c) -> Result<std::optional<TimePoint>> {
    auto rows = QueryRows<std::optional<TimePoint>>(
        c, "SELECT min(wake_at) FROM workflow_instances " + kByWake + " WHERE wake_at IS NOT NULL AND " + kUnfinished,
        [](SqliteStatement&) {}, [](const SqliteStatement& s) { return OptionalTime(s, 0); });
    if (!rows) return rows.status();
    return rows->empty() ? std::nullopt : rows->front();
  });
}

Result<int64_t> SqliteStore::PruneWorkflows(TimePoint finished_before) {
  return db_.Write<int64_t>([&](SqliteConnection& c) -> Result<int64_t> {
    CF_RETURN_IF_ERROR(Execute(c,
                               "DELETE FROM workflow_instances WHERE finished_at < ? AND id NOT IN"
                               " (SELECT workflow_id FROM cancellation_requests WHERE status IN"
                               " ('pending', 'scheduled', 'processing'))",
                               [&](SqliteStatement& s) { s.Bind(1, ToUnixMillis(finished_before)); }));
    return c.Changes();
  });
}

Result<std::map<std::string, int64_t>> SqliteStore::CountWorkflowsByStatus() {
  return db_.Read<std::map<std::string, int64_t>>([&](SqliteConnection& c) -> Result<std::map<std::string, int64_t>> {
    auto rows = internal::QueryRows<std::pair<std::string, int64_t>>(
        c, "SELECT status, count(*) FROM workflow_instances GROUP BY status", [](SqliteStatement&) {},
        [](const SqliteStatement& s) { return std::make_pair(s.Text(0), s.Int(1)); });
    if (!rows) return rows.status();
    return std::map<std::string, int64_t>(rows->begin(), rows->end());
  });
}

}  // namespace cancelflow::store
