// RetryPolicy: how many times a job type is attempted and how long to wait
// between attempts. After attempt n fails temporarily, the job waits
// min(initial · 2^(n-1), max) and then ± jitter of that (DESIGN.md: 1 s, 2 s,
// 4 s … capped at 5 min, ±20 %). Plain value; thread-compatible.
#pragma once

#include "core/clock.h"

namespace cancelflow::queue {

struct RetryPolicy {
  int max_attempts = 3;
  Millis initial_backoff{1000};
  Millis max_backoff{300'000};
  double jitter = 0.2;  // fraction, 0 ≤ jitter < 1

  // The delay after failed attempt `attempt` (1-based), before jitter.
  Millis BaseBackoff(int attempt) const;
  // The delay with jitter; `unit` is a uniform random number in [0, 1).
  Millis Backoff(int attempt, double unit) const;
};

}  // namespace cancelflow::queue
