// Notifier: stores a user notification (the SSE history; its seq is the SSE id)
// and announces it on the bus as notification.sent, whose data is the
// notification as API.md streams it; the realtime module forwards it to the
// user's open streams. Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "core/clock.h"
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
  // their own record: the record to store, then the announcement of the stored one.
  store::Notification Make(const std::string& user_id, const std::string& type,
                           const std::string& title, const std::string& message,
                           const std::string& priority, const boost::json::object& data) const;
  void Announce(const store::Notification& stored);

  // The notification as the SSE stream sends it (API.md, "Realtime notifications").
  static boost::json::object ToJson(const store::Notification& n);

 private:
  store::Store& store_;
  events::EventBus& bus_;
  Clock& clock_;
};

}  // namespace cancelflow::cancellation
