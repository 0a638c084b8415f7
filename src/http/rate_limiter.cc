#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace cancelflow::http {

std::optional<int> RateLimiter::Take(const std::string& key) {
  if (rps_ <= 0) return std::nullopt;
  Shard& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
  const TimePoint now = clock_.Now();
  std::lock_guard lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{static_cast<double>(burst_), now});
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min<double>(burst_, b.tokens + std::max(0.0, elapsed) * rps_);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rps_)));
}

}  // namespace cancelflow::http
