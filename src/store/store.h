// Store: the records of cancelflow behind one interface, so that callers are the
// same on the embedded SQLite store and on PostgreSQL.
//
// Errors: NotFound for a missing record, AlreadyExists for a duplicate key,
// Unavailable when the database does not answer. The schema is in
// migrations/ and documented in docs/STORAGE.md.
//
// Thread-safety: implementations are safe to call from any thread. Calls block
// on I/O; they must not run on an HTTP I/O thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/records.h"
#include "store/write_set.h"

namespace cancelflow::store {

// One row of the audit log (the seed's AuditLogger.log): every event of the
// event bus lands here with its secrets already redacted.
struct AuditRecord {
  int64_t seq = 0;  // assigned by the store, increasing
  std::string id;   // the event id ("evt_…")
  std::optional<std::string> user_id;
  std::string action;    // the event type, e.g. "cancellation.completed"
  std::string resource;  // the id of what the event is about, e.g. "req_…"
  std::string result;    // "success" or "failure"
  std::string metadata;  // JSON object text
  TimePoint timestamp;
};

// A page of the user's (or, without user_id, everybody's) cancellation
// requests, newest first. `before` is the opaque cursor of the previous page.
struct CancellationQuery {
  std::optional<std::string> user_id;
  std::optional<std::string> status;
  int limit = 50;
  std::optional<std::string> before;
};

struct CancellationPage {
  std::vector<CancellationRequest> items;
  std::optional<std::string> next_cursor;  // set when more items follow
};

// One request as the metrics report sees it (GET /v1/system/metrics).
struct CancellationFact {
  std::string status;
  std::optional<std::string> method;
  std::string provider;
  TimePoint created_at;
  std::optional<TimePoint> completed_at;
};

struct AuditQuery {
  std::optional<std::string> user_id;     // only this user's records
  std::optional<std::string> resource;    // only records about this resource
  std::vector<std::string> action_globs;  // any of these globs ("cancellation.*"); empty: all
  int limit = 50;
  bool oldest_first = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // A round trip to the database, for health checks.
  virtual Status Ping() = 0;

  // Runs the set's writes in one transaction; once it committed, runs the
  // set's on-commit actions on the committing thread in commit order (across
  // all sets), then its after-commit actions on the calling thread, and
  // returns OK. On an error nothing of the set is written and no action runs.
  virtual Status Commit(WriteSet& set) = 0;

  // Queues records for the audit log without waiting; they are written in
  // order, gathered over a short window (see the implementation) so that many
  // rows share one write. FlushAudit writes what is queued and waits for it;
  // QueryAudit sees every record appended before it was called.
  virtual void AppendAudit(std::vector<AuditRecord> records) = 0;
  virtual Status FlushAudit() = 0;
  virtual Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) = 0;

  // Users, their bearer tokens (stored as the hex SHA-256 of the token) and
  // notification preferences.
  virtual Status CreateUser(const User& user) = 0;
  virtual Result<User> GetUser(const std::string& id) = 0;
  virtual Result<std::vector<User>> ListUsers(int limit) = 0;
  virtual Status AddToken(const std::string& token_hash, const std::string& user_id,
                          TimePoint at) = 0;
  virtual Result<User> FindUserByToken(
      const std::string& token_hash) = 0;  // NotFound for an unknown token
  virtual Status SetNotificationPreferences(const std::string& user_id, bool realtime,
                                            bool email) = 0;

  // Subscriptions.
  virtual Status CreateSubscription(const Subscription& sub) = 0;
  virtual Result<Subscription> GetSubscription(const std::string& id) = 0;
  virtual Result<Subscription> FindSubscriptionByExternalId(const std::string& provider,
                                                            const std::string& external_id) = 0;
  virtual Status SetSubscriptionStatus(const std::string& id, const std::string& status,
                                       TimePoint at) = 0;
  virtual Result<std::vector<Subscription>> ListSubscriptions(const std::string& user_id,
                                                              int limit) = 0;

  // Cancellation requests. They are created with their workflow instance in
  // one WriteSet (Transaction::CreateCancellation).
  virtual Result<CancellationRequest> GetCancellation(const std::string& id) = 0;
  virtual Result<CancellationRequest> FindActiveCancellation(
      const std::string& subscription_id) = 0;
  virtual Result<CancellationRequest> FindCancellationByIdempotencyKey(const std::string& user_id,
                                                                       const std::string& key) = 0;
  // Writes the workflow-owned fields (status, method, progress, current_step,
  // attempts, estimated_completion, completed_at, updated_at); the fields the
  // job processors own are written only by the two setters below, so neither
  // side overwrites the other.
  virtual Status UpdateCancellation(const CancellationRequest& request) = 0;
  virtual Status SetConfirmationCode(const std::string& request_id, const std::string& code) = 0;
  // The request reached "completed": in one transaction, its subscription
  // becomes "cancelled" (first, so nobody sees a completed request on an
  // active subscription), the workflow-owned fields are written as
  // UpdateCancellation does, and confirmation_code when the request has one.
  virtual Status CompleteCancellation(const CancellationRequest& request) = 0;
  virtual Status SetManualInstructions(const std::string& request_id,
                                       const std::string& instructions_json) = 0;
  virtual Result<CancellationPage> ListCancellations(const CancellationQuery& query) = 0;
  // Requests created in [from, to), for reports.
  virtual Result<std::vector<CancellationFact>> CancellationFacts(TimePoint from, TimePoint to) = 0;

  // Workflow instances, saved with each transition in a WriteSet
  // (Transaction::SaveWorkflow).
  virtual Result<WorkflowInstance> GetWorkflow(const std::string& id) = 0;
  virtual Result<std::vector<WorkflowInstance>> ListUnfinishedWorkflows() = 0;
  virtual Result<std::vector<WorkflowInstance>> FindWorkflowsWaitingFor(
      const std::string& wait_key) = 0;
  // Unfinished instances whose timer is due at `now`, and the earliest timer.
  virtual Result<std::vector<WorkflowInstance>> DueWorkflows(TimePoint now, int limit) = 0;
  virtual Result<std::optional<TimePoint>> NextWorkflowWake() = 0;
  virtual Result<int64_t> PruneWorkflows(TimePoint finished_before) = 0;
  // How many instances are in each status.
  virtual Result<std::map<std::string, int64_t>> CountWorkflowsByStatus() = 0;

  // Notifications (the SSE history) and emails.
  virtual Result<Notification> AddNotification(Notification n) = 0;  // assigns seq
  virtual Result<std::vector<Notification>> ListNotifications(const std::string& user_id,
                                                              int64_t after_seq, int limit) = 0;
  virtual Result<int64_t> CountNotifications(const std::string& user_id, int64_t after_seq) = 0;
  virtual Status AddEmail(const EmailMessage& email) = 0;

  // Inbound webhooks accepted, by provider and message id: AlreadyExists for a
  // replayed id.
  virtual Status RecordWebhookReceipt(const std::string& provider, const std::string& message_id,
                                      const std::string& body, TimePoint at) = 0;

  // Provider analytics.
  virtual Status RecordProviderOutcome(const ProviderOutcome& outcome) = 0;
  virtual Result<ProviderMethodStats> GetProviderStats(
      const std::string& provider, const std::string& method,
      int window) = 0;  // the last `window` outcomes
};

}  // namespace cancelflow::store
