// Event: one thing that happened, as the event bus carries it and the audit log
// keeps it. Type names are part of the contract (DESIGN.md, "Events"):
// cancellation.requested … notification.sent.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "core/clock.h"

namespace cancelflow::events {

struct Event {
  std::string id;  // "evt_…", assigned by Publish when empty
  std::string type;
  TimePoint timestamp;  // assigned by Publish when zero
  std::optional<std::string> user_id;
  std::string resource;  // id of what it is about ("req_…", "job_…", "wf_…")
  boost::json::object data;
};

// "failure" for types that report one (…failed, …rejected, …timed_out,
// …retrying, …aborted) unless data.result says otherwise; else "success".
std::string AuditResultOf(const Event& e);

}  // namespace cancelflow::events
