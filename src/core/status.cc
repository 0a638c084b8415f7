#include "core/status.h"

namespace cancelflow {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kAlreadyExists: return "ALREADY_EXISTS";
    case Code::kFailedPrecondition: return "FAILED_PRECONDITION";
    case Code::kPermissionDenied: return "PERMISSION_DENIED";
    case Code::kUnauthenticated: return "UNAUTHENTICATED";
    case Code::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case Code::kUnavailable: return "UNAVAILABLE";
    case Code::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case Code::kAborted: return "ABORTED";
    case Code::kCancelled: return "CANCELLED";
    case Code::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string_view ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTemporary: return "temporary";
    case ErrorClass::kConfiguration: return "configuration";
    case ErrorClass::kUser: return "user";
  }
  return "temporary";
}

std::optional<ErrorClass> ParseErrorClass(std::string_view name) {
  if (name == "temporary") return ErrorClass::kTemporary;
  if (name == "configuration") return ErrorClass::kConfiguration;
  if (name == "user") return ErrorClass::kUser;
  return std::nullopt;
}

ErrorClass ErrorClassOf(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kUnauthenticated:
    case Code::kCancelled:
      return ErrorClass::kUser;
    case Code::kFailedPrecondition:
    case Code::kPermissionDenied:
      return ErrorClass::kConfiguration;
    case Code::kOk:
    case Code::kResourceExhausted:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kAborted:
    case Code::kInternal:
      return ErrorClass::kTemporary;
  }
  return ErrorClass::kTemporary;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace cancelflow
