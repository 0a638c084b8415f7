#include "events/redactor.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/json.hpp>

namespace cancelflow::events {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool LooksLikeSecret(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kPrefixes = {"cf_", "whsec_", "Bearer ", "bearer ",
                                                                "sk_live_", "sk_test_", "rk_live_"};
  for (std::string_view p : kPrefixes) {
    if (s.size() > p.size() && s.substr(0, p.size()) == p) return true;
  }
  return false;
}

// A whole-string email: local@domain.tld with no spaces.
bool IsEmail(std::string_view s) {
  const auto at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  const auto dot = s.find('.', at);
  if (dot == std::string_view::npos || dot == at + 1 || dot + 1 >= s.size()) return false;
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kNeedles = {
      "token", "secret", "password", "passwd", "authorization", "apikey", "credential", "signature", "cookie",
      "privatekey"};
  // "X-Api-Key", "api_key" and "apiKey" all read "xapikey"/"apikey" here. Keys
  // are short: folded on the stack, as every event's every key comes here.
  std::array<char, 64> buf;
  std::string heap;
  std::string_view k;
  if (key.size() <= buf.size()) {
    size_t n = 0;
    for (unsigned char c : key) {
      if (c != '-' && c != '_') buf[n++] = static_cast<char>(std::tolower(c));
    }
    k = std::string_view(buf.data(), n);
  } else {
    heap = Lower(key);
    std::erase_if(heap, [](char c) { return c == '-' || c == '_'; });
    k = heap;
  }
  return std::any_of(kNeedles.begin(), kNeedles.end(), [&](std::string_view n) { return k.find(n) != k.npos; });
}

bool NeedsRedaction(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object:
      return std::any_of(v.get_object().begin(), v.get_object().end(), [](const auto& member) {
        return (IsSecretKey(member.key()) && !member.value().is_null()) || NeedsRedaction(member.value());
      });
    case boost::json::kind::array:
      return std::any_of(v.get_array().begin(), v.get_array().end(), [](const auto& e) { return NeedsRedaction(e); });
    case boost::json::kind::string: {
      const std::string_view s = v.get_string();
      return LooksLikeSecret(s) || IsEmail(s);
    }
    default:
      return false;
  }
}

std::string RedactedJson(const boost::json::value& v) {
  // Most events carry nothing to hide: serialized as they are, without a copy.
  return boost::json::serialize(NeedsRedaction(v) ? Redact(v) : v);
}

std::string MaskEmail(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return std::string(kRedacted);
  std::string out(1, email[0]);
  out += "***";
  out += email.substr(at);
  return out;
}

std::string RedactString(std::string_view s) {
  if (LooksLikeSecret(s)) return std::string(kRedacted);
  if (IsEmail(s)) return MaskEmail(s);
  return std::string(s);
}

boost::json::value Redact(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      boost::json::object out;
      for (const auto& [key, value] : v.get_object()) {
        if (IsSecretKey(key) && !value.is_null()) {
          out[key] = kRedacted;
        } else {
          out[key] = Redact(value);
        }
      }
      return out;
    }
    case boost::json::kind::array: {
      boost::json::array out;
      for (const auto& e : v.get_array()) out.push_back(Redact(e));
      return out;
    }
    case boost::json::kind::string:
      return boost::json::value(RedactString(v.get_string()));
    default:
      return v;
  }
}

}  // namespace cancelflow::events
