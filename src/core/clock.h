// Clock: the one source of "now" for code whose behaviour depends on time
// (leases, backoff, delayed jobs, event timeouts), so tests can inject a
// FakeClock (core/fake_clock.h) instead of sleeping.
//
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <cstdint>
#include <string>

namespace cancelflow {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Wall-clock time, millisecond resolution.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  // A process-wide instance.
  static SystemClock& Get();
};

inline int64_t ToUnixMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(Millis(ms)); }

// RFC 3339 UTC with milliseconds: "2026-12-04T15:00:00.000Z".
std::string FormatRfc3339(TimePoint t);
// Parses RFC 3339 with a date, a time, optional fractional seconds and a zone
// ("Z" or ±hh:mm): "2026-12-04T15:00:00Z", "2026-12-04T16:00:00.5+01:00".
std::optional<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace cancelflow
