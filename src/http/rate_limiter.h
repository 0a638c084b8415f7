// RateLimiter: a token bucket per key (the user id): `rps` tokens a second up
// to `burst`; a request takes one. Over the limit, the caller answers 429
// with Retry-After. rps ≤ 0 turns the limiter off. Thread-safe (sharded locks).
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace cancelflow::http {

class RateLimiter {
 public:
  RateLimiter(double rps, int burst, Clock& clock) : rps_(rps), burst_(burst), clock_(clock) {}

  // nullopt: allowed. Otherwise the whole seconds until a token is available (≥ 1).
  std::optional<int> Take(const std::string& key);

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;  // guarded by mu
  };
  const double rps_;
  const int burst_;
  Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace cancelflow::http
