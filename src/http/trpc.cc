#include "http/trpc.h"

#include <array>
#include <boost/json.hpp>

#include "core/clock.h"

namespace cancelflow::http::trpc {

namespace json = boost::json;

namespace {

bool LooksLikeOurTime(std::string_view s) {
  // "2026-12-04T15:00:00.000Z", as FormatRfc3339 writes it.
  return s.size() == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
         s[16] == ':' && s[19] == '.' && s[23] == 'Z' && ParseRfc3339(s).has_value();
}

std::string EscapeKey(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '.' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void CollectDates(const json::value& v, const std::string& path, json::object& values,
                  bool& root_date) {
  if (v.is_string()) {
    if (LooksLikeOurTime(v.as_string())) {
      if (path.empty()) {
        root_date = true;
      } else {
        values[path] = json::array{"Date"};
      }
    }
  } else if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "metadata") continue;  // free-form: strings stay strings
      CollectDates(child, path.empty() ? EscapeKey(k) : path + "." + EscapeKey(k), values,
                   root_date);
    }
  } else if (v.is_array()) {
    const auto& a = v.as_array();
    for (size_t i = 0; i < a.size(); ++i) {
      CollectDates(a[i], path.empty() ? std::to_string(i) : path + "." + std::to_string(i), values,
                   root_date);
    }
  }
}

constexpr std::array<ErrorCode, 9> kCodes = {{
    {"BAD_REQUEST", -32600, 400},
    {"UNAUTHORIZED", -32001, 401},
    {"FORBIDDEN", -32003, 403},
    {"NOT_FOUND", -32004, 404},
    {"METHOD_NOT_SUPPORTED", -32005, 405},
    {"CONFLICT", -32009, 409},
    {"TOO_MANY_REQUESTS", -32029, 429},
    {"INTERNAL_SERVER_ERROR", -32603, 500},
    {"PARSE_ERROR", -32700, 400},
}};

}  // namespace

json::value SuperjsonWrap(const json::value& v) {
  json::object values;
  bool root_date = false;
  CollectDates(v, "", values, root_date);
  json::object out{{"json", v}};
  if (root_date) {
    out["meta"] = {{"values", json::array{"Date"}}, {"v", 1}};
  } else if (!values.empty()) {
    out["meta"] = {{"values", std::move(values)}, {"v", 1}};
  }
  return out;
}

json::value SuperjsonUnwrap(const json::value& v) {
  if (const json::object* o = v.if_object(); o != nullptr && o->contains("json"))
    return o->at("json");
  return v;
}

ErrorCode ErrorCodeNamed(std::string_view name) {
  for (const auto& c : kCodes) {
    if (c.name == name) return c;
  }
  return kCodes[7];
}

ErrorCode ErrorCodeOf(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
      return ErrorCodeNamed("BAD_REQUEST");
    case Code::kUnauthenticated:
      return ErrorCodeNamed("UNAUTHORIZED");
    case Code::kPermissionDenied:
      return ErrorCodeNamed("FORBIDDEN");
    case Code::kNotFound:
      return ErrorCodeNamed("NOT_FOUND");
    case Code::kAlreadyExists:
    case Code::kAborted:
      return ErrorCodeNamed("CONFLICT");
    case Code::kResourceExhausted:
      return ErrorCodeNamed("TOO_MANY_REQUESTS");
    default:
      return ErrorCodeNamed("INTERNAL_SERVER_ERROR");
  }
}

json::object ErrorShape(const ErrorCode& code, std::string_view message, std::string_view path) {
  return {{"message", message},
          {"code", code.json_rpc},
          {"data", {{"code", code.name}, {"httpStatus", code.http_status}, {"path", path}}}};
}

}  // namespace cancelflow::http::trpc
