// Small JSON helpers every module uses with Boost.JSON: reading an optional
// member, and the one JSON form of an error. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/status.h"

namespace cancelflow {

// The member's string value, or "" when it is absent or not a string.
std::string StringMember(const boost::json::object& o, std::string_view key);

// {"code": "UNAVAILABLE", "class": "temporary", "message": "…"}: how errors
// appear in job errors, events and workflow history.
boost::json::object ErrorJson(const Status& s);

}  // namespace cancelflow
