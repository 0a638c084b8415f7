// Workflow definitions: a workflow is a graph of named steps, written in code.
//
// Step kinds (DESIGN.md, "Workflow semantics"):
//  * kJob        enqueue a job and await its result; `max_attempts` is its retry
//                policy (the queue retries temporary errors with backoff).
//  * kWaitEvent  wait for an event whose key matches the instance's wait key
//                (e.g. "webhook.received:req_…"), up to a timeout.
//  * kCondition  choose the next step from the context (branch or skip).
//  * kParallel   run several kJob or kSequence steps at once; go on when all
//                succeed (or the first succeeds, with `any`); fail when that is no
//                longer possible.
//  * kSequence   a nested sequence: run another registered definition
//                (`sequence`) as a child instance and await its end — completed
//                is success, any other end a failure. The child gets the
//                parent's domain context; its id is "<parent id>.<step>.<visit>".
//  * kFinish     end the workflow as completed or failed.
//
// Transitions: `next` on success, `on_failure` on failure (empty: the workflow
// fails), `on_timeout` when the step's timeout passes (empty: the workflow
// times out). Every step may carry a progress value (0–100) reached when it
// starts. Functions receive the instance's JSON context and must be pure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.h"
#include "events/event.h"

namespace cancelflow::workflow {

enum class StepKind { kJob, kWaitEvent, kCondition, kParallel, kSequence, kFinish };

using Context = boost::json::object;

struct Step {
  std::string name;
  StepKind kind = StepKind::kJob;
  int progress = 0;
  Millis timeout{0};  // 0: none

  // kJob
  std::string job_type;
  int priority = 2;
  int max_attempts = 0;  // 0: the job type's policy
  std::function<Context(const Context&)> payload;  // extra payload fields

  // kWaitEvent: the instance waits under wait_key(context); an event of
  // event_type resolves every instance waiting under event_key(event).
  std::string event_type;
  std::function<std::string(const Context&)> wait_key;
  std::function<std::string(const events::Event&)> event_key;
  std::function<Millis(const Context&)> wait_timeout;  // overrides `timeout`

  // kCondition
  std::function<std::string(const Context&)> choose;

  // kParallel
  std::vector<std::string> branches;
  bool any = false;

  // kSequence: the definition run as the nested sequence
  std::string sequence;

  // kFinish
  bool succeed = true;

  std::string next;
  std::string on_failure;
  std::string on_timeout;
};

struct Definition {
  std::string name;
  std::string start;
  std::vector<Step> steps;

  const Step* Find(std::string_view step) const;
  // Every transition names an existing step, the start exists, and each kind
  // has what it needs. Returns the first problem, or an empty string.
  std::string Validate() const;
};

}  // namespace cancelflow::workflow
