// JSON forms of jobs and queue statistics, as the CLI prints them and the
// monitoring API returns them (API.md, "System monitoring"): camelCase fields,
// RFC 3339 times, payloads redacted by the caller where they leave the service.
#pragma once

#include <boost/json/object.hpp>

#include "queue/job.h"
#include "queue/job_queue.h"

namespace cancelflow::queue {

boost::json::object JobToJson(const Job& job);
boost::json::object StatsToJson(const QueueStats& stats);

}  // namespace cancelflow::queue
