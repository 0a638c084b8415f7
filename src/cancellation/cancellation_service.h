// CancellationService: the domain entry points (the seed's
// initiateCancellation, abort, confirm) and the bridge from workflow
// transitions to what users see: the request's status, progress and attempts,
// cancellation.* events, and progress notifications.
//
// User errors fail at once with a clear code and enqueue nothing:
// NotFound (unknown subscription, or another user's), AlreadyExists with reason
// "already_in_progress" (an active request exists), Aborted with reason
// "conflict" (already cancelled), InvalidArgument (scheduleFor in the past, bad
// priority or method), FailedPrecondition with reason "idempotency_mismatch"
// (a key reused with another body).
//
// Thread-safe: requests are independent; transitions of one request arrive
// serialised by the workflow engine.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cancellation/notifier.h"
#include "cancellation/provider_config.h"
#include "events/event_bus.h"
#include "store/store.h"
#include "workflow/workflow_engine.h"

namespace cancelflow::cancellation {

struct InitiateRequest {
  std::string subscription_id;
  std::string priority = "normal";          // low | normal | high | urgent
  std::string preferred_method = "auto";    // auto | api | webhook | manual
  bool notify_realtime = true;
  bool notify_email = false;
  std::optional<TimePoint> schedule_for;
  std::optional<std::string> reason;
};

struct InitiateResult {
  std::string request_id;
  std::string workflow_id;
  std::string status;  // pending | scheduled
  TimePoint estimated_completion;
};

class CancellationService final : public workflow::WorkflowObserver {
 public:
  CancellationService(store::Store& store, workflow::WorkflowEngine& engine, queue::JobQueue& queue,
                      events::EventBus& bus, const ProviderRegistry& providers, Notifier& notifier, Clock& clock);

  Result<InitiateResult> InitiateCancellation(const std::string& user_id, const InitiateRequest& request,
                                              const std::optional<std::string>& idempotency_key = std::nullopt);
  // While scheduled, pending, or processing before a provider accepted it.
  Result<store::CancellationRequest> Abort(const std::string& user_id, const std::string& request_id);
  // The user did the manual steps: manual_required → completed.
  Result<store::CancellationRequest> ConfirmManual(const std::string& user_id, const std::string& request_id,
                                                   const std::optional<std::string>& confirmation_code);

  // When a cancellation by `method` with this provider is expected to be done.
  TimePoint EstimateCompletion(const std::string& provider, const std::string& method, TimePoint start);

  void OnStepStarted(store::WriteSet& set, const store::WorkflowInstance& w,
                     const workflow::Step& step) override;
  void OnStepFinished(store::WriteSet& set, const store::WorkflowInstance& w, const workflow::Step& step,
                      const workflow::StepOutcome& outcome) override;
  void OnWorkflowFinished(store::WriteSet& set, const store::WorkflowInstance& w) override;

 private:
  // A request as the transition being built leaves it: the hooks of one
  // transition change this one copy, and the set writes its final state once.
  struct StagedRequest {
    store::CancellationRequest request;
    bool create = false;    // a new request: inserted
    bool complete = false;  // reached "completed": written with its subscription's status
    std::vector<store::Notification> notifications;  // stored with it (seq assigned on commit)
  };
  std::shared_ptr<StagedRequest> Stage(store::WriteSet& set, const store::CancellationRequest& r, bool create);
  // The staged request of the workflow `w`, read from the store on the set's
  // first use; its write is staged then, unless it is no longer active.
  std::shared_ptr<StagedRequest> StagedOf(store::WriteSet& set, const store::WorkflowInstance& w);

  Result<InitiateResult> Replay(const store::CancellationRequest& existing, const std::string& fingerprint);
  static boost::json::object ContextOf(const store::WorkflowInstance& w);
  void CloseAttempt(store::CancellationRequest& r, const workflow::StepOutcome& outcome);
  void Track(store::WriteSet& set, const store::CancellationRequest& r, const std::string& provider,
             const std::string& method, const std::string& outcome);
  // Direct writes, for the user's calls outside workflow transitions (abort, confirm).
  void Save(store::CancellationRequest& r);
  // Saves a request that reached "completed" together with its subscription's "cancelled".
  void Complete(store::CancellationRequest& r);
  static boost::json::object EventData(const store::CancellationRequest& r, boost::json::object data);
  void Emit(const std::string& type, const store::CancellationRequest& r, boost::json::object data = {});
  // The same, published once the set committed.
  void Emit(store::WriteSet& set, const std::string& type, const store::CancellationRequest& r,
            boost::json::object data = {});
  store::Notification ProgressNotification(const store::CancellationRequest& r, const std::string& message) const;
  // The observed median duration of a provider's method, 0 without data (cached briefly).
  int64_t ObservedMedianMs(const std::string& provider, const std::string& method);

  store::Store& store_;
  workflow::WorkflowEngine& engine_;
  queue::JobQueue& queue_;
  events::EventBus& bus_;
  const ProviderRegistry& providers_;
  Notifier& notifier_;
  Clock& clock_;
  std::mutex estimates_mu_;
  std::map<std::string, std::pair<int64_t, TimePoint>> estimates_;  // guarded by estimates_mu_
};

}  // namespace cancelflow::cancellation
