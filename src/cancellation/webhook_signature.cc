#include "cancellation/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include <fmt/format.h>

namespace cancelflow::cancellation {
namespace {

std::optional<int64_t> ParseUnix(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Status CheckTimestamp(std::string_view text, TimePoint now, Millis tolerance) {
  auto ts = ParseUnix(text);
  if (!ts) return Status(Code::kUnauthenticated, "invalid webhook timestamp");
  const int64_t skew_ms = std::abs(ToUnixMillis(now) - *ts * 1000);
  if (skew_ms > tolerance.count()) return Status(Code::kUnauthenticated, "webhook timestamp outside the tolerance");
  return Status::Ok();
}

std::string Hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock keeps the bytes of the padding; drop them.
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() > 1 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> SignStandardWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                        std::string_view body) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) != kPrefix) return InvalidArgument("webhook secret must start with whsec_");
  auto key = Base64Decode(secret.substr(kPrefix.size()));
  if (!key) return InvalidArgument("webhook secret is not valid base64 after whsec_");
  const std::string payload = fmt::format("{}.{}.{}", id, timestamp, body);
  return "v1," + Base64Encode(HmacSha256(*key, payload));
}

Status VerifyStandardWebhook(const std::vector<std::string>& secrets, const StandardWebhookHeaders& h,
                             std::string_view body, TimePoint now, Millis tolerance) {
  if (h.id.empty() || h.timestamp.empty() || h.signature.empty()) {
    return Status(Code::kUnauthenticated, "missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  CF_RETURN_IF_ERROR(CheckTimestamp(h.timestamp, now, tolerance));
  auto ts = ParseUnix(h.timestamp);
  for (const std::string& secret : secrets) {
    auto expected = SignStandardWebhook(secret, h.id, *ts, body);
    if (!expected) continue;
    for (std::string_view candidate : Split(h.signature, ' ')) {
      if (ConstantTimeEquals(candidate, *expected)) return Status::Ok();
    }
  }
  return Status(Code::kUnauthenticated, "no valid webhook signature");
}

std::string SignStripeWebhook(std::string_view secret, int64_t timestamp, std::string_view body) {
  return fmt::format("t={},v1={}", timestamp, Hex(HmacSha256(secret, fmt::format("{}.{}", timestamp, body))));
}

Status VerifyStripeWebhook(const std::vector<std::string>& secrets, std::string_view header, std::string_view body,
                           TimePoint now, Millis tolerance) {
  if (header.empty()) return Status(Code::kUnauthenticated, "missing Stripe-Signature header");
  std::string_view t;
  std::vector<std::string_view> v1;
  for (std::string_view part : Split(header, ',')) {
    if (part.substr(0, 2) == "t=") t = part.substr(2);
    if (part.substr(0, 3) == "v1=") v1.push_back(part.substr(3));
  }
  if (t.empty() || v1.empty()) return Status(Code::kUnauthenticated, "malformed Stripe-Signature header");
  CF_RETURN_IF_ERROR(CheckTimestamp(t, now, tolerance));
  for (const std::string& secret : secrets) {
    const std::string expected = Hex(HmacSha256(secret, fmt::format("{}.{}", t, body)));
    for (std::string_view candidate : v1) {
      if (ConstantTimeEquals(candidate, expected)) return Status::Ok();
    }
  }
  return Status(Code::kUnauthenticated, "no valid webhook signature");
}

}  // namespace cancelflow::cancellation
