// CallWithDeadline: runs a blocking check (a database ping, a queue flush) on
// a thread of its own and waits at most `timeout` for its answer, so a health
// probe answers in bounded time even when what it probes is stuck. A call that
// overruns keeps running detached and its late answer is dropped. Thread-safe.
#pragma once

#include <functional>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow {

Status CallWithDeadline(std::function<Status()> fn, Millis timeout);

}  // namespace cancelflow
