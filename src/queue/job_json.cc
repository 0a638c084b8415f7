#include "queue/job_json.h"

#include <boost/json.hpp>

namespace cancelflow::queue {
namespace {

boost::json::value ParseOr(const std::string& text, boost::json::value fallback) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? fallback : v;
}

boost::json::value OptionalTime(const std::optional<TimePoint>& t) {
  return t ? boost::json::value(FormatRfc3339(*t)) : boost::json::value(nullptr);
}

}  // namespace

boost::json::object JobToJson(const Job& j) {
  return {
      {"id", j.id},
      {"type", j.type},
      {"state", JobStateName(j.state)},
      {"priority", j.priority},
      {"payload", ParseOr(j.payload, boost::json::object{})},
      {"runAt", FormatRfc3339(j.run_at)},
      {"attempts", j.attempts},
      {"maxAttempts", j.max_attempts},
      {"uniqueKey", j.unique_key ? boost::json::value(*j.unique_key) : boost::json::value(nullptr)},
      {"lastError", j.last_error ? boost::json::value(*j.last_error) : boost::json::value(nullptr)},
      {"errors", ParseOr(j.errors, boost::json::array{})},
      {"createdAt", FormatRfc3339(j.created_at)},
      {"startedAt", OptionalTime(j.started_at)},
      {"finishedAt", OptionalTime(j.finished_at)},
  };
}

boost::json::object StatsToJson(const QueueStats& s) {
  boost::json::object by_type;
  for (const auto& [type, t] : s.by_type) {
    by_type[type] = {{"waiting", t.waiting}, {"delayed", t.delayed}, {"active", t.active},
                     {"completed", t.completed}, {"failed", t.failed}, {"p50Ms", t.p50_ms},
                     {"p99Ms", t.p99_ms}};
  }
  boost::json::array paused;
  for (const auto& p : s.paused_types) paused.emplace_back(p);
  return {
      {"waiting", s.waiting},
      {"delayed", s.delayed},
      {"active", s.active},
      {"completed", s.completed},
      {"failed", s.failed},
      {"byType", std::move(by_type)},
      {"throughput", {{"completedPerMinute", s.completed_last_minute}, {"failedPerMinute", s.failed_last_minute}}},
      {"oldestWaitingMs", s.oldest_waiting_ms},
      {"p50Ms", s.p50_ms},
      {"p99Ms", s.p99_ms},
      {"pausedTypes", std::move(paused)},
  };
}

}  // namespace cancelflow::queue
