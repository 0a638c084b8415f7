// TrpcProcedures: the seed's ten systemMonitoring procedures (API.md, "tRPC
// compatibility", the table), with the seed's output shapes, answered from the
// same Monitor as the REST routes. The wire protocol (paths, batching,
// superjson, envelopes) is Api::Trpc's; this class only checks access and
// input and builds outputs. Thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "http/monitor.h"
#include "realtime/hub.h"
#include "store/store.h"

namespace cancelflow::http {

class TrpcProcedures {
 public:
  enum class Kind { kQuery, kMutation };

  // Who calls: a user when a valid token came, else why not (Unauthenticated).
  struct Caller {
    std::optional<store::User> user;
    Status auth_error;
  };

  TrpcProcedures(Monitor& monitor, store::Store& store, realtime::Hub& hub, Clock& clock)
      : monitor_(monitor), store_(store), hub_(hub), clock_(clock) {}

  // Runs `name` (without the "systemMonitoring." prefix). NotFound for an unknown
  // procedure; FailedPrecondition with reason "METHOD_NOT_SUPPORTED" for a query
  // sent as a mutation or the reverse; InvalidArgument for bad input.
  Result<boost::json::value> Run(const std::string& name, Kind kind, const Caller& caller,
                                 const boost::json::value& input);

 private:
  enum class Need { kPublic, kUser, kAdmin };
  struct Procedure;
  static const Procedure* Find(const std::string& name);

  Result<boost::json::value> Health(const Caller&, const boost::json::object&);
  Result<boost::json::value> SystemStatus(const Caller&, const boost::json::object&);
  Result<boost::json::value> JobQueueStats(const Caller&, const boost::json::object&);
  Result<boost::json::value> WorkflowStats(const Caller&, const boost::json::object&);
  Result<boost::json::value> RealtimeStats(const Caller&, const boost::json::object&);
  Result<boost::json::value> UserConnections(const Caller&, const boost::json::object&);
  Result<boost::json::value> SystemMetrics(const Caller&, const boost::json::object&);
  Result<boost::json::value> RetryFailedJob(const Caller&, const boost::json::object&);
  Result<boost::json::value> ClearFailedJobs(const Caller&, const boost::json::object&);
  Result<boost::json::value> RecentEvents(const Caller&, const boost::json::object&);

  Monitor& monitor_;
  store::Store& store_;
  realtime::Hub& hub_;
  Clock& clock_;
};

}  // namespace cancelflow::http
