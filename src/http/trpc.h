// The tRPC v11 HTTP wire format (API.md, "tRPC compatibility"), kept apart from
// the procedures so it can be tested on its own:
//  * superjson: values travel as {"json": …, "meta": {"values": {"<path>":
//    ["Date"]}, "v": 1}}; paths are dot-joined keys (a literal dot escaped as
//    "\."), array indices as numbers. We mark as Date every string in our own
//    RFC 3339 form ("2026-12-04T15:00:00.000Z") outside free-form "metadata".
//  * envelopes: {"result": {"data": …}} and {"error": {"message", "code",
//    "data": {"code", "httpStatus", "path"}}} with tRPC's JSON-RPC codes.
// Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cancelflow::http::trpc {

// Wraps `v` as superjson: {"json": v} plus meta when it holds dates.
boost::json::value SuperjsonWrap(const boost::json::value& v);
// The plain value of a superjson-wrapped input ({"json": …}); `v` itself
// when it is not wrapped.
boost::json::value SuperjsonUnwrap(const boost::json::value& v);

struct ErrorCode {
  std::string_view name;  // "NOT_FOUND"
  int json_rpc;           // -32004
  int http_status;        // 404
};
// The tRPC error code for a Status (BAD_REQUEST for InvalidArgument, …).
ErrorCode ErrorCodeOf(const Status& s);
ErrorCode ErrorCodeNamed(std::string_view name);

boost::json::object ErrorShape(const ErrorCode& code, std::string_view message,
                               std::string_view path);

}  // namespace cancelflow::http::trpc
