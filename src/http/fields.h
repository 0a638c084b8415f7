// Fields: reads and validates a JSON request body or query string into typed
// values at the edge (API.md, "Errors"). Each accessor names a field as known;
// a missing required field, a wrong type or a bad value records an error for
// that field, and Finish() also rejects any field nobody asked for. Only the
// first error is kept: the details name one field, as API.md says.
//
// The error is InvalidArgument with reason() = the field's name; ErrorResponse
// turns it into 400 {"error": {"code": "invalid_request", "details": {field, reason}}}.
// Not thread-safe; one per request.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/http_types.h"

namespace cancelflow::http {

// The body as a JSON object: 415 unless Content-Type is application/json,
// 400 (field "body") unless it parses to an object.
Result<boost::json::object> ParseJsonBody(const Request& req);

// Status → the JSON error response of API.md: InvalidArgument 400 (details
// name reason() as the field), Unauthenticated 401, PermissionDenied 403,
// NotFound 404, AlreadyExists/Aborted 409 (code "already_in_progress" or
// "conflict" from reason()), FailedPrecondition 422 for "idempotency_mismatch",
// ResourceExhausted 429, Unavailable 503, anything else 500 without details.
Response ErrorResponse(const Status& s);
// The error code API.md gives to `s` ("invalid_request", "not_found", …) and its HTTP status.
std::pair<int, std::string> HttpErrorOf(const Status& s);

Status FieldError(std::string_view field, std::string_view reason);

class Fields {
 public:
  // `prefix` names a nested object in errors ("notificationPreferences." → "notificationPreferences.email").
  explicit Fields(const boost::json::object& object, std::string prefix = "")
      : object_(object), prefix_(std::move(prefix)) {}

  std::optional<std::string> String(std::string_view name, size_t max_length = 1024);
  std::string RequiredString(std::string_view name, size_t max_length = 1024);
  std::optional<std::string> Enum(std::string_view name,
                                  std::initializer_list<std::string_view> allowed);
  std::optional<bool> Bool(std::string_view name);
  std::optional<double> Number(std::string_view name);
  std::optional<TimePoint> Time(std::string_view name);
  const boost::json::object* Object(std::string_view name);
  const boost::json::array* Array(std::string_view name);
  // A field that may hold anything (free-form data).
  const boost::json::value* Any(std::string_view name);

  // The first error, or an error naming the first unknown field.
  Status Finish();
  bool failed() const { return !error_.ok(); }

 private:
  const boost::json::value* Find(std::string_view name);
  // The present member when it has the type `is` checks; else records `reason`.
  const boost::json::value* Typed(std::string_view name, bool (boost::json::value::*is)() const noexcept,
                                  std::string_view reason);
  void Fail(std::string_view name, std::string_view reason);

  const boost::json::object& object_;
  const std::string prefix_;
  std::set<std::string, std::less<>> known_;
  Status error_;
};

// Query-string values (undecoded `query` from Request): the same rules, for
// GET parameters. Unknown parameters are rejected by Finish().
class QueryFields {
 public:
  explicit QueryFields(std::string_view query);
  std::optional<std::string> String(std::string_view name);
  std::optional<int64_t> Int(std::string_view name, int64_t min, int64_t max);
  std::optional<std::string> Enum(std::string_view name,
                                  std::initializer_list<std::string_view> allowed);
  // Names a parameter as known without reading it (e.g. access_token).
  void Allow(std::string_view name) { known_.insert(std::string(name)); }
  Status Finish();

 private:
  std::vector<std::pair<std::string, std::string>> params_;  // decoded
  std::set<std::string, std::less<>> known_;
  Status error_;
};

// A whole decimal integer in [min, max], or nullopt.
std::optional<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max);

// "a,b,,c" → {"a", "b", "", "c"}; "" → {""}.
std::vector<std::string> SplitCommas(std::string_view list);

// Percent-decoding of a query component ('+' is a space); nullopt when malformed.
std::optional<std::string> UrlDecode(std::string_view s);

}  // namespace cancelflow::http
