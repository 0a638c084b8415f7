// Plain request and response values for handlers, so that handler code never
// sees Boost.Beast (which stays inside server.cc).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cancelflow::realtime {
class Sink;
}

namespace cancelflow::http {

struct Request {
  std::string method;                          // "GET", "POST", …
  std::string target;                          // as sent: path and query
  std::string path;                            // without the query
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address

  // The header's value, or "" when absent; `name` in lower case.
  const std::string& Header(const std::string& name) const;
};

// A response that stays open after its body (Server-Sent Events): the server
// writes the head (no length; the stream ends when the connection closes) and
// the body, then hands the connection to `open` as a sink. `closed` runs once
// when the connection ends, also when it never opened.
struct Streaming {
  std::function<void(std::shared_ptr<realtime::Sink>)> open;
  std::function<void()> closed;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<Streaming> stream;  // set: an event stream (see Streaming)
};

// {"error": {"code", "message", "details"?}} as API.md says.
Response JsonError(int status, const std::string& code, const std::string& message,
                   const std::string& details_json = "");

}  // namespace cancelflow::http
