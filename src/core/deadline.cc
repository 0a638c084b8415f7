#include "core/deadline.h"

#include <fmt/format.h>

#include <future>
#include <memory>
#include <thread>

namespace cancelflow {

Status CallWithDeadline(std::function<Status()> fn, Millis timeout) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto answer = promise->get_future();
  std::thread([promise, fn = std::move(fn)] { promise->set_value(fn()); }).detach();
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return DeadlineExceeded(fmt::format("no answer within {} ms", timeout.count()));
  }
  return answer.get();
}

}  // namespace cancelflow
