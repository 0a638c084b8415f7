#include "http/http_types.h"

#include <boost/json.hpp>

namespace cancelflow::http {

const std::string& Request::Header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

Response JsonError(int status, const std::string& code, const std::string& message,
                   const std::string& details_json) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (!details_json.empty()) {
    boost::system::error_code ec;
    auto details = boost::json::parse(details_json, ec);
    if (!ec) error["details"] = details;
  }
  Response r;
  r.status = status;
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  return r;
}

}  // namespace cancelflow::http
