// The records cancelflow keeps (DESIGN.md, "store"): plain values, as the Store
// reads and writes them. JSON-valued fields hold JSON text; the layout of each
// table is in migrations/sqlite/ and docs/STORAGE.md.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"

namespace cancelflow::store {

struct User {
  std::string id;
  std::string email;
  std::string role = "user";  // "user" | "admin"
  bool realtime_notifications = true;
  bool email_notifications = false;
  TimePoint created_at;
};

struct Subscription {
  std::string id;  // "sub_…"
  std::string user_id;
  std::string provider;
  std::string external_id;
  std::string name;
  std::optional<std::string> plan;
  std::optional<double> amount;
  std::optional<std::string> currency;
  std::optional<TimePoint> renews_at;
  std::string status = "active";  // "active" | "cancelled"
  TimePoint created_at;
  TimePoint updated_at;
};

struct CancellationRequest {
  std::string id;  // "req_…"
  std::string user_id;
  std::string subscription_id;
  std::string workflow_id;
  // pending | scheduled | processing | completed | failed | manual_required | aborted
  std::string status = "pending";
  std::optional<std::string> method;  // the method that is running or succeeded
  std::string priority = "normal";
  std::string preferred_method = "auto";
  bool notify_realtime = true;
  bool notify_email = false;
  std::optional<std::string> reason;
  std::optional<TimePoint> scheduled_for;
  int progress = 0;
  std::optional<std::string> current_step;
  std::string attempts = "[]";  // JSON array of {method, startedAt, finishedAt, outcome, error?}
  std::optional<std::string> confirmation_code;
  std::optional<std::string> manual_instructions;  // JSON object
  std::optional<std::string> idempotency_key;
  std::optional<std::string> request_hash;  // of the body that came with the idempotency key
  std::optional<TimePoint> estimated_completion;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> completed_at;

  bool active() const { return status == "pending" || status == "scheduled" || status == "processing"; }
};

struct WorkflowInstance {
  std::string id;  // "wf_…"
  std::string definition;
  // pending | running | waiting | completed | failed | timed_out | aborted
  std::string status = "pending";
  std::optional<std::string> current_step;
  int progress = 0;
  std::string context = "{}";  // JSON object
  std::string history = "[]";  // JSON array of {step, status, startedAt, finishedAt, error?}
  std::optional<std::string> awaiting_job;
  std::optional<std::string> wait_key;
  std::optional<TimePoint> wake_at;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> finished_at;

  bool finished() const { return status == "completed" || status == "failed" || status == "timed_out" || status == "aborted"; }
};

struct Notification {
  int64_t seq = 0;  // the SSE event id; assigned by the store
  std::string id;   // "ntf_…"
  std::string user_id;
  std::string type;  // cancellation.progress | .completed | .failed | .manual_required | system
  std::string title;
  std::string message;
  std::string priority = "normal";
  std::string data = "{}";  // JSON object
  TimePoint created_at;
};

struct EmailMessage {
  std::string id;  // "eml_…"
  std::string user_id;
  std::string recipient;
  std::string subject;
  std::string body;
  std::string status;  // "sent" | "outbox" | "failed"
  TimePoint created_at;
  std::optional<TimePoint> sent_at;
};

struct ProviderOutcome {
  std::string provider;
  std::string method;   // api | webhook | manual
  std::string outcome;  // succeeded | failed | timed_out
  int64_t duration_ms = 0;
  TimePoint at;
};

struct ProviderMethodStats {
  int64_t attempts = 0;
  int64_t succeeded = 0;
  int64_t median_duration_ms = 0;  // of successes; 0 without data
};

}  // namespace cancelflow::store
