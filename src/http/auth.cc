#include "http/auth.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cancellation/webhook_signature.h"

namespace cancelflow::http {
namespace {

constexpr size_t kCacheLimit = 10'000;

bool ValidUserId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string NewToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string b64 =
      cancellation::Base64Encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "cf_" + b64;
}

std::string HashToken(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Result<std::string> CreateUserWithToken(store::Store& store, Clock& clock, const std::string& id,
                                        const std::string& email, const std::string& role) {
  if (!ValidUserId(id)) {
    return InvalidArgument("id: 1-64 characters of letters, digits, '_', '-' or '.'")
        .WithReason("id");
  }
  if (email.size() < 3 || email.find('@') == std::string::npos || email.size() > 254) {
    return InvalidArgument("email: not an email address").WithReason("email");
  }
  if (role != "user" && role != "admin")
    return InvalidArgument("role: must be user or admin").WithReason("role");
  store::User user{id, email, role, true, false, clock.Now()};
  if (Status s = store.CreateUser(user); !s.ok()) {
    if (s.code() == Code::kAlreadyExists)
      return AlreadyExists("user " + id + " already exists").WithReason("conflict");
    return s;
  }
  return IssueToken(store, clock, id);
}

Result<std::string> IssueToken(store::Store& store, Clock& clock, const std::string& user_id) {
  auto user = store.GetUser(user_id);
  if (!user) return user.status();
  std::string token = NewToken();
  CF_RETURN_IF_ERROR(store.AddToken(HashToken(token), user_id, clock.Now()));
  return token;
}

Status BootstrapAdmin(store::Store& store, Clock& clock, const std::string& token) {
  if (token.size() < 16) {
    return InvalidArgument("CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN: must be at least 16 characters");
  }
  const std::string hash = HashToken(token);
  if (store.FindUserByToken(hash).ok()) return Status::Ok();
  if (auto admin = store.GetUser("admin"); !admin) {
    if (admin.status().code() != Code::kNotFound) return admin.status();
    CF_RETURN_IF_ERROR(
        store.CreateUser({"admin", "admin@localhost", "admin", true, false, clock.Now()}));
  } else if (admin->role != "admin") {
    return FailedPrecondition(
        "CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN: user \"admin\" exists and is not an admin");
  }
  return store.AddToken(hash, "admin", clock.Now());
}

Result<store::User> Authenticator::Authenticate(std::string_view token) {
  if (token.empty()) return Unauthenticated("a bearer token is required");
  const std::string hash = HashToken(token);
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end() && it->second.expires > now)
      return it->second.user;
  }
  auto user = store_.FindUserByToken(hash);
  if (!user) {
    if (user.status().code() == Code::kNotFound)
      return Unauthenticated("the bearer token is not valid");
    return user.status();
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_[hash] = {*user, now + ttl_};
  return user;
}

}  // namespace cancelflow::http
