#include "realtime/hub.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "core/ids.h"
#include "core/thread_name.h"

namespace cancelflow::realtime {

class Hub::Stream {
 public:
  ConnectionInfo info;
  std::shared_ptr<Sink> sink;  // null while reserved
  int64_t last_seq = 0;        // the newest notification this stream has had
  // Notifications published while the stream was reserved.
  std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> kept;
};

struct Hub::UserStreams {
  std::vector<std::shared_ptr<Stream>> streams;
  int64_t last_delivered = 0;
};

Hub::Hub(HubOptions options, Clock& clock)
    : options_(options), clock_(clock), shards_(std::make_unique<Shard[]>(kShards)) {}

Hub::~Hub() { Stop(); }

void Hub::Start() {
  sweeper_ = std::thread([this] {
    NameThisThread("sse-sweeper");
    std::unique_lock lock(sweep_mu_);
    while (!stopping_) {
      sweep_cv_.wait_for(lock, options_.keepalive_interval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      Sweep();
      lock.lock();
    }
  });
}

void Hub::Stop() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

Hub::Shard& Hub::ShardOf(const std::string& user_id) const {
  return shards_[std::hash<std::string>{}(user_id) % kShards];
}

std::string Hub::Format(int64_t seq, const std::string& json) {
  return fmt::format("id: {}\ndata: {}\n\n", seq, json);
}

Result<std::shared_ptr<Hub::Stream>> Hub::Reserve(const std::string& user_id, int64_t after_seq) {
  auto stream = std::make_shared<Stream>();
  const TimePoint now = clock_.Now();
  stream->info = {NewId("sse", now), user_id, now, now};
  stream->last_seq = after_seq;
  Shard& shard = ShardOf(user_id);
  std::lock_guard lock(shard.mu);
  auto& user = shard.users[user_id];
  if (static_cast<int>(user.streams.size()) >= options_.max_connections_per_user) {
    return ResourceExhausted(
        fmt::format("at most {} realtime connections per user", options_.max_connections_per_user));
  }
  user.streams.push_back(stream);
  connections_.fetch_add(1);
  return stream;
}

void Hub::Activate(const std::shared_ptr<Stream>& stream, int64_t replayed_seq,
                   std::shared_ptr<Sink> sink) {
  Shard& shard = ShardOf(stream->info.user_id);
  std::lock_guard lock(shard.mu);
  stream->sink = std::move(sink);
  stream->last_seq = std::max(stream->last_seq, replayed_seq);
  auto kept = std::move(stream->kept);
  const TimePoint now = clock_.Now();
  for (const auto& [seq, chunk] : kept) Deliver(*stream, seq, chunk, now);
}

void Hub::Remove(const std::shared_ptr<Stream>& stream) {
  Shard& shard = ShardOf(stream->info.user_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.users.find(stream->info.user_id);
  if (it == shard.users.end()) return;
  auto& streams = it->second.streams;
  auto pos = std::find(streams.begin(), streams.end(), stream);
  if (pos == streams.end()) return;
  streams.erase(pos);
  connections_.fetch_sub(1);
  if (streams.empty() && it->second.last_delivered == 0) shard.users.erase(it);
}

// Called with the stream's shard locked.
void Hub::Deliver(Stream& s, int64_t seq, const std::shared_ptr<const std::string>& chunk,
                  TimePoint now) {
  if (seq <= s.last_seq || !s.sink) return;
  if (!s.sink->Send(chunk)) {
    // A slow reader: close it (the client resumes with Last-Event-ID); the
    // connection's end removes the stream.
    s.sink->Close();
    s.sink.reset();
    dropped_.fetch_add(1);
    return;
  }
  s.last_seq = seq;
  s.info.last_activity = now;
}

void Hub::Publish(const std::string& user_id, int64_t seq, const std::string& json) {
  auto chunk = std::make_shared<const std::string>(Format(seq, json));
  Shard& shard = ShardOf(user_id);
  const TimePoint now = clock_.Now();
  int64_t sent = 0;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.users.find(user_id);
    if (it == shard.users.end()) return;
    for (const auto& s : it->second.streams) {
      if (!s->sink) {
        if (seq > s->last_seq) s->kept.emplace_back(seq, chunk);
        continue;
      }
      const int64_t before = s->last_seq;
      Deliver(*s, seq, chunk, now);
      if (s->last_seq != before) ++sent;
    }
    if (sent > 0) it->second.last_delivered = std::max(it->second.last_delivered, seq);
  }
  CountSent(sent);
}

void Hub::CountSent(int64_t n) {
  if (n == 0) return;
  sent_total_.fetch_add(n);
  const int64_t second = ToUnixMillis(clock_.Now()) / 1000;
  std::lock_guard lock(rate_mu_);
  const size_t slot = static_cast<size_t>(second % 60);
  if (second_of_[slot] != second) {
    second_of_[slot] = second;
    per_second_[slot] = 0;
  }
  per_second_[slot] += n;
}

void Hub::Sweep() {
  static const auto kKeepalive = std::make_shared<const std::string>(": keepalive\n\n");
  const TimePoint now = clock_.Now();
  for (int i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    for (auto& [user, streams] : shards_[i].users) {
      for (const auto& s : streams.streams) {
        if (!s->sink) continue;
        if (now - s->info.last_activity >= options_.idle_timeout || !s->sink->Send(kKeepalive)) {
          s->sink->Close();  // the connection's end removes the stream
          s->sink.reset();
        }
      }
    }
  }
}

HubStats Hub::Stats() const {
  HubStats st;
  for (int i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    for (const auto& [user, streams] : shards_[i].users) {
      if (streams.streams.empty()) continue;
      st.by_user[user] = static_cast<int64_t>(streams.streams.size());
      st.connections += static_cast<int64_t>(streams.streams.size());
    }
  }
  st.users = static_cast<int64_t>(st.by_user.size());
  st.dropped_slow_consumers = dropped_.load();
  st.sent_total = sent_total_.load();
  const int64_t now_second = ToUnixMillis(clock_.Now()) / 1000;
  std::lock_guard lock(rate_mu_);
  for (size_t i = 0; i < 60; ++i) {
    if (now_second - second_of_[i] < 60) st.sent_last_minute += per_second_[i];
  }
  return st;
}

std::vector<ConnectionInfo> Hub::Connections(const std::string& user_id) const {
  Shard& shard = ShardOf(user_id);
  std::lock_guard lock(shard.mu);
  std::vector<ConnectionInfo> out;
  auto it = shard.users.find(user_id);
  if (it == shard.users.end()) return out;
  for (const auto& s : it->second.streams) out.push_back(s->info);
  return out;
}

int64_t Hub::LastDelivered(const std::string& user_id) const {
  Shard& shard = ShardOf(user_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.users.find(user_id);
  return it == shard.users.end() ? 0 : it->second.last_delivered;
}

}  // namespace cancelflow::realtime
