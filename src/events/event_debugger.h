// EventDebugger: logs every event on the bus (type, resource, redacted data)
// at debug level. On in development (CANCELFLOW_ENV=development); it lives as
// long as the object.
#pragma once

#include "events/event_bus.h"

namespace cancelflow::events {

class EventDebugger {
 public:
  explicit EventDebugger(EventBus& bus);

 private:
  EventBus::Subscription subscription_;
};

}  // namespace cancelflow::events
