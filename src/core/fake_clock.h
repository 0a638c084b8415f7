// FakeClock: a Clock that moves only when told to. For tests.
// Thread-safe: Now() may be read while another thread calls Advance().
#pragma once

#include <atomic>

#include "core/clock.h"

namespace cancelflow {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = FromUnixMillis(1'800'000'000'000)) : now_(ToUnixMillis(start)) {}

  TimePoint Now() const override { return FromUnixMillis(now_.load()); }
  void Advance(Millis d) { now_.fetch_add(d.count()); }
  void Set(TimePoint t) { now_.store(ToUnixMillis(t)); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace cancelflow
