// Job: the unit of background work, as stored by every JobQueue backend.
// Plain values; see job_queue.h for the rules that move a job between states.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow::queue {

// API names low=1 normal=2 high=3 urgent=4; higher runs first.
inline constexpr int kPriorityLow = 1;
inline constexpr int kPriorityNormal = 2;
inline constexpr int kPriorityHigh = 3;
inline constexpr int kPriorityUrgent = 4;
std::optional<int> ParsePriority(std::string_view name);
std::string_view PriorityName(int priority);

enum class JobState { kWaiting, kDelayed, kActive, kCompleted, kFailed };
std::string_view JobStateName(JobState s);
std::optional<JobState> ParseJobState(std::string_view name);

struct Job {
  std::string id;  // "job_…"
  std::string type;
  std::string payload;  // JSON text
  int priority = kPriorityNormal;
  JobState state = JobState::kWaiting;
  TimePoint run_at;
  int attempts = 0;  // attempts started so far
  int max_attempts = 3;
  std::optional<std::string> unique_key;
  std::optional<std::string> locked_by;
  std::optional<TimePoint> lease_until;
  std::optional<std::string> last_error;
  std::string errors = "[]";  // JSON array, one {attempt, class, code, message, at} per failed attempt
  TimePoint created_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
};

// What a producer asks for. Validation happens in JobQueue::Add.
struct NewJob {
  std::string type;
  std::string payload = "{}";
  int priority = kPriorityNormal;
  std::optional<TimePoint> run_at;  // unset: now
  std::optional<int> max_attempts;  // unset: the type's policy
  std::optional<std::string> unique_key;
};

// A processor's verdict on one claimed job.
struct JobResult {
  std::string job_id;
  Status status;  // OK, or an error whose class decides retry (core/status.h)
};

// Where a job went after Complete or lease recovery.
struct JobTransition {
  std::string job_id;
  std::string type;
  std::string payload;  // JSON text, so observers can tell what the job was for
  JobState state = JobState::kCompleted;  // kCompleted, kDelayed (retry), kWaiting (recovered), kFailed
  int attempts = 0;
  int max_attempts = 0;
  TimePoint run_at;                  // for kDelayed: when the retry runs
  std::optional<Millis> duration;    // processing time of the attempt, when known
  Status error;                      // the failure, if any
  bool lost = false;  // the caller no longer held the lease: nothing was changed
};

}  // namespace cancelflow::queue

namespace cancelflow::queue {

// Checks a NewJob against the rules every backend enforces: a type of 1..128
// printable characters, a JSON payload, priority 1..4, max_attempts 1..100.
// Errors are InvalidArgument naming the field.
Status ValidateNewJob(const NewJob& job);

// One entry of Job::errors, as JSON text.
std::string JobErrorJson(int attempt, const Status& error, TimePoint at);

}  // namespace cancelflow::queue
