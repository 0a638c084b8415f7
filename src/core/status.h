// Status and Result<T>: how expected failures cross module boundaries.
//
// A Status is OK or carries a canonical Code and a message meant for operators
// (never a secret). Job processors return a Status; its code decides how the
// queue treats the failure (see ErrorClassOf): temporary failures are retried
// with backoff, configuration and user failures are not.
//
// Both types are values; they are thread-compatible (const methods may be called
// concurrently).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cancelflow {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // user: bad input
  kNotFound,            // user
  kAlreadyExists,       // user
  kFailedPrecondition,  // configuration: the system is not set up for this
  kPermissionDenied,    // configuration: credentials refused
  kUnauthenticated,     // user at the HTTP edge
  kResourceExhausted,   // temporary: rate limits, full buffers
  kUnavailable,         // temporary: a dependency did not answer
  kDeadlineExceeded,    // temporary
  kAborted,             // temporary: lost a race, try again
  kCancelled,           // the caller gave up
  kInternal,            // temporary: a bug or an unexpected driver error
};

// The three classes of job error of DESIGN.md ("Job queue semantics").
enum class ErrorClass { kTemporary, kConfiguration, kUser };

std::string_view CodeName(Code code);
std::string_view ErrorClassName(ErrorClass c);
std::optional<ErrorClass> ParseErrorClass(std::string_view name);
ErrorClass ErrorClassOf(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  // A machine-readable reason for callers that must tell errors of one code
  // apart (the API's "already_in_progress" vs "conflict"); empty by default.
  Status& WithReason(std::string reason) & {
    reason_ = std::move(reason);
    return *this;
  }
  Status&& WithReason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }
  const std::string& reason() const { return reason_; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  ErrorClass error_class() const { return ErrorClassOf(code_); }

  // "NOT_FOUND: job job_… does not exist"
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string reason_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }

// A value or the Status that explains its absence. Never holds an OK status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cancelflow

// Propagates a failed Status from an expression returning Status.
#define CF_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::cancelflow::Status cf_status_ = (expr); \
    if (!cf_status_.ok()) return cf_status_;  \
  } while (false)

#define CF_STATUS_CONCAT_INNER(a, b) a##b
#define CF_STATUS_CONCAT(a, b) CF_STATUS_CONCAT_INNER(a, b)
// `CF_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value, or returns its error.
#define CF_ASSIGN_OR_RETURN(lhs, expr) CF_ASSIGN_OR_RETURN_IMPL(CF_STATUS_CONCAT(cf_result_, __LINE__), lhs, expr)
#define CF_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                             \
  if (!result.ok()) return result.status();         \
  lhs = std::move(*result)
