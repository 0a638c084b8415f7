#include "queue/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace cancelflow::queue {

Millis RetryPolicy::BaseBackoff(int attempt) const {
  const int doublings = std::clamp(attempt - 1, 0, 62);
  // Doubling stops as soon as it passes the cap, so this never overflows.
  int64_t delay = initial_backoff.count();
  for (int i = 0; i < doublings && delay < max_backoff.count(); ++i) delay *= 2;
  return Millis(std::min(delay, max_backoff.count()));
}

Millis RetryPolicy::Backoff(int attempt, double unit) const {
  const double base = static_cast<double>(BaseBackoff(attempt).count());
  const double factor = 1.0 + jitter * (2.0 * unit - 1.0);
  return Millis(std::max<int64_t>(0, std::llround(base * factor)));
}

}  // namespace cancelflow::queue
