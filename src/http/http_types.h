// Plain request and response values for handlers, so that handler code never
// sees Boost.Beast (which stays inside server.cc).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cancelflow::http {

struct Request {
  std::string method;  // "GET", "POST", …
  std::string target;  // as sent: path and query
  std::string path;    // without the query
  std::string query;   // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address

  // The header's value, or "" when absent; `name` in lower case.
  const std::string& Header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// {"error": {"code", "message", "details"?}} as API.md says.
Response JsonError(int status, const std::string& code, const std::string& message,
                   const std::string& details_json = "");

}  // namespace cancelflow::http
