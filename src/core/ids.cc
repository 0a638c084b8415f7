#include "core/ids.h"

#include <random>

namespace cancelflow {
namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr size_t kTimeChars = 10;
constexpr size_t kRandomChars = 16;

std::mt19937_64& ThreadRng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  return rng;
}

}  // namespace

std::string NewId(std::string_view prefix, TimePoint now) {
  std::string id;
  id.reserve(prefix.size() + 1 + kTimeChars + kRandomChars);
  id.append(prefix);
  id.push_back('_');
  uint64_t t = static_cast<uint64_t>(ToUnixMillis(now));
  char buf[kTimeChars];
  for (size_t i = kTimeChars; i-- > 0;) {
    buf[i] = kAlphabet[t & 31];
    t >>= 5;
  }
  id.append(buf, kTimeChars);
  auto& rng = ThreadRng();
  uint64_t hi = rng();
  uint64_t lo = rng();
  for (size_t i = 0; i < kRandomChars; ++i) {
    uint64_t& src = i < 8 ? hi : lo;
    id.push_back(kAlphabet[src & 31]);
    src >>= 5;
  }
  return id;
}

std::string NewId(std::string_view prefix) { return NewId(prefix, SystemClock::Get().Now()); }

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kTimeChars + kRandomChars) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (std::string_view(kAlphabet).find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace cancelflow
