#include "core/serial_executor.h"

#include "core/thread_name.h"

namespace cancelflow {

SerialExecutor::SerialExecutor(std::string thread_name) {
  thread_ = std::thread([this, name = std::move(thread_name)] {
    NameThisThread(name);
    Loop();
  });
}

SerialExecutor::~SerialExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SerialExecutor::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
    ++posted_;
  }
  cv_.notify_one();
}

void SerialExecutor::Drain() {
  std::unique_lock lock(mu_);
  const uint64_t target = posted_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
}

void SerialExecutor::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything has run
    auto fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
    ++finished_;
    done_cv_.notify_all();
  }
}

}  // namespace cancelflow
