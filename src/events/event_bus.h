// EventBus: typed publish/subscribe inside one process, with glob
// subscriptions, waiting for an event (or a sequence of them) with a timeout,
// and an audit trail: every published event is appended to the store's audit
// log, secrets redacted (events/redactor.h), before subscribers see it.
//
// Delivery is synchronous on the publishing thread: Publish copies the
// matching subscribers under the lock and calls them after releasing it (the
// Beast chat-multi pattern), so a handler may publish or subscribe. Handlers
// must be quick; slow consumers queue the event and return.
//
// Timeouts are measured on the injected Clock. In production StartTimer() runs
// a thread that expires waiters when their deadline passes; tests with a
// FakeClock call ExpireWaiters() after advancing it.
//
// Thread-safety: every method may be called from any thread.
//
// Invariants:
//  1. A waiter completes exactly once: with its event(s), or DeadlineExceeded,
//     or Cancelled when the bus is destroyed.
//  2. After Unsubscribe returns (or the Subscription is destroyed) no new call
//     of the handler starts; one already running may finish.
//  3. The audit record of an event is queued before any handler sees it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "events/event.h"
#include "store/store.h"

namespace cancelflow::events {

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;
  using Predicate = std::function<bool(const Event&)>;

  // RAII handle of a subscription; unsubscribes when destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& o) noexcept : bus_(std::exchange(o.bus_, nullptr)), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription() { Unsubscribe(); }
    void Unsubscribe();

   private:
    EventBus* bus_ = nullptr;
    uint64_t id_ = 0;
  };

  // `audit` may be null (no audit trail, e.g. in benchmarks); not owned.
  EventBus(store::Store* audit, Clock& clock);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Assigns id and timestamp when missing, audits, delivers. Returns the event as delivered.
  Event Publish(Event event);
  Event Publish(std::string type, std::string resource, boost::json::object data,
                std::optional<std::string> user_id = std::nullopt);

  [[nodiscard]] Subscription Subscribe(std::string pattern, Handler handler);

  // Calls `done` once: with the first later event matching pattern and
  // predicate (null: any), or DeadlineExceeded after `timeout`.
  void WaitForEvent(std::string pattern, Predicate predicate, Millis timeout,
                    std::function<void(Result<Event>)> done);
  // Blocking form of the above.
  Result<Event> WaitForEvent(std::string pattern, Predicate predicate, Millis timeout);

  // Calls `done` once: with events matching the patterns in this order (other
  // events in between are ignored), or DeadlineExceeded if they do not all
  // arrive within `timeout`.
  void Sequence(std::vector<std::string> patterns, Millis timeout,
                std::function<void(Result<std::vector<Event>>)> done);
  Result<std::vector<Event>> Sequence(std::vector<std::string> patterns, Millis timeout);

  // Completes with DeadlineExceeded every waiter whose deadline has passed.
  void ExpireWaiters();
  // Starts the thread that calls ExpireWaiters when a deadline passes.
  void StartTimer();

  uint64_t published() const { return published_.load(std::memory_order_relaxed); }
  size_t subscriber_count() const;

 private:
  struct Subscriber {
    uint64_t id;
    std::string pattern;
    Handler handler;
    std::atomic<bool> active{true};
  };
  struct Waiter {
    TimePoint deadline;
    // Consumes an event; true when the waiter is complete. Called under wait_mu_.
    std::function<bool(const Event&)> offer;
    // Called exactly once, outside any lock, with OK (completed) or the error.
    std::function<void(const Status&)> finish;
  };

  void Unsubscribe(uint64_t id);
  void AddWaiter(std::shared_ptr<Waiter> w);
  void TimerLoop();

  store::Store* audit_;
  Clock& clock_;
  std::atomic<uint64_t> published_{0};

  mutable std::mutex sub_mu_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;  // guarded by sub_mu_
  uint64_t next_id_ = 1;                                  // guarded by sub_mu_

  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::list<std::shared_ptr<Waiter>> waiters_;  // guarded by wait_mu_
  bool stopping_ = false;                       // guarded by wait_mu_
  std::thread timer_;
};

}  // namespace cancelflow::events
