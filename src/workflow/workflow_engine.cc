#include "workflow/workflow_engine.h"

#include <functional>
#include <stdexcept>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/json_util.h"
#include "core/thread_name.h"

namespace cancelflow::workflow {
namespace {

namespace json = boost::json;

// Engine bookkeeping inside the context, next to the domain's fields.
constexpr const char* kSteps = "_steps";        // step → {status, error?, data?}
constexpr const char* kVisits = "_visits";      // step → times entered
constexpr const char* kParallel = "_parallel";  // group → {pending: {branch: job or child id}, succeeded: [], failed: []}
constexpr const char* kParent = "_parent";      // in a nested sequence: {workflowId, step} of its parent

// A nested sequence's instance shares its root's id up to the first '.', and
// its root's lock: a child's end advances its parent in the same transaction.
std::string_view RootOf(std::string_view id) { return id.substr(0, id.find('.')); }

// The wait key of a parent waiting for its nested sequence.
std::string ChildKey(const std::string& child_id) { return "workflow:" + child_id; }

Context ParseContext(const store::WorkflowInstance& w) {
  json::error_code ec;
  auto v = json::parse(w.context, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

json::object& Member(Context& ctx, const char* key) {
  auto& v = ctx[key];
  if (!v.is_object()) v = json::object{};
  return v.as_object();
}

std::string_view ResultName(StepResult r) {
  switch (r) {
    case StepResult::kSucceeded: return "succeeded";
    case StepResult::kFailed: return "failed";
    case StepResult::kTimedOut: return "timed_out";
  }
  return "failed";
}

void AppendHistory(store::WorkflowInstance& w, json::object entry) {
  json::error_code ec;
  auto v = json::parse(w.history, ec);
  json::array history = (!ec && v.is_array()) ? std::move(v.as_array()) : json::array{};
  history.push_back(std::move(entry));
  w.history = json::serialize(history);
}

// Marks the newest history entry of `step` finished.
void FinishHistory(store::WorkflowInstance& w, const std::string& step, StepResult r, TimePoint now,
                   const Status& error) {
  json::error_code ec;
  auto v = json::parse(w.history, ec);
  if (ec || !v.is_array()) return;
  auto& history = v.as_array();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    auto& e = it->as_object();
    if (e["step"] == step.c_str() && !e.contains("finishedAt")) {
      e["finishedAt"] = FormatRfc3339(now);
      e["status"] = ResultName(r);
      if (!error.ok()) e["error"] = ErrorJson(error);
      break;
    }
  }
  w.history = json::serialize(history);
}

}  // namespace

WorkflowEngine::WorkflowEngine(store::Store& store, queue::JobQueue& queue, events::EventBus& bus, Clock& clock,
                               EngineOptions options)
    : store_(store), queue_(queue), bus_(bus), clock_(clock), options_(options) {}

WorkflowEngine::~WorkflowEngine() { Stop(); }

void WorkflowEngine::Register(Definition def) {
  if (std::string problem = def.Validate(); !problem.empty()) throw std::invalid_argument(problem);
  const std::string name = def.name;
  auto [it, _] = definitions_.insert_or_assign(name, std::move(def));
  for (const Step& step : it->second.steps) {
    if (step.kind != StepKind::kWaitEvent) continue;
    const Step* s = &step;  // map nodes and their vectors are stable after registration
    subscriptions_.push_back(bus_.Subscribe(step.event_type, [this, s](const events::Event& e) { OnWaitEvent(*s, e); }));
  }
}

void WorkflowEngine::AddObserver(WorkflowObserver* observer) { observers_.push_back(observer); }

const Definition* WorkflowEngine::Find(const std::string& name) const {
  auto it = definitions_.find(name);
  return it == definitions_.end() ? nullptr : &it->second;
}

std::mutex& WorkflowEngine::LockFor(const std::string& id) {
  return locks_[std::hash<std::string_view>{}(RootOf(id)) % locks_.size()];
}

store::WorkflowInstance WorkflowEngine::Create(const std::string& definition, Context context,
                                               std::optional<TimePoint> start_at) const {
  const TimePoint now = clock_.Now();
  store::WorkflowInstance w;
  w.id = NewId("wf", now);
  w.definition = definition;
  w.status = "pending";
  w.context = json::serialize(context);
  w.created_at = now;
  w.updated_at = now;
  if (start_at && *start_at > now) w.wake_at = *start_at;
  return w;
}

Result<store::WorkflowInstance> WorkflowEngine::Start(const std::string& definition, Context context,
                                                      std::optional<TimePoint> start_at) {
  if (Find(definition) == nullptr) return NotFound("workflow definition " + definition + " is not registered");
  store::WorkflowInstance w = Create(definition, std::move(context), start_at);
  store::WriteSet set;
  CF_RETURN_IF_ERROR(Launch(set, w));
  return store_.GetWorkflow(w.id);
}

Status WorkflowEngine::Launch(store::WriteSet& set, store::WorkflowInstance w) {
  const Definition* def = Find(w.definition);
  if (def == nullptr) return FailedPrecondition("workflow definition " + w.definition + " is not registered");
  std::lock_guard lock(LockFor(w.id));
  Publish(set, "workflow.started", w, {{"definition", w.definition}});
  if (w.wake_at) {  // a later start: the timer enters the first step
    Save(set, w);
    set.AfterCommit([this] { WakeTimer(); });
  } else {
    CF_RETURN_IF_ERROR(Enter(set, w, *def, def->start));
  }
  return Commit(set, w.id);
}

void WorkflowEngine::Save(store::WriteSet& set, store::WorkflowInstance& w) {
  w.updated_at = clock_.Now();
  set.Add([w](store::Transaction& tx) { return tx.SaveWorkflow(w); });
}

Status WorkflowEngine::Commit(store::WriteSet& set, const std::string& workflow_id) {
  if (set.empty()) return Status::Ok();
  Status s = store_.Commit(set);
  if (!s.ok()) return Status(s.code(), "saving workflow " + workflow_id + ": " + s.message());
  return s;
}

void WorkflowEngine::Publish(store::WriteSet& set, const std::string& type, const store::WorkflowInstance& w,
                             json::object data) {
  data["workflowId"] = w.id;
  data["definition"] = w.definition;
  data["progress"] = w.progress;
  if (w.current_step && !data.contains("step")) data["step"] = *w.current_step;
  std::optional<std::string> user;
  Context ctx = ParseContext(w);
  if (std::string u = StringMember(ctx, "userId"); !u.empty()) user = std::move(u);
  set.AfterCommit([this, type, id = w.id, data = std::move(data), user = std::move(user)]() mutable {
    bus_.Publish(type, id, std::move(data), std::move(user));
  });
}

Status WorkflowEngine::Enter(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def,
                             const std::string& name, bool resume, const Announcement& after_save) {
  const Step* step = def.Find(name);
  if (step == nullptr) return Internal(fmt::format("{}: no step {:?}", def.name, name));
  const TimePoint now = clock_.Now();
  Context ctx = ParseContext(w);
  auto& visits = Member(ctx, kVisits);
  int64_t visit = visits.contains(name) ? visits[name].to_number<int64_t>() : 0;
  if (!resume || visit == 0) ++visit;
  visits[name] = visit;

  w.current_step = name;
  w.status = "running";
  w.awaiting_job.reset();
  w.wait_key.reset();
  w.wake_at.reset();
  w.progress = std::max(w.progress, step->progress);
  if (!resume) AppendHistory(w, {{"step", name}, {"startedAt", FormatRfc3339(now)}});

  // A step entered anew stages its job with the transition; on resume the job
  // may exist already (its unique key), maybe finished: it is looked up first.
  auto add_job = [&](const Step& job_step) -> Result<queue::Job> {
    json::object payload = job_step.payload ? job_step.payload(ctx) : json::object{};
    payload["workflowId"] = w.id;
    payload["step"] = job_step.name;
    queue::NewJob job{.type = job_step.job_type,
                      .payload = json::serialize(payload),
                      .priority = job_step.priority,
                      .unique_key = fmt::format("{}:{}:{}", w.id, job_step.name, visit)};
    if (job_step.max_attempts > 0) job.max_attempts = job_step.max_attempts;
    return resume ? queue_.Add(job) : queue_.Stage(set, job);
  };
  // The new state is staged; then the end of the step that led here, then this one's start.
  auto staged = [&] {
    w.context = json::serialize(ctx);
    Save(set, w);
    if (after_save) after_save();
    for (auto* o : observers_) o->OnStepStarted(set, w, *step);
    if (w.wake_at) set.AfterCommit([this] { WakeTimer(); });
  };

  switch (step->kind) {
    case StepKind::kCondition: {
      const std::string next = step->choose(ctx);
      Member(ctx, kSteps)[name] = {{"status", "succeeded"}, {"chose", next}};
      FinishHistory(w, name, StepResult::kSucceeded, now, Status::Ok());
      w.context = json::serialize(ctx);
      return Enter(set, w, def, next, false, after_save);
    }
    case StepKind::kFinish:
      w.context = json::serialize(ctx);
      FinishHistory(w, name, StepResult::kSucceeded, now, Status::Ok());
      return Finish(set, w, step->succeed ? "completed" : "failed", name, after_save);
    case StepKind::kJob: {
      auto job = add_job(*step);
      if (!job) return job.status();
      w.awaiting_job = job->id;
      if (step->timeout > Millis(0)) w.wake_at = now + step->timeout;
      staged();
      // On resume the job may have finished while nobody listened.
      if (job->state == queue::JobState::kCompleted) return CompleteStep(set, w, def, *step, {StepResult::kSucceeded});
      if (job->state == queue::JobState::kFailed) {
        return CompleteStep(set, w, def, *step,
                            {StepResult::kFailed, Unavailable(job->last_error.value_or("failed"))});
      }
      return Status::Ok();
    }
    case StepKind::kWaitEvent: {
      w.status = "waiting";
      w.wait_key = step->wait_key(ctx);
      const Millis timeout = step->wait_timeout ? step->wait_timeout(ctx) : step->timeout;
      if (timeout > Millis(0)) w.wake_at = now + timeout;
      staged();
      return Status::Ok();
    }
    case StepKind::kSequence: {
      auto child = StageChild(set, w, *step, ctx, visit, resume);
      if (!child) return child.status();
      w.status = "waiting";
      w.wait_key = ChildKey(*child);
      if (step->timeout > Millis(0)) w.wake_at = now + step->timeout;
      staged();
      return Status::Ok();
    }
    case StepKind::kParallel: {
      json::object pending;
      for (const std::string& b : step->branches) {
        const Step& branch = *def.Find(b);
        if (branch.kind == StepKind::kSequence) {
          auto child = StageChild(set, w, branch, ctx, visit, resume);
          if (!child) return child.status();
          pending[b] = *child;
          continue;
        }
        auto job = add_job(branch);
        if (!job) return job.status();
        pending[b] = job->id;
      }
      Member(ctx, kParallel)[name] = {{"pending", pending}, {"succeeded", json::array{}}, {"failed", json::array{}}};
      if (step->timeout > Millis(0)) w.wake_at = now + step->timeout;
      staged();
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status WorkflowEngine::Finish(store::WriteSet& set, store::WorkflowInstance& w, const std::string& status,
                              const std::string& why, const Announcement& after_save, bool tell_parent) {
  w.status = status;
  w.finished_at = clock_.Now();
  w.awaiting_job.reset();
  w.wait_key.reset();
  w.wake_at.reset();
  if (status == "completed") w.progress = 100;
  Save(set, w);
  if (after_save) after_save();
  const std::string type = status == "completed"   ? "workflow.completed"
                           : status == "timed_out" ? "workflow.timed_out"
                                                   : "workflow.failed";
  Publish(set, type, w, {{"status", status}, {"reason", why}});
  for (auto* o : observers_) o->OnWorkflowFinished(set, w);
  return tell_parent ? ResolveParent(set, w, why) : Status::Ok();
}

Result<std::string> WorkflowEngine::StageChild(store::WriteSet& set, const store::WorkflowInstance& parent,
                                               const Step& step, const Context& parent_context, int64_t visit,
                                               bool resume) {
  if (Find(step.sequence) == nullptr) {
    return FailedPrecondition(fmt::format("{}: nested sequence {:?} is not registered", step.name, step.sequence));
  }
  const std::string id = fmt::format("{}.{}.{}", parent.id, step.name, visit);
  if (resume) {  // entered before the restart: the child exists, or the transition never committed
    if (auto existing = store_.GetWorkflow(id); existing.ok()) return id;
  }
  Context ctx;
  for (const auto& [key, value] : parent_context) {
    if (!key.starts_with("_")) ctx.emplace(key, value);  // the domain's fields, not the engine's
  }
  ctx[kParent] = {{"workflowId", parent.id}, {"step", step.name}};
  store::WorkflowInstance child = Create(step.sequence, std::move(ctx));
  child.id = id;
  // Entered by the timer in a transaction of its own, like a start at a later
  // date: so a child that ends at once finds its parent stored as waiting for it.
  child.wake_at = child.created_at;
  Publish(set, "workflow.started", child, {{"definition", child.definition}, {"parent", parent.id}});
  Save(set, child);
  set.AfterCommit([this] { WakeTimer(); });
  return id;
}

Status WorkflowEngine::ResolveParent(store::WriteSet& set, const store::WorkflowInstance& child,
                                     const std::string& why) {
  Context ctx = ParseContext(child);
  const auto* link = ctx.if_contains(kParent);
  if (link == nullptr || !link->is_object()) return Status::Ok();
  const std::string parent_id = StringMember(link->as_object(), "workflowId");
  const std::string step_name = StringMember(link->as_object(), "step");
  auto parent = store_.GetWorkflow(parent_id);  // under the root's lock, which this transition holds
  if (!parent) return parent.status().code() == Code::kNotFound ? Status::Ok() : parent.status();
  if (parent->finished() || !parent->current_step) return Status::Ok();
  const Definition* def = Find(parent->definition);
  if (def == nullptr) return FailedPrecondition("workflow definition " + parent->definition + " is not registered");
  const Step* current = def->Find(*parent->current_step);
  if (current == nullptr) return Internal("unknown current step " + *parent->current_step);
  StepOutcome outcome;
  if (child.status != "completed") {
    outcome = {StepResult::kFailed,
               Status(Code::kAborted, fmt::format("nested sequence {} {}: {}", child.definition, child.status, why))};
  }
  if (current->kind == StepKind::kSequence) {
    if (current->name != step_name || parent->wait_key != ChildKey(child.id)) return Status::Ok();  // stale
    return CompleteStep(set, *parent, *def, *current, std::move(outcome));
  }
  // A branch of a parallel group (a result for anything else is ignored there).
  return ApplyJobOutcome(set, *parent, *def, step_name, child.id, std::move(outcome));
}

Status WorkflowEngine::AbortPending(store::WriteSet& set, const store::WorkflowInstance& w, const std::string& why) {
  if (!w.current_step) return Status::Ok();
  const Definition* def = Find(w.definition);
  const Step* step = def == nullptr ? nullptr : def->Find(*w.current_step);
  if (step == nullptr) return Status::Ok();
  std::vector<std::string> children;
  const std::string prefix = ChildKey(w.id + ".");
  if (step->kind == StepKind::kSequence && w.wait_key && w.wait_key->starts_with(prefix)) {
    children.push_back(w.wait_key->substr(ChildKey("").size()));
  } else if (step->kind == StepKind::kParallel) {
    Context ctx = ParseContext(w);
    for (const auto& [branch, id] : Member(Member(Member(ctx, kParallel), step->name.c_str()), "pending")) {
      if (!id.is_string()) continue;
      if (id.as_string().starts_with(w.id + ".")) {
        children.emplace_back(id.as_string());
      } else {
        (void)queue_.Remove(std::string(id.as_string()));  // a branch's job, if it has not started
      }
    }
  }
  for (const std::string& id : children) {
    auto child = store_.GetWorkflow(id);
    if (!child) {
      if (child.status().code() == Code::kNotFound) continue;
      return child.status();
    }
    if (child->finished()) continue;
    CF_RETURN_IF_ERROR(AbortPending(set, *child, why));
    if (child->awaiting_job) (void)queue_.Remove(*child->awaiting_job);  // if it has not started
    CF_RETURN_IF_ERROR(Finish(set, *child, "aborted", why, nullptr, /*tell_parent=*/false));
  }
  return Status::Ok();
}

Status WorkflowEngine::CompleteStep(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def,
                                    const Step& step, StepOutcome outcome) {
  const TimePoint now = clock_.Now();
  Context ctx = ParseContext(w);
  json::object record{{"status", ResultName(outcome.result)}};
  if (!outcome.error.ok()) record["error"] = ErrorJson(outcome.error);
  if (!outcome.data.empty()) record["data"] = outcome.data;
  Member(ctx, kSteps)[step.name] = std::move(record);
  w.context = json::serialize(ctx);
  w.awaiting_job.reset();
  w.wait_key.reset();
  w.wake_at.reset();
  FinishHistory(w, step.name, outcome.result, now, outcome.error);
  // The step's end and the next step's start are one transition; the step's
  // event is staged after the new state, before the next step's events.
  const Announcement announce = [&] {
    json::object data{{"step", step.name},
                      {"result", outcome.result == StepResult::kSucceeded ? "success" : "failure"},
                      {"outcome", ResultName(outcome.result)}};
    if (!outcome.error.ok()) data["error"] = ErrorJson(outcome.error);
    Publish(set, "workflow.step_completed", w, std::move(data));
    for (auto* o : observers_) o->OnStepFinished(set, w, step, outcome);
  };
  switch (outcome.result) {
    case StepResult::kSucceeded:
      return step.next.empty() ? Finish(set, w, "completed", step.name, announce)
                               : Enter(set, w, def, step.next, false, announce);
    case StepResult::kFailed:
      return step.on_failure.empty() ? Finish(set, w, "failed", outcome.error.message(), announce)
                                     : Enter(set, w, def, step.on_failure, false, announce);
    case StepResult::kTimedOut:
      return step.on_timeout.empty() ? Finish(set, w, "timed_out", step.name + " timed out", announce)
                                     : Enter(set, w, def, step.on_timeout, false, announce);
  }
  return Status::Ok();
}

void WorkflowEngine::OnFinished(const queue::JobTransition& t) {
  if (t.state != queue::JobState::kCompleted && t.state != queue::JobState::kFailed) return;  // retrying
  json::error_code ec;
  auto payload = json::parse(t.payload, ec);
  if (ec || !payload.is_object()) return;
  const auto* wf = payload.as_object().if_contains("workflowId");
  const auto* step = payload.as_object().if_contains("step");
  if (wf == nullptr || step == nullptr || !wf->is_string() || !step->is_string()) return;
  StepOutcome outcome;
  if (t.state == queue::JobState::kFailed) outcome = {StepResult::kFailed, t.error};
  Status s = OnJobOutcome(std::string(wf->as_string()), std::string(step->as_string()), t.job_id, std::move(outcome));
  if (!s.ok()) spdlog::error("workflow {}: handling job {} failed: {}", wf->as_string().c_str(), t.job_id, s.ToString());
}

Status WorkflowEngine::OnJobOutcome(const std::string& workflow_id, const std::string& step_name,
                                    const std::string& job_id, StepOutcome outcome) {
  std::lock_guard lock(LockFor(workflow_id));
  auto w = store_.GetWorkflow(workflow_id);
  if (!w) return w.status().code() == Code::kNotFound ? Status::Ok() : w.status();
  if (w->finished() || !w->current_step) return Status::Ok();
  const Definition* def = Find(w->definition);
  if (def == nullptr) return FailedPrecondition("workflow definition " + w->definition + " is not registered");
  store::WriteSet set;
  CF_RETURN_IF_ERROR(ApplyJobOutcome(set, *w, *def, step_name, job_id, std::move(outcome)));
  return Commit(set, workflow_id);
}

Status WorkflowEngine::ApplyJobOutcome(store::WriteSet& set, store::WorkflowInstance& instance,
                                       const Definition& definition, const std::string& step_name,
                                       const std::string& job_id, StepOutcome outcome) {
  store::WorkflowInstance* w = &instance;
  const Definition* def = &definition;
  const Step* current = def->Find(*w->current_step);
  if (current == nullptr) return Internal("unknown current step " + *w->current_step);

  if (current->kind == StepKind::kJob) {
    if (current->name != step_name || w->awaiting_job != job_id) return Status::Ok();  // stale
    return CompleteStep(set, *w, *def, *current, std::move(outcome));
  }
  if (current->kind != StepKind::kParallel) return Status::Ok();

  Context ctx = ParseContext(*w);
  auto& group = Member(Member(ctx, kParallel), current->name.c_str());
  auto& pending = Member(group, "pending");
  if (!pending.contains(step_name) || pending[step_name] != job_id.c_str()) return Status::Ok();
  pending.erase(step_name);
  const bool ok = outcome.result == StepResult::kSucceeded;
  auto& list = group[ok ? "succeeded" : "failed"];
  if (!list.is_array()) list = json::array{};
  list.as_array().emplace_back(step_name);
  const size_t succeeded = group["succeeded"].as_array().size();
  const size_t failed = group["failed"].is_array() ? group["failed"].as_array().size() : 0;
  w->context = json::serialize(ctx);
  // Once the group is decided, its branches still running are of no use: their
  // unstarted jobs are removed and their nested sequences aborted.
  const std::string decided = "parallel group " + current->name + " is decided";
  if (current->any ? succeeded > 0 : (pending.empty() && failed == 0)) {
    CF_RETURN_IF_ERROR(AbortPending(set, *w, decided));
    return CompleteStep(set, *w, *def, *current, {StepResult::kSucceeded});
  }
  if (current->any ? pending.empty() : failed > 0) {
    CF_RETURN_IF_ERROR(AbortPending(set, *w, decided));
    Status why = ok ? Status(Code::kAborted, "parallel group " + current->name + " failed") : outcome.error;
    return CompleteStep(set, *w, *def, *current, {StepResult::kFailed, std::move(why)});
  }
  Save(set, *w);
  return Status::Ok();
}

void WorkflowEngine::OnWaitEvent(const Step& step, const events::Event& e) {
  const std::string key = step.event_key(e);
  if (key.empty()) return;
  auto waiting = store_.FindWorkflowsWaitingFor(key);
  if (!waiting) {
    spdlog::error("workflow: looking up waiters for {} failed: {}", key, waiting.status().ToString());
    return;
  }
  for (const auto& candidate : *waiting) {
    std::lock_guard lock(LockFor(candidate.id));
    auto w = store_.GetWorkflow(candidate.id);
    if (!w || w->finished() || w->wait_key != key || w->current_step != step.name) continue;
    const Definition* def = Find(w->definition);
    if (def == nullptr) continue;
    store::WriteSet set;
    Status s = CompleteStep(set, *w, *def, step, {StepResult::kSucceeded, Status::Ok(), e.data});
    if (s.ok()) s = Commit(set, w->id);
    if (!s.ok()) spdlog::error("workflow {}: {}", w->id, s.ToString());
  }
}

Status WorkflowEngine::Abort(const std::string& workflow_id, const std::string& reason) {
  std::lock_guard lock(LockFor(workflow_id));
  auto w = store_.GetWorkflow(workflow_id);
  if (!w) return w.status();
  if (w->finished()) return FailedPrecondition("workflow " + workflow_id + " is already " + w->status);
  if (w->awaiting_job) (void)queue_.Remove(*w->awaiting_job);  // if it has not started
  store::WriteSet set;
  CF_RETURN_IF_ERROR(AbortPending(set, *w, reason));
  CF_RETURN_IF_ERROR(Finish(set, *w, "aborted", reason));
  return Commit(set, workflow_id);
}

Status WorkflowEngine::ResumeAll() {
  auto unfinished = store_.ListUnfinishedWorkflows();
  if (!unfinished) return unfinished.status();
  int resumed = 0;
  for (const auto& w : *unfinished) {
    if (Status s = ResumeOne(w.id); !s.ok()) {
      spdlog::error("workflow {}: resume failed: {}", w.id, s.ToString());
    } else {
      ++resumed;
    }
  }
  if (!unfinished->empty()) spdlog::info("resumed {} unfinished workflows", resumed);
  return Status::Ok();
}

Status WorkflowEngine::ResumeOne(const std::string& workflow_id) {
  std::lock_guard lock(LockFor(workflow_id));
  auto w = store_.GetWorkflow(workflow_id);
  if (!w) return w.status();
  if (w->finished()) return Status::Ok();
  const Definition* def = Find(w->definition);
  if (def == nullptr) return FailedPrecondition("workflow definition " + w->definition + " is not registered");
  store::WriteSet set;
  CF_RETURN_IF_ERROR(ResumeIn(set, *w, *def));
  return Commit(set, workflow_id);
}

Status WorkflowEngine::ResumeIn(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def) {
  if (!w.current_step) return w.wake_at ? Status::Ok() : Enter(set, w, def, def.start);
  const Step* step = def.Find(*w.current_step);
  if (step == nullptr) return Internal("unknown current step " + *w.current_step);
  switch (step->kind) {
    case StepKind::kJob:
    case StepKind::kCondition:
    case StepKind::kFinish:
      // Re-entering finds the step's job by its unique key and handles a result that came meanwhile.
      return Enter(set, w, def, step->name, /*resume=*/true);
    case StepKind::kWaitEvent:
    case StepKind::kSequence:  // the child resumes by itself and then advances its parent
      return w.wait_key ? Status::Ok() : Enter(set, w, def, step->name, true);
    case StepKind::kParallel: {
      Context ctx = ParseContext(w);
      auto& pending = Member(Member(Member(ctx, kParallel), step->name.c_str()), "pending");
      std::vector<std::pair<std::string, std::string>> jobs;
      for (const auto& [branch, id] : pending) jobs.emplace_back(branch, std::string(id.as_string()));
      // Apply the results of branch jobs that finished while nobody listened.
      for (const auto& [branch, id] : jobs) {
        auto job = queue_.Get(id);
        if (!job || (job->state != queue::JobState::kCompleted && job->state != queue::JobState::kFailed)) continue;
        StepOutcome o;
        if (job->state == queue::JobState::kFailed) o = {StepResult::kFailed, Unavailable(job->last_error.value_or(""))};
        CF_RETURN_IF_ERROR(ApplyJobOutcome(set, w, def, branch, id, std::move(o)));
        if (w.finished() || w.current_step != step->name) break;
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status WorkflowEngine::FireTimer(const std::string& workflow_id) {
  std::lock_guard lock(LockFor(workflow_id));
  auto w = store_.GetWorkflow(workflow_id);
  if (!w) return w.status();
  if (w->finished() || !w->wake_at || *w->wake_at > clock_.Now()) return Status::Ok();
  const Definition* def = Find(w->definition);
  if (def == nullptr) return FailedPrecondition("workflow definition " + w->definition + " is not registered");
  store::WriteSet set;
  if (!w->current_step) {  // a scheduled start
    w->wake_at.reset();
    CF_RETURN_IF_ERROR(Enter(set, *w, *def, def->start));
    return Commit(set, workflow_id);
  }
  const Step* step = def->Find(*w->current_step);
  if (step == nullptr) return Internal("unknown current step " + *w->current_step);
  if (w->awaiting_job) (void)queue_.Remove(*w->awaiting_job);  // if it has not started
  const std::string why = fmt::format("step {} timed out", step->name);
  CF_RETURN_IF_ERROR(AbortPending(set, *w, why));
  CF_RETURN_IF_ERROR(CompleteStep(set, *w, *def, *step, {StepResult::kTimedOut, DeadlineExceeded(why)}));
  return Commit(set, workflow_id);
}

void WorkflowEngine::RunDue() {
  for (;;) {
    auto due = store_.DueWorkflows(clock_.Now(), 256);
    if (!due) {
      spdlog::error("workflow timers: {}", due.status().ToString());
      return;
    }
    for (const auto& w : *due) {
      if (Status s = FireTimer(w.id); !s.ok()) spdlog::error("workflow {}: timer: {}", w.id, s.ToString());
    }
    if (due->size() < 256) return;
  }
}

void WorkflowEngine::WakeTimer() {
  {
    std::lock_guard lock(timer_mu_);
    wake_ = true;
  }
  timer_cv_.notify_all();
}

void WorkflowEngine::StartTimer() {
  if (timer_.joinable()) return;
  timer_ = std::thread([this] {
    NameThisThread("workflow-timer");
    TimerLoop();
  });
}

void WorkflowEngine::Stop() {
  {
    std::lock_guard lock(timer_mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  subscriptions_.clear();
}

void WorkflowEngine::TimerLoop() {
  TimePoint last_prune{};
  std::unique_lock lock(timer_mu_);
  while (!stopping_) {
    wake_ = false;
    lock.unlock();
    RunDue();
    const TimePoint now = clock_.Now();
    if (now - last_prune > Millis(60'000)) {
      last_prune = now;
      if (auto pruned = store_.PruneWorkflows(now - options_.retention); pruned.ok() && *pruned > 0) {
        spdlog::info("pruned {} finished workflows", *pruned);
      }
    }
    Millis wait = options_.tick;
    if (auto next = store_.NextWorkflowWake(); next.ok() && next->has_value()) {
      wait = std::clamp(std::chrono::duration_cast<Millis>(**next - clock_.Now()), Millis(0), options_.tick);
    }
    lock.lock();
    if (!wake_ && !stopping_) timer_cv_.wait_for(lock, wait, [&] { return wake_ || stopping_; });
  }
}

}  // namespace cancelflow::workflow
