#include "cancellation/cancellation_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "cancellation/full_process.h"
#include "core/ids.h"
#include "core/json_util.h"
#include "queue/job.h"

namespace cancelflow::cancellation {
namespace {

namespace json = boost::json;

bool OneOf(const std::string& v, std::initializer_list<const char*> options) {
  return std::any_of(options.begin(), options.end(), [&](const char* o) { return v == o; });
}

// API.md's attempt errors spell the code in lower case ("deadline_exceeded").
json::object ErrorOf(const Status& s) {
  json::object e = ErrorJson(s);
  std::string code(CodeName(s.code()));
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  e["code"] = code;
  return e;
}

std::string StepMessage(const std::string& step, const std::string& provider) {
  if (step == "validate") return "Checking your request";
  if (step == "api") return fmt::format("Asking {} to cancel through its API", provider);
  if (step == "webhook") return fmt::format("Sending the cancellation request to {}", provider);
  if (step == "await_confirmation") return fmt::format("Waiting for {} to confirm", provider);
  if (step == "manual") return "Preparing step-by-step instructions";
  return "";
}

}  // namespace

CancellationService::CancellationService(store::Store& store, workflow::WorkflowEngine& engine,
                                         queue::JobQueue& queue, events::EventBus& bus,
                                         const ProviderRegistry& providers, Notifier& notifier,
                                         Clock& clock)
    : store_(store),
      engine_(engine),
      queue_(queue),
      bus_(bus),
      providers_(providers),
      notifier_(notifier),
      clock_(clock) {}

TimePoint CancellationService::EstimateCompletion(const std::string& provider,
                                                  const std::string& method, TimePoint start) {
  Millis estimate = method == "api"       ? Millis(2000)
                    : method == "webhook" ? Millis(30'000)
                                          : Millis(1000);
  if (const ProviderConfig* p = providers_.Find(provider); p && method == "webhook" && p->webhook) {
    estimate = p->webhook->confirmation_timeout / 2;
  }
  if (const int64_t median = ObservedMedianMs(provider, method); median > 0)
    estimate = Millis(median);
  return start + estimate;
}

int64_t CancellationService::ObservedMedianMs(const std::string& provider,
                                              const std::string& method) {
  // The median moves slowly; reading it once per kEstimateRefresh keeps a busy
  // POST /v1/cancellations from scanning provider_outcomes per request.
  constexpr Millis kEstimateRefresh{5000};
  const std::string key = provider + "\n" + method;
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(estimates_mu_);
    if (auto it = estimates_.find(key);
        it != estimates_.end() && now - it->second.second < kEstimateRefresh) {
      return it->second.first;
    }
  }
  auto stats = store_.GetProviderStats(provider, method, 100);
  const int64_t median = stats.ok() ? stats->median_duration_ms : 0;
  std::lock_guard lock(estimates_mu_);
  estimates_[key] = {median, now};
  return median;
}

Result<InitiateResult> CancellationService::Replay(const store::CancellationRequest& existing,
                                                   const std::string& fingerprint) {
  if (existing.request_hash != fingerprint) {
    return FailedPrecondition("Idempotency-Key was already used with a different request")
        .WithReason("idempotency_mismatch");
  }
  return InitiateResult{existing.id, existing.workflow_id,
                        existing.scheduled_for ? "scheduled" : "pending",
                        existing.estimated_completion.value_or(existing.created_at)};
}

Result<InitiateResult> CancellationService::InitiateCancellation(
    const std::string& user_id, const InitiateRequest& in, const std::optional<std::string>& key) {
  const TimePoint now = clock_.Now();
  if (!OneOf(in.priority, {"low", "normal", "high", "urgent"})) {
    return InvalidArgument("priority: must be low, normal, high or urgent").WithReason("priority");
  }
  if (!OneOf(in.preferred_method, {"auto", "api", "webhook", "manual"})) {
    return InvalidArgument("preferredMethod: must be auto, api, webhook or manual")
        .WithReason("preferredMethod");
  }
  if (in.schedule_for && *in.schedule_for <= now) {
    return InvalidArgument("scheduleFor: must be in the future").WithReason("scheduleFor");
  }
  const std::string fingerprint = json::serialize(json::array{
      in.subscription_id, in.priority, in.preferred_method, in.notify_realtime, in.notify_email,
      in.schedule_for ? ToUnixMillis(*in.schedule_for) : 0, in.reason.value_or("")});
  if (key) {
    if (auto existing = store_.FindCancellationByIdempotencyKey(user_id, *key); existing.ok()) {
      return Replay(*existing, fingerprint);
    }
  }
  auto sub = store_.GetSubscription(in.subscription_id);
  if (!sub || sub->user_id != user_id) {
    if (!sub && sub.status().code() != Code::kNotFound) return sub.status();
    return NotFound(fmt::format("subscription {} not found", in.subscription_id))
        .WithReason("subscriptionId");
  }
  if (sub->status == "cancelled") {
    return Status(Code::kAborted, fmt::format("subscription {} is already cancelled", sub->id))
        .WithReason("conflict");
  }
  if (auto active = store_.FindActiveCancellation(sub->id); active.ok()) {
    return AlreadyExists(fmt::format("subscription {} has an active cancellation request {}",
                                     sub->id, active->id))
        .WithReason("already_in_progress");
  }
  const ProviderConfig* provider = providers_.Find(sub->provider);
  if (provider == nullptr) {
    return FailedPrecondition(fmt::format("provider {} is not configured", sub->provider))
        .WithReason("provider");
  }

  store::CancellationRequest r;
  r.id = NewId("req", now);
  r.user_id = user_id;
  r.subscription_id = sub->id;
  r.status = in.schedule_for ? "scheduled" : "pending";
  r.priority = in.priority;
  r.preferred_method = in.preferred_method;
  r.notify_realtime = in.notify_realtime;
  r.notify_email = in.notify_email;
  r.reason = in.reason;
  r.scheduled_for = in.schedule_for;
  r.idempotency_key = key;
  r.request_hash = fingerprint;
  r.created_at = r.updated_at = now;
  const bool has_api = provider->api.has_value();
  const bool has_webhook = provider->webhook.has_value() && !provider->webhook->url.empty();
  const std::string first = in.preferred_method == "manual"                 ? "manual"
                            : (in.preferred_method != "webhook" && has_api) ? "api"
                            : has_webhook                                   ? "webhook"
                                                                            : "manual";
  r.estimated_completion = EstimateCompletion(provider->name, first, in.schedule_for.value_or(now));
  workflow::Context ctx{
      {"requestId", r.id},
      {"userId", user_id},
      {"subscriptionId", sub->id},
      {"provider", provider->name},
      {"preferredMethod", in.preferred_method},
      {"priority", in.priority},
      {"hasApi", has_api},
      {"hasWebhook", has_webhook},
      {"confirmationTimeoutMs", has_webhook ? provider->webhook->confirmation_timeout.count() : 0},
  };
  store::WorkflowInstance w = engine_.Create(kFullProcess, std::move(ctx), in.schedule_for);
  r.workflow_id = w.id;
  // The request, its workflow entered into the first step, that step's job and
  // progress notification: one transaction, then the events.
  store::WriteSet set;
  Stage(set, r, /*create=*/true);
  Emit(set, "cancellation.requested", r,
       {{"provider", provider->name}, {"preferredMethod", in.preferred_method}});
  if (r.scheduled_for)
    Emit(set, "cancellation.scheduled", r, {{"scheduledFor", FormatRfc3339(*r.scheduled_for)}});
  if (Status s = engine_.Launch(set, w); !s.ok()) {
    if (s.code() != Code::kAlreadyExists) return s;
    // Lost a race: the same idempotency key, or another request for the subscription.
    if (key) {
      if (auto existing = store_.FindCancellationByIdempotencyKey(user_id, *key); existing.ok()) {
        return Replay(*existing, fingerprint);
      }
    }
    return AlreadyExists(fmt::format("subscription {} has an active cancellation request", sub->id))
        .WithReason("already_in_progress");
  }
  return InitiateResult{r.id, w.id, r.status, *r.estimated_completion};
}

Result<store::CancellationRequest> CancellationService::Abort(const std::string& user_id,
                                                              const std::string& request_id) {
  auto r = store_.GetCancellation(request_id);
  if (!r || r->user_id != user_id)
    return NotFound(fmt::format("cancellation request {} not found", request_id));
  if (!r->active() || r->current_step == "await_confirmation") {
    return Status(Code::kAborted,
                  fmt::format("cancellation request {} is {} and can no longer be aborted", r->id,
                              r->current_step == "await_confirmation" ? "accepted by the provider"
                                                                      : r->status))
        .WithReason("conflict");
  }
  if (Status s = engine_.Abort(r->workflow_id, "aborted by the user");
      !s.ok() && s.code() != Code::kFailedPrecondition) {
    return s;
  }
  auto fresh = store_.GetCancellation(request_id);
  if (!fresh) return fresh.status();
  fresh->status = "aborted";
  Save(*fresh);
  Emit("cancellation.aborted", *fresh);
  return *fresh;
}

Result<store::CancellationRequest> CancellationService::ConfirmManual(
    const std::string& user_id, const std::string& request_id,
    const std::optional<std::string>& code) {
  auto r = store_.GetCancellation(request_id);
  if (!r || r->user_id != user_id)
    return NotFound(fmt::format("cancellation request {} not found", request_id));
  if (r->status != "manual_required") {
    return Status(Code::kAborted, fmt::format("cancellation request {} is {}, not manual_required",
                                              r->id, r->status))
        .WithReason("conflict");
  }
  r->status = "completed";
  r->progress = 100;
  r->completed_at = clock_.Now();
  if (code) r->confirmation_code = code;
  Complete(*r);
  Emit("cancellation.completed", *r, {{"method", "manual"}});
  if (r->notify_realtime) {
    (void)notifier_.Send(
        r->user_id, "cancellation.completed", "Subscription cancelled",
        "You confirmed that the manual cancellation is done.", r->priority,
        {{"requestId", r->id}, {"status", r->status}, {"progress", 100}, {"step", "manual"}});
  }
  return *r;
}

json::object CancellationService::ContextOf(const store::WorkflowInstance& w) {
  json::error_code ec;
  auto ctx = json::parse(w.context, ec);
  return !ec && ctx.is_object() ? std::move(ctx.as_object()) : json::object{};
}

std::shared_ptr<CancellationService::StagedRequest> CancellationService::Stage(
    store::WriteSet& set, const store::CancellationRequest& r, bool create) {
  auto staged = std::make_shared<StagedRequest>();
  staged->request = r;
  staged->create = create;
  set.Keep(r.id, staged);
  // A finished request is left as it is: the hooks change active ones only.
  if (!create && !r.active()) return staged;
  // One write of the request's final state in the set, however many hooks changed it.
  set.Add([staged](store::Transaction& tx) -> Status {
    const store::CancellationRequest& req = staged->request;
    CF_RETURN_IF_ERROR(staged->create     ? tx.CreateCancellation(req)
                       : staged->complete ? tx.CompleteCancellation(req)
                                          : tx.UpdateCancellation(req));
    for (auto& n : staged->notifications) CF_RETURN_IF_ERROR(tx.AddNotification(n));
    return Status::Ok();
  });
  return staged;
}

std::shared_ptr<CancellationService::StagedRequest> CancellationService::StagedOf(
    store::WriteSet& set, const store::WorkflowInstance& w) {
  const std::string id = StringMember(ContextOf(w), "requestId");
  if (id.empty()) return nullptr;
  if (auto staged = set.Find<StagedRequest>(id)) return staged;
  auto r = store_.GetCancellation(id);
  if (!r) {
    spdlog::error("workflow {}: its request {}: {}", w.id, id, r.status().ToString());
    return nullptr;
  }
  return Stage(set, *r, /*create=*/false);
}

void CancellationService::Save(store::CancellationRequest& r) {
  r.updated_at = clock_.Now();
  if (Status s = store_.UpdateCancellation(r); !s.ok()) {
    spdlog::error("cancellation {}: saving failed: {}", r.id, s.ToString());
  }
}

void CancellationService::Complete(store::CancellationRequest& r) {
  r.updated_at = clock_.Now();
  if (Status s = store_.CompleteCancellation(r); !s.ok()) {
    spdlog::error("cancellation {}: saving completion failed: {}", r.id, s.ToString());
  }
}

json::object CancellationService::EventData(const store::CancellationRequest& r, json::object data) {
  data["requestId"] = r.id;
  data["subscriptionId"] = r.subscription_id;
  data["status"] = r.status;
  data["progress"] = r.progress;
  if (r.current_step) data["step"] = *r.current_step;
  if (r.method) data["method"] = *r.method;
  return data;
}

void CancellationService::Emit(const std::string& type, const store::CancellationRequest& r,
                               json::object data) {
  bus_.Publish(type, r.id, EventData(r, std::move(data)), r.user_id);
}

void CancellationService::Emit(store::WriteSet& set, const std::string& type,
                               const store::CancellationRequest& r, json::object data) {
  set.AfterCommit([this, type, id = r.id, user = r.user_id, data = EventData(r, std::move(data))]() mutable {
    bus_.Publish(type, id, std::move(data), user);
  });
}

store::Notification CancellationService::ProgressNotification(const store::CancellationRequest& r,
                                                              const std::string& message) const {
  return notifier_.Make(r.user_id, "cancellation.progress", "Cancellation in progress", message,
                        r.priority,
                        {{"requestId", r.id},
                         {"status", r.status},
                         {"progress", r.progress},
                         {"step", r.current_step.value_or("")}});
}

void CancellationService::Track(store::WriteSet& set, const store::CancellationRequest& r,
                                const std::string& provider, const std::string& method,
                                const std::string& outcome) {
  json::error_code ec;
  auto attempts = json::parse(r.attempts, ec);
  int64_t duration = 0;
  if (!ec && attempts.is_array() && !attempts.as_array().empty()) {
    const auto& last = attempts.as_array().back().as_object();
    if (last.contains("startedMs") && last.contains("finishedMs")) {
      duration = last.at("finishedMs").as_int64() - last.at("startedMs").as_int64();
    }
  }
  auto job = queue_.Stage(set, {.type = "analytics.track",
                                .payload = json::serialize(json::object{{"provider", provider},
                                                                        {"method", method},
                                                                        {"outcome", outcome},
                                                                        {"durationMs", duration},
                                                                        {"requestId", r.id}}),
                                .priority = queue::kPriorityLow});
  if (!job) spdlog::error("cancellation {}: analytics job: {}", r.id, job.status().ToString());
}

void CancellationService::CloseAttempt(store::CancellationRequest& r,
                                       const workflow::StepOutcome& outcome) {
  json::error_code ec;
  auto v = json::parse(r.attempts, ec);
  if (ec || !v.is_array() || v.as_array().empty()) return;
  auto& last = v.as_array().back().as_object();
  if (last.contains("finishedAt")) return;
  const TimePoint now = clock_.Now();
  last["finishedAt"] = FormatRfc3339(now);
  last["finishedMs"] = ToUnixMillis(now);
  last["outcome"] = outcome.result == workflow::StepResult::kSucceeded  ? "succeeded"
                    : outcome.result == workflow::StepResult::kTimedOut ? "timed_out"
                                                                        : "failed";
  if (!outcome.error.ok()) last["error"] = ErrorOf(outcome.error);
  r.attempts = json::serialize(v);
}

void CancellationService::OnStepStarted(store::WriteSet& set, const store::WorkflowInstance& w,
                                        const workflow::Step& step) {
  if (w.definition != kFullProcess) return;
  auto staged = StagedOf(set, w);
  if (!staged || !staged->request.active()) return;
  store::CancellationRequest& r = staged->request;
  r.current_step = step.name;
  r.progress = std::max(r.progress, w.progress);
  const bool starting = r.status != "processing";
  r.status = "processing";
  if (step.name == "api" || step.name == "webhook" || step.name == "manual") {
    r.method = step.name;
    json::error_code ec;
    auto v = json::parse(r.attempts, ec);
    json::array attempts = (!ec && v.is_array()) ? v.as_array() : json::array{};
    const TimePoint now = clock_.Now();
    attempts.push_back({{"method", step.name},
                        {"startedAt", FormatRfc3339(now)},
                        {"startedMs", ToUnixMillis(now)}});
    r.attempts = json::serialize(attempts);
  }
  r.updated_at = clock_.Now();
  if (starting) Emit(set, "cancellation.processing", r);
  // The request's new state and its progress notification are written with
  // the transition; the notification is announced in seq order (Notifier).
  const ProviderConfig* p = providers_.Find(StringMember(ContextOf(w), "provider"));
  const std::string message =
      StepMessage(step.name, p != nullptr ? p->display_name : "the provider");
  Emit(set, "cancellation.progress", r, {{"message", message}});
  if (r.notify_realtime && !message.empty()) {
    const size_t i = staged->notifications.size();
    staged->notifications.push_back(ProgressNotification(r, message));
    set.OnCommit([this, staged, i] { notifier_.AnnounceInOrder(staged->notifications[i]); });
  }
}

void CancellationService::OnStepFinished(store::WriteSet& set, const store::WorkflowInstance& w,
                                         const workflow::Step& step,
                                         const workflow::StepOutcome& outcome) {
  if (w.definition != kFullProcess) return;
  auto staged = StagedOf(set, w);
  if (!staged || !staged->request.active()) return;
  store::CancellationRequest& r = staged->request;
  r.updated_at = clock_.Now();
  const bool ok = outcome.result == workflow::StepResult::kSucceeded;
  if (step.name == "api" || step.name == "webhook" || step.name == "await_confirmation") {
    const bool rejected = step.name == "await_confirmation" && ok &&
                          outcome.data.contains("type") &&
                          outcome.data.at("type") == "cancellation.rejected";
    workflow::StepOutcome recorded = outcome;
    if (rejected)
      recorded = {workflow::StepResult::kFailed,
                  InvalidArgument("the provider rejected the cancellation")};
    // A webhook that was sent stays open until its confirmation (or timeout).
    if (step.name != "webhook" || !ok) {
      CloseAttempt(r, recorded);
      Track(set, r, StringMember(ContextOf(w), "provider"), step.name == "api" ? "api" : "webhook",
            recorded.result == workflow::StepResult::kSucceeded  ? "succeeded"
            : recorded.result == workflow::StepResult::kTimedOut ? "timed_out"
                                                                 : "failed");
    }
    if ((step.name == "api" || step.name == "await_confirmation") && ok && !rejected) {
      if (const auto* code = outcome.data.if_contains("confirmationCode");
          code && code->is_string()) {
        r.confirmation_code = std::string(code->as_string());
      }
      r.status = "completed";
      r.progress = 100;
      r.completed_at = clock_.Now();
      staged->complete = true;
      Emit(set, "cancellation.completed", r);
    }
    return;
  }
  if (step.name == "manual" && ok) {
    CloseAttempt(r, outcome);
    r.status = "manual_required";
    r.progress = 100;
    Emit(set, "cancellation.manual_required", r);
    return;
  }
  if (step.name == "validate" && !ok) {
    r.status = "failed";
    Emit(set, "cancellation.failed", r, {{"error", ErrorOf(outcome.error)}});
  }
}

void CancellationService::OnWorkflowFinished(store::WriteSet& set, const store::WorkflowInstance& w) {
  if (w.definition != kFullProcess || w.status == "completed" || w.status == "aborted") return;
  auto staged = StagedOf(set, w);
  if (!staged || !staged->request.active()) return;
  store::CancellationRequest& r = staged->request;
  r.status = "failed";
  r.updated_at = clock_.Now();
  Emit(set, "cancellation.failed", r, {{"reason", w.status}});
}

}  // namespace cancelflow::cancellation
