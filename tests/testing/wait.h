// WaitUntil: for tests that watch another thread or process make progress.
// Polls `pred` until it holds or `patience` runs out; returns whether it held.
// The patience is a bound for a broken build, not a timing assertion.
#pragma once

#include <chrono>
#include <thread>

namespace cancelflow::testing {

template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::seconds patience = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace cancelflow::testing
