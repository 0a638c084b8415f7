// Auth: bearer tokens and the accounts they belong to (API.md, "Auth").
//
// A token is "cf_" + 32 random bytes in base64url; the store keeps only its
// hex SHA-256, so a stolen database yields no usable token. Authenticate
// resolves a token to its user, with a short cache so that a busy client does
// not cost a database read per request. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace cancelflow::http {

std::string NewToken();
std::string HashToken(std::string_view token);

// Creates the user and a first token, which is returned (shown once).
// AlreadyExists for a taken id; InvalidArgument for a bad id, email or role.
Result<std::string> CreateUserWithToken(store::Store& store, Clock& clock, const std::string& id,
                                        const std::string& email, const std::string& role);
// A further token for an existing user (NotFound otherwise).
Result<std::string> IssueToken(store::Store& store, Clock& clock, const std::string& user_id);
// CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN: on first start, the admin "admin" owning `token`;
// nothing when that token already exists.
Status BootstrapAdmin(store::Store& store, Clock& clock, const std::string& token);

class Authenticator {
 public:
  Authenticator(store::Store& store, Clock& clock, Millis cache_ttl = Millis(10'000))
      : store_(store), clock_(clock), ttl_(cache_ttl) {}

  // Unauthenticated for a missing or unknown token.
  Result<store::User> Authenticate(std::string_view token);

 private:
  struct Entry {
    store::User user;
    TimePoint expires;
  };
  store::Store& store_;
  Clock& clock_;
  const Millis ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // by token hash; guarded by mu_
};

}  // namespace cancelflow::http
