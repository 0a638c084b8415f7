#include "core/json_util.h"

#include <boost/json.hpp>

namespace cancelflow {

std::string StringMember(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

boost::json::object ErrorJson(const Status& s) {
  return {{"code", CodeName(s.code())}, {"class", ErrorClassName(s.error_class())}, {"message", s.message()}};
}

}  // namespace cancelflow
