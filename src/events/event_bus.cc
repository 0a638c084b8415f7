#include "events/event_bus.h"

#include <future>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/ids.h"
#include "core/thread_name.h"
#include "events/glob.h"
#include "events/redactor.h"

namespace cancelflow::events {

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    Unsubscribe();
    bus_ = std::exchange(o.bus_, nullptr);
    id_ = o.id_;
  }
  return *this;
}

void EventBus::Subscription::Unsubscribe() {
  if (bus_ != nullptr) std::exchange(bus_, nullptr)->Unsubscribe(id_);
}

EventBus::EventBus(store::Store* audit, Clock& clock) : audit_(audit), clock_(clock) {}

EventBus::~EventBus() {
  std::list<std::shared_ptr<Waiter>> pending;
  {
    std::lock_guard lock(wait_mu_);
    stopping_ = true;
    pending.swap(waiters_);
  }
  wait_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : pending) w->finish(Cancelled("event bus stopped"));
}

Event EventBus::Publish(std::string type, std::string resource, boost::json::object data,
                        std::optional<std::string> user_id) {
  Event e;
  e.type = std::move(type);
  e.resource = std::move(resource);
  e.data = std::move(data);
  e.user_id = std::move(user_id);
  return Publish(std::move(e));
}

Event EventBus::Publish(Event e) {
  if (e.timestamp == TimePoint{}) e.timestamp = clock_.Now();
  if (e.id.empty()) e.id = NewId("evt", e.timestamp);
  published_.fetch_add(1, std::memory_order_relaxed);

  if (audit_ != nullptr) {
    store::AuditRecord rec;
    rec.id = e.id;
    rec.user_id = e.user_id;
    rec.action = e.type;
    rec.resource = e.resource;
    rec.result = AuditResultOf(e);
    rec.metadata = RedactedJson(e.data);
    rec.timestamp = e.timestamp;
    std::vector<store::AuditRecord> records;
    records.push_back(std::move(rec));
    audit_->AppendAudit(std::move(records));
  }

  std::vector<std::shared_ptr<Subscriber>> matching;
  {
    std::lock_guard lock(sub_mu_);
    for (const auto& s : subscribers_) {
      if (GlobMatch(s->pattern, e.type)) matching.push_back(s);
    }
  }
  for (const auto& s : matching) {
    if (s->active.load()) s->handler(e);
  }

  std::vector<std::shared_ptr<Waiter>> completed;
  {
    std::lock_guard lock(wait_mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if ((*it)->offer(e)) {
        completed.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : completed) w->finish(Status::Ok());
  return e;
}

EventBus::Subscription EventBus::Subscribe(std::string pattern, Handler handler) {
  std::lock_guard lock(sub_mu_);
  const uint64_t id = next_id_++;
  auto s = std::make_shared<Subscriber>();
  s->id = id;
  s->pattern = std::move(pattern);
  s->handler = std::move(handler);
  subscribers_.push_back(std::move(s));
  return Subscription(this, id);
}

void EventBus::Unsubscribe(uint64_t id) {
  std::lock_guard lock(sub_mu_);
  std::erase_if(subscribers_, [&](const std::shared_ptr<Subscriber>& s) {
    if (s->id != id) return false;
    s->active.store(false);
    return true;
  });
}

size_t EventBus::subscriber_count() const {
  std::lock_guard lock(sub_mu_);
  return subscribers_.size();
}

void EventBus::AddWaiter(std::shared_ptr<Waiter> w) {
  {
    std::lock_guard lock(wait_mu_);
    if (!stopping_) {
      waiters_.push_back(std::move(w));
      wait_cv_.notify_all();
      return;
    }
  }
  w->finish(Cancelled("event bus stopped"));
}

void EventBus::WaitForEvent(std::string pattern, Predicate predicate, Millis timeout,
                            std::function<void(Result<Event>)> done) {
  auto w = std::make_shared<Waiter>();
  auto found = std::make_shared<std::optional<Event>>();
  w->deadline = clock_.Now() + timeout;
  w->offer = [pattern = std::move(pattern), predicate = std::move(predicate), found](const Event& e) {
    if (!GlobMatch(pattern, e.type) || (predicate && !predicate(e))) return false;
    *found = e;
    return true;
  };
  w->finish = [found, done = std::move(done), timeout](const Status& s) {
    if (!s.ok()) {
      done(s.code() == Code::kDeadlineExceeded
               ? Status(DeadlineExceeded(fmt::format("no matching event within {} ms", timeout.count())))
               : s);
    } else {
      done(std::move(**found));
    }
  };
  AddWaiter(std::move(w));
}

Result<Event> EventBus::WaitForEvent(std::string pattern, Predicate predicate, Millis timeout) {
  std::promise<Result<Event>> p;
  auto f = p.get_future();
  WaitForEvent(std::move(pattern), std::move(predicate), timeout, [&p](Result<Event> r) { p.set_value(std::move(r)); });
  return f.get();
}

void EventBus::Sequence(std::vector<std::string> patterns, Millis timeout,
                        std::function<void(Result<std::vector<Event>>)> done) {
  if (patterns.empty()) {
    done(std::vector<Event>{});
    return;
  }
  auto w = std::make_shared<Waiter>();
  auto seen = std::make_shared<std::vector<Event>>();
  const size_t n = patterns.size();
  w->deadline = clock_.Now() + timeout;
  w->offer = [patterns = std::move(patterns), seen](const Event& e) {
    if (GlobMatch(patterns[seen->size()], e.type)) seen->push_back(e);
    return seen->size() == patterns.size();
  };
  w->finish = [seen, n, done = std::move(done)](const Status& s) {
    if (!s.ok()) {
      done(s.code() == Code::kDeadlineExceeded
               ? Status(DeadlineExceeded(fmt::format("sequence incomplete: {} of {} events", seen->size(), n)))
               : s);
    } else {
      done(std::move(*seen));
    }
  };
  AddWaiter(std::move(w));
}

Result<std::vector<Event>> EventBus::Sequence(std::vector<std::string> patterns, Millis timeout) {
  std::promise<Result<std::vector<Event>>> p;
  auto f = p.get_future();
  Sequence(std::move(patterns), timeout, [&p](Result<std::vector<Event>> r) { p.set_value(std::move(r)); });
  return f.get();
}

void EventBus::ExpireWaiters() {
  std::vector<std::shared_ptr<Waiter>> expired;
  {
    std::lock_guard lock(wait_mu_);
    const TimePoint now = clock_.Now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if ((*it)->deadline <= now) {
        expired.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : expired) w->finish(DeadlineExceeded("timeout"));
}

void EventBus::StartTimer() {
  if (timer_.joinable()) return;
  timer_ = std::thread([this] {
    NameThisThread("event-timer");
    TimerLoop();
  });
}

void EventBus::TimerLoop() {
  std::unique_lock lock(wait_mu_);
  while (!stopping_) {
    std::optional<TimePoint> earliest;
    for (const auto& w : waiters_) {
      if (!earliest || w->deadline < *earliest) earliest = w->deadline;
    }
    if (!earliest) {
      wait_cv_.wait(lock);
      continue;
    }
    const auto delay = *earliest - clock_.Now();
    if (delay > Millis(0)) {
      wait_cv_.wait_for(lock, delay);
      continue;
    }
    lock.unlock();
    ExpireWaiters();
    lock.lock();
  }
}

}  // namespace cancelflow::events
