#include "events/event.h"

#include <array>
#include <string_view>

namespace cancelflow::events {

std::string AuditResultOf(const Event& e) {
  if (const auto* r = e.data.if_contains("result"); r != nullptr && r->is_string()) {
    return std::string(r->as_string());
  }
  static constexpr std::array<std::string_view, 5> kFailureSuffixes = {".failed", ".rejected", ".timed_out",
                                                                       ".retrying", ".aborted"};
  const std::string_view type = e.type;
  for (std::string_view suffix : kFailureSuffixes) {
    if (type.size() >= suffix.size() && type.substr(type.size() - suffix.size()) == suffix) return "failure";
  }
  return "success";
}

}  // namespace cancelflow::events
