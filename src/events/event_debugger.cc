#include "events/event_debugger.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "events/redactor.h"

namespace cancelflow::events {

EventDebugger::EventDebugger(EventBus& bus)
    : subscription_(bus.Subscribe("*", [](const Event& e) {
        spdlog::debug("event {} {} resource={} user={} data={}", e.type, e.id, e.resource,
                      e.user_id.value_or("-"),
                      RedactedJson(e.data));
      })) {}

}  // namespace cancelflow::events
