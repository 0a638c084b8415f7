// Hub: the registry of open SSE streams and the per-user fan-out of
// notifications (DESIGN.md, "Realtime"; API.md, "Realtime notifications").
//
// A notification is formatted once ("id: <seq>\ndata: <json>\n\n") into a
// shared immutable buffer and handed to each of its user's streams. Several
// streams per user (tabs) up to `max_connections_per_user`; each stream
// delivers every notification at most once, in seq order: a stream opens
// *reserved* (notifications are kept for it while its replay from history is
// read), then becomes live and receives the kept ones newer than its replay.
// A stream whose sink refuses a chunk (its bounded buffer overflowed: a slow
// reader) is closed and counted; the others are not slowed. One sweep thread
// sends the keepalive comment to every stream and closes streams idle longer
// than `idle_timeout` (no notification sent): no timer per connection.
//
// Thread-safe. Sinks are called with no Hub lock held except the stream's
// user shard, and must not block.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "realtime/sink.h"

namespace cancelflow::realtime {

struct HubOptions {
  Millis keepalive_interval{30'000};
  Millis idle_timeout{1'800'000};
  int max_connections_per_user = 5;
};

struct ConnectionInfo {
  std::string id;  // "sse_…"
  std::string user_id;
  TimePoint connected_at;
  TimePoint last_activity;
};

struct HubStats {
  int64_t connections = 0;
  int64_t users = 0;
  std::map<std::string, int64_t> by_user;
  int64_t sent_last_minute = 0;
  int64_t dropped_slow_consumers = 0;
  int64_t sent_total = 0;
};

class Hub {
 public:
  class Stream;

  Hub(HubOptions options, Clock& clock);
  ~Hub();  // stops the sweep thread

  // Starts the keepalive/idle sweep thread.
  void Start();
  void Stop();

  // Reserves a stream for `user_id`: ResourceExhausted over the per-user limit.
  // `after_seq` is what the client has seen (Last-Event-ID; 0 for nothing).
  Result<std::shared_ptr<Stream>> Reserve(const std::string& user_id, int64_t after_seq);
  // The stream replayed history up to `replayed_seq` (≥ after_seq) and is now
  // live on `sink`: notifications kept meanwhile that are newer go out now.
  void Activate(const std::shared_ptr<Stream>& stream, int64_t replayed_seq,
                std::shared_ptr<Sink> sink);
  // The connection ended (or never started): forget the stream.
  void Remove(const std::shared_ptr<Stream>& stream);

  // Sends a notification (its SSE id and its JSON) to every stream of the user.
  void Publish(const std::string& user_id, int64_t seq, const std::string& json);

  // "id: <seq>\ndata: <json>\n\n".
  static std::string Format(int64_t seq, const std::string& json);

  HubStats Stats() const;
  std::vector<ConnectionInfo> Connections(const std::string& user_id) const;
  // The newest seq delivered to any stream of the user in this process, or 0.
  int64_t LastDelivered(const std::string& user_id) const;
  int64_t connections() const { return connections_.load(); }

  // One sweep now (tests; the thread calls it every keepalive interval).
  void Sweep();

 private:
  struct UserStreams;
  struct Shard {
    mutable std::mutex mu;
    std::map<std::string, UserStreams> users;  // guarded by mu
  };
  Shard& ShardOf(const std::string& user_id) const;
  void CountSent(int64_t n);
  void Deliver(Stream& s, int64_t seq, const std::shared_ptr<const std::string>& chunk,
               TimePoint now);

  HubOptions options_;
  Clock& clock_;
  static constexpr int kShards = 16;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> sent_total_{0};
  // Per-second send counts of the last minute, for sentLastMinute.
  mutable std::mutex rate_mu_;
  std::array<int64_t, 60> per_second_{};  // guarded by rate_mu_
  std::array<int64_t, 60> second_of_{};   // guarded by rate_mu_: which unix second each slot holds

  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // guarded by sweep_mu_
  std::thread sweeper_;
};

}  // namespace cancelflow::realtime
