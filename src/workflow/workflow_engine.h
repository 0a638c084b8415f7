// WorkflowEngine: runs durable workflow instances (definition.h) on the job
// queue, the event bus and the store.
//
// Durability: a transition — the instance, the job its next step enqueues, and
// what observers write with it (the request and its progress notification) —
// is one WriteSet (store/write_set.h), committed as one transaction before any
// of its events is published (workflow.started, workflow.step_completed,
// workflow.completed, workflow.failed, workflow.timed_out). Timers (step
// timeouts, waits, a start at a later date) are the instance's `wake_at`, kept
// in the store and served by one timer thread, so they survive restarts and
// can be a year long. Jobs are enqueued with the unique key
// "<workflow>:<step>:<visit>", so entering a step again after a crash finds the
// job already there. ResumeAll() on start picks up every unfinished instance: a
// step whose job finished while the process was down advances; a step whose
// job was never enqueued is entered again.
//
// The engine never polls for job results: the worker pool reports every job
// outcome to OnFinished (the engine is a JobObserver), and the bus delivers
// awaited events.
//
// Nested sequences (StepKind::kSequence) run as child instances with ids
// "<parent>.<step>.<visit>"; a child's end and its parent's next step are one
// transition. A parent aborted or timed out aborts its unfinished children; a
// parallel group, once decided, cancels its branches still pending.
//
// Thread-safety: all methods may be called from any thread; transitions of one
// instance are serialised by a lock striped over root instance ids (a nested
// sequence shares its root's lock). Calls block on
// the store; never call them on an I/O thread.
//
// Invariants:
//  1. An unfinished instance is in exactly one step; awaiting_job / wait_key /
//     wake_at describe what it waits for, and nothing else advances it.
//  2. A result for anything else (an old job, a second event) is ignored.
//  3. A finished instance never changes again.
#pragma once

#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "events/event_bus.h"
#include "queue/job_observer.h"
#include "queue/job_queue.h"
#include "store/store.h"
#include "workflow/definition.h"

namespace cancelflow::workflow {

enum class StepResult { kSucceeded, kFailed, kTimedOut };

struct StepOutcome {
  StepResult result = StepResult::kSucceeded;
  Status error;                // kFailed: why
  boost::json::object data;    // kWaitEvent: the event's data
};

// Domain hooks, called while a transition is built, in the order of its
// changes, on the thread that makes it. A hook stages its writes in `set`
// (committed with the instance) and its events as the set's after-commit
// actions; it must not write to the store directly.
class WorkflowObserver {
 public:
  virtual ~WorkflowObserver() = default;
  virtual void OnStepStarted(store::WriteSet& /*set*/, const store::WorkflowInstance& /*w*/, const Step& /*step*/) {}
  virtual void OnStepFinished(store::WriteSet& /*set*/, const store::WorkflowInstance& /*w*/, const Step& /*step*/,
                              const StepOutcome& /*outcome*/) {}
  virtual void OnWorkflowFinished(store::WriteSet& /*set*/, const store::WorkflowInstance& /*w*/) {}
};

struct EngineOptions {
  Millis tick{1000};                              // longest timer sleep
  Millis retention{7LL * 24 * 3600 * 1000};       // finished instances are pruned after this
};

class WorkflowEngine final : public queue::JobObserver {
 public:
  WorkflowEngine(store::Store& store, queue::JobQueue& queue, events::EventBus& bus, Clock& clock,
                 EngineOptions options = {});
  ~WorkflowEngine() override;
  WorkflowEngine(const WorkflowEngine&) = delete;
  WorkflowEngine& operator=(const WorkflowEngine&) = delete;

  // Before Start. An invalid definition is a programming error: std::invalid_argument.
  void Register(Definition definition);
  void AddObserver(WorkflowObserver* observer);

  // A new instance record, not yet stored.
  store::WorkflowInstance Create(const std::string& definition, Context context,
                                 std::optional<TimePoint> start_at = std::nullopt) const;
  // Create and launch.
  Result<store::WorkflowInstance> Start(const std::string& definition, Context context,
                                        std::optional<TimePoint> start_at = std::nullopt);
  // Stores the new instance `w` (from Create) having entered its start step —
  // or pending until its start time — together with what the caller staged in
  // `set` before (the record that owns the instance), in one transaction.
  // On an error (e.g. AlreadyExists from the caller's record) nothing is stored.
  Status Launch(store::WriteSet& set, store::WorkflowInstance w);
  // Stops an unfinished instance; its unstarted job is removed from the queue.
  Status Abort(const std::string& workflow_id, const std::string& reason);

  Status ResumeAll();
  // Fires every timer that is due now.
  void RunDue();
  void StartTimer();
  void Stop();

  void OnFinished(const queue::JobTransition& t) override;

 private:
  std::mutex& LockFor(const std::string& id);
  const Definition* Find(const std::string& name) const;
  // Stages the end of the step that led here, once the new state is set and
  // before the next step's events.
  using Announcement = std::function<void()>;

  // The transition functions below stage into `set`; they are called with the
  // instance lock, and the caller commits the set.
  // Moves the instance into `step`.
  Status Enter(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def, const std::string& step,
               bool resume = false, const Announcement& after_save = nullptr);
  // Ends `w`; a nested sequence then advances its parent in the same set
  // (unless the parent is what ends it: `tell_parent` false).
  Status Finish(store::WriteSet& set, store::WorkflowInstance& w, const std::string& status, const std::string& why,
                const Announcement& after_save = nullptr, bool tell_parent = true);
  // Stages a new child instance running `step.sequence` for `parent`, pending
  // until the timer enters its first step; returns its id.
  Result<std::string> StageChild(store::WriteSet& set, const store::WorkflowInstance& parent, const Step& step,
                                 const Context& parent_context, int64_t visit, bool resume);
  // The end of nested sequence `child` as the outcome of its parent's step (or parallel branch).
  Status ResolveParent(store::WriteSet& set, const store::WorkflowInstance& child, const std::string& why);
  // Cancels what `w`'s current step still waits for: aborts its unfinished
  // nested sequences (depth first) and removes a parallel group's unstarted jobs.
  Status AbortPending(store::WriteSet& set, const store::WorkflowInstance& w, const std::string& why);
  Status CompleteStep(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def, const Step& step,
                      StepOutcome outcome);
  Status OnJobOutcome(const std::string& workflow_id, const std::string& step_name, const std::string& job_id,
                      StepOutcome outcome);
  // The same with the instance loaded and locked by the caller.
  Status ApplyJobOutcome(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def,
                         const std::string& step_name, const std::string& job_id, StepOutcome outcome);
  void OnWaitEvent(const Step& step, const events::Event& e);
  Status ResumeOne(const std::string& workflow_id);
  Status ResumeIn(store::WriteSet& set, store::WorkflowInstance& w, const Definition& def);
  Status FireTimer(const std::string& workflow_id);
  void TimerLoop();
  // A new timer may be earlier than the one the timer thread sleeps for.
  void WakeTimer();
  // Stages the instance's save, as it is now.
  void Save(store::WriteSet& set, store::WorkflowInstance& w);
  // Stages an event about the instance as it is now, published after the commit.
  void Publish(store::WriteSet& set, const std::string& type, const store::WorkflowInstance& w,
               boost::json::object data);
  Status Commit(store::WriteSet& set, const std::string& workflow_id);

  store::Store& store_;
  queue::JobQueue& queue_;
  events::EventBus& bus_;
  Clock& clock_;
  const EngineOptions options_;
  std::map<std::string, Definition, std::less<>> definitions_;  // written before Start only
  std::vector<WorkflowObserver*> observers_;                    // written before Start only
  std::vector<events::EventBus::Subscription> subscriptions_;
  std::array<std::mutex, 64> locks_;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool stopping_ = false;  // guarded by timer_mu_
  bool wake_ = false;      // guarded by timer_mu_
  std::thread timer_;
};

}  // namespace cancelflow::workflow
