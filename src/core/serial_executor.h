// SerialExecutor: runs posted closures one at a time, in the order they were
// posted, on a thread of its own — for work that must keep an order its
// posters establish (e.g. announcing notifications in commit order) without
// doing it on their threads. The destructor runs everything posted, then joins.
//
// Thread-safe: Post and Drain may be called from any thread, but not from a
// closure running on the executor (Drain would wait for itself).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cancelflow {

class SerialExecutor {
 public:
  explicit SerialExecutor(std::string thread_name);
  ~SerialExecutor();
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  // Never blocks on the closures (only on a short lock).
  void Post(std::function<void()> fn);
  // Returns once everything posted before the call has run.
  void Drain();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;       // work posted, or stopping
  std::condition_variable done_cv_;  // a closure finished
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  uint64_t posted_ = 0;                      // guarded by mu_
  uint64_t finished_ = 0;                    // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::thread thread_;
};

}  // namespace cancelflow
