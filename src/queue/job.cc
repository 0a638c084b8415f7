#include "queue/job.h"

namespace cancelflow::queue {

std::optional<int> ParsePriority(std::string_view name) {
  if (name == "low") return kPriorityLow;
  if (name == "normal") return kPriorityNormal;
  if (name == "high") return kPriorityHigh;
  if (name == "urgent") return kPriorityUrgent;
  return std::nullopt;
}

std::string_view PriorityName(int priority) {
  switch (priority) {
    case kPriorityLow: return "low";
    case kPriorityHigh: return "high";
    case kPriorityUrgent: return "urgent";
    default: return "normal";
  }
}

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kWaiting: return "waiting";
    case JobState::kDelayed: return "delayed";
    case JobState::kActive: return "active";
    case JobState::kCompleted: return "completed";
    case JobState::kFailed: return "failed";
  }
  return "waiting";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kWaiting, JobState::kDelayed, JobState::kActive, JobState::kCompleted,
                     JobState::kFailed}) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace cancelflow::queue

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json_util.h"

namespace cancelflow::queue {

Status ValidateNewJob(const NewJob& job) {
  if (job.type.empty() || job.type.size() > 128) return InvalidArgument("type: must be 1 to 128 characters");
  for (unsigned char c : job.type) {
    if (c <= 0x20 || c >= 0x7f) return InvalidArgument(fmt::format("type: invalid character in {:?}", job.type));
  }
  boost::system::error_code ec;
  boost::json::parse(job.payload, ec);
  if (ec) return InvalidArgument(fmt::format("payload: not valid JSON ({})", ec.message()));
  if (job.priority < kPriorityLow || job.priority > kPriorityUrgent) {
    return InvalidArgument(fmt::format("priority: {} is not between 1 and 4", job.priority));
  }
  if (job.max_attempts && (*job.max_attempts < 1 || *job.max_attempts > 100)) {
    return InvalidArgument(fmt::format("max_attempts: {} is not between 1 and 100", *job.max_attempts));
  }
  return Status::Ok();
}

std::string JobErrorJson(int attempt, const Status& error, TimePoint at) {
  boost::json::object entry = ErrorJson(error);
  entry["attempt"] = attempt;
  entry["at"] = FormatRfc3339(at);
  return boost::json::serialize(entry);
}

}  // namespace cancelflow::queue
