#include "workflow/definition.h"

#include <fmt/format.h>

namespace cancelflow::workflow {

const Step* Definition::Find(std::string_view step) const {
  for (const Step& s : steps) {
    if (s.name == step) return &s;
  }
  return nullptr;
}

std::string Definition::Validate() const {
  if (Find(start) == nullptr) return fmt::format("{}: start step {:?} does not exist", name, start);
  for (const Step& s : steps) {
    for (const std::string* t : {&s.next, &s.on_failure, &s.on_timeout}) {
      if (!t->empty() && Find(*t) == nullptr) {
        return fmt::format("{}: step {} names a missing step {:?}", name, s.name, *t);
      }
    }
    switch (s.kind) {
      case StepKind::kJob:
        if (s.job_type.empty()) return fmt::format("{}: job step {} has no job type", name, s.name);
        break;
      case StepKind::kWaitEvent:
        if (s.event_type.empty() || !s.wait_key || !s.event_key) {
          return fmt::format("{}: wait step {} needs event_type, wait_key and event_key", name, s.name);
        }
        break;
      case StepKind::kCondition:
        if (!s.choose) return fmt::format("{}: condition step {} has no choose", name, s.name);
        break;
      case StepKind::kParallel:
        if (s.branches.empty()) return fmt::format("{}: parallel step {} has no branches", name, s.name);
        for (const auto& b : s.branches) {
          const Step* branch = Find(b);
          if (branch == nullptr || (branch->kind != StepKind::kJob && branch->kind != StepKind::kSequence)) {
            return fmt::format("{}: branch {:?} of {} is neither a job step nor a nested sequence", name, b, s.name);
          }
        }
        break;
      case StepKind::kSequence:
        if (s.sequence.empty()) return fmt::format("{}: nested sequence {} names no definition", name, s.name);
        break;
      case StepKind::kFinish:
        break;
    }
  }
  return "";
}

}  // namespace cancelflow::workflow
