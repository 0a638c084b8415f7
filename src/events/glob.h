// Glob patterns for event types: `*` matches any run of characters (dots
// included), `?` one character; everything else matches itself.
// "cancellation.*" matches "cancellation.completed"; "*" matches everything.
#pragma once

#include <string_view>

namespace cancelflow::events {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace cancelflow::events
