#include "http/fields.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

namespace cancelflow::http {

namespace json = boost::json;

Result<json::object> ParseJsonBody(const Request& req) {
  const std::string& type = req.Header("content-type");
  const std::string_view media = std::string_view(type).substr(0, type.find(';'));
  if (media != "application/json") {
    return Status(Code::kInvalidArgument, "Content-Type must be application/json")
        .WithReason("#media");
  }
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return FieldError("body", "is not valid JSON");
  if (!v.is_object()) return FieldError("body", "must be a JSON object");
  return std::move(v.as_object());
}

Status FieldError(std::string_view field, std::string_view reason) {
  return InvalidArgument(fmt::format("{}: {}", field, reason)).WithReason(std::string(field));
}

std::pair<int, std::string> HttpErrorOf(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
      if (s.reason() == "#media") return {415, "unsupported_media_type"};
      return {400, "invalid_request"};
    case Code::kUnauthenticated:
      return {401, "unauthorized"};
    case Code::kPermissionDenied:
      return {403, "forbidden"};
    case Code::kNotFound:
      return {404, "not_found"};
    case Code::kAlreadyExists:
    case Code::kAborted:
      return {409, s.reason() == "already_in_progress" ? "already_in_progress" : "conflict"};
    case Code::kFailedPrecondition:
      if (s.reason() == "idempotency_mismatch") return {422, "idempotency_mismatch"};
      return {409, "conflict"};
    case Code::kResourceExhausted:
      return {429, "rate_limited"};
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return {503, "unavailable"};
    default:
      return {500, "internal"};
  }
}

Response ErrorResponse(const Status& s) {
  auto [status, code] = HttpErrorOf(s);
  if (status == 500) return JsonError(500, code, "internal error");
  std::string details;
  if (status == 400 && !s.reason().empty()) {
    const std::string prefix = s.reason() + ": ";
    const std::string reason =
        s.message().rfind(prefix, 0) == 0 ? s.message().substr(prefix.size()) : s.message();
    details = json::serialize(json::object{{"field", s.reason()}, {"reason", reason}});
  }
  return JsonError(status, code, s.message(), details);
}

const json::value* Fields::Find(std::string_view name) {
  known_.insert(std::string(name));
  const json::value* v = object_.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

void Fields::Fail(std::string_view name, std::string_view reason) {
  if (error_.ok()) error_ = FieldError(prefix_ + std::string(name), reason);
}

std::optional<std::string> Fields::String(std::string_view name, size_t max_length) {
  const json::value* v = Typed(name, &json::value::is_string, "must be a string");
  if (v == nullptr) return std::nullopt;
  if (v->as_string().size() > max_length) {
    Fail(name, fmt::format("must be at most {} characters", max_length));
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::string Fields::RequiredString(std::string_view name, size_t max_length) {
  const bool present = Find(name) != nullptr;
  auto s = String(name, max_length);
  if (!present) Fail(name, "is required");
  if (s && s->empty()) Fail(name, "must not be empty");
  return s.value_or("");
}

std::optional<std::string> Fields::Enum(std::string_view name,
                                        std::initializer_list<std::string_view> allowed) {
  auto s = String(name, 64);
  if (!s) return std::nullopt;
  for (auto a : allowed) {
    if (*s == a) return s;
  }
  Fail(name, fmt::format("must be one of {}", fmt::join(allowed, ", ")));
  return std::nullopt;
}

const json::value* Fields::Typed(std::string_view name, bool (json::value::*is)() const noexcept,
                                 std::string_view reason) {
  const json::value* v = Find(name);
  if (v == nullptr) return nullptr;
  if (!(v->*is)()) {
    Fail(name, reason);
    return nullptr;
  }
  return v;
}

std::optional<bool> Fields::Bool(std::string_view name) {
  const json::value* v = Typed(name, &json::value::is_bool, "must be true or false");
  return v ? std::optional<bool>(v->as_bool()) : std::nullopt;
}

std::optional<double> Fields::Number(std::string_view name) {
  const json::value* v = Typed(name, &json::value::is_number, "must be a number");
  return v ? std::optional<double>(v->to_number<double>()) : std::nullopt;
}

std::optional<TimePoint> Fields::Time(std::string_view name) {
  auto s = String(name, 64);
  if (!s) return std::nullopt;
  auto t = ParseRfc3339(*s);
  if (!t) Fail(name, "must be an RFC 3339 time such as 2026-12-04T15:00:00Z");
  return t;
}

const json::object* Fields::Object(std::string_view name) {
  const json::value* v = Typed(name, &json::value::is_object, "must be an object");
  return v ? &v->as_object() : nullptr;
}

const json::array* Fields::Array(std::string_view name) {
  const json::value* v = Typed(name, &json::value::is_array, "must be an array");
  return v ? &v->as_array() : nullptr;
}

const json::value* Fields::Any(std::string_view name) { return Find(name); }

Status Fields::Finish() {
  if (!error_.ok()) return error_;
  for (const auto& [key, value] : object_) {
    if (!known_.contains(std::string_view(key)))
      return FieldError(std::string(key), "is not a known field");
  }
  return Status::Ok();
}

std::vector<std::string> SplitCommas(std::string_view list) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    const size_t comma = list.find(',', i);
    out.emplace_back(
        list.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i));
    if (comma == std::string_view::npos) return out;
    i = comma + 1;
  }
}

std::optional<std::string> UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      int v = 0;
      if (i + 2 >= s.size() + 0 ||
          std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
        return std::nullopt;
      }
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

QueryFields::QueryFields(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    auto key = UrlDecode(part.substr(0, eq));
    auto value = UrlDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!key || !value) {
      if (error_.ok()) error_ = FieldError(key.value_or("query"), "is not validly percent-encoded");
      continue;
    }
    params_.emplace_back(std::move(*key), std::move(*value));
  }
}

std::optional<std::string> QueryFields::String(std::string_view name) {
  known_.insert(std::string(name));
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<int64_t> QueryFields::Int(std::string_view name, int64_t min, int64_t max) {
  auto s = String(name);
  if (!s) return std::nullopt;
  auto v = ParseInteger(*s, min, max);
  if (!v && error_.ok()) error_ = FieldError(name, fmt::format("must be an integer from {} to {}", min, max));
  return v;
}

std::optional<std::string> QueryFields::Enum(std::string_view name,
                                             std::initializer_list<std::string_view> allowed) {
  auto s = String(name);
  if (!s) return std::nullopt;
  for (auto a : allowed) {
    if (*s == a) return s;
  }
  if (error_.ok())
    error_ = FieldError(name, fmt::format("must be one of {}", fmt::join(allowed, ", ")));
  return std::nullopt;
}

Status QueryFields::Finish() {
  if (!error_.ok()) return error_;
  for (const auto& [k, v] : params_) {
    if (!known_.contains(std::string_view(k))) return FieldError(k, "is not a known parameter");
  }
  return Status::Ok();
}

}  // namespace cancelflow::http
