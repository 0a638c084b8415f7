// Notifier: stores a user notification (the SSE history; its seq is the SSE id)
// and announces it on the bus as notification.sent, whose data is the
// notification as API.md streams it; the realtime module forwards it to the
// user's open streams.
//
// Announcements go out in the order of the notifications' seq, from one
// announcer thread fed in commit order (WriteSet::OnCommit): a live stream
// sends each id once and in increasing order, so a notification announced
// after one with a higher seq would never reach it (measured before: under
// 1,000 cancellations/s, a quarter of the completion notifications never
// reached the user's open stream). Thread-safe; the destructor announces what
// is committed and waits for it.
#pragma once

#include <boost/json/object.hpp>

#include "core/clock.h"
#include "core/serial_executor.h"
#include "events/event_bus.h"
#include "store/store.h"

namespace cancelflow::cancellation {

class Notifier {
 public:
  Notifier(store::Store& store, events::EventBus& bus, Clock& clock)
      : store_(store), bus_(bus), clock_(clock) {}

  Result<store::Notification> Send(const std::string& user_id, const std::string& type,
                                   const std::string& title, const std::string& message,
                                   const std::string& priority, boost::json::object data);

  // Send in two halves, for callers that store the notification together with
  // their own record: the record to store, then — from an OnCommit action of
  // the set that stored it — the announcement of the stored one (seq set).
  store::Notification Make(const std::string& user_id, const std::string& type,
                           const std::string& title, const std::string& message,
                           const std::string& priority, const boost::json::object& data) const;
  void AnnounceInOrder(const store::Notification& stored);

  // Returns once everything handed to AnnounceInOrder before has been announced.
  void Drain() { announcer_.Drain(); }

  // The notification as the SSE stream sends it (API.md, "Realtime notifications").
  static boost::json::object ToJson(const store::Notification& n);

 private:
  void Announce(const store::Notification& stored);

  store::Store& store_;
  events::EventBus& bus_;
  Clock& clock_;
  SerialExecutor announcer_{"announcer"};  // last: stops before what it uses
};

}  // namespace cancelflow::cancellation
