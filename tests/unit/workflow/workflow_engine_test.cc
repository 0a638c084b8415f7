#include "workflow/workflow_engine.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "queue/sqlite_job_queue.h"
#include "store/sqlite_store.h"
#include "testing/temp_dir.h"

namespace cancelflow::workflow {
namespace {

namespace json = boost::json;

Step JobStep(std::string name, std::string type, std::string next, int progress = 0) {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kJob;
  s.job_type = std::move(type);
  s.next = std::move(next);
  s.progress = progress;
  return s;
}

Step SequenceStep(std::string name, std::string definition, std::string next, int progress = 0) {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kSequence;
  s.sequence = std::move(definition);
  s.next = std::move(next);
  s.progress = progress;
  return s;
}

Step FinishStep(std::string name, bool succeed) {
  Step s;
  s.name = std::move(name);
  s.kind = StepKind::kFinish;
  s.succeed = succeed;
  return s;
}

class WorkflowEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::Open(dir_.File("cf.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    auto opened = store::SqliteStore::Open(*db_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    queue_ = std::make_unique<queue::SqliteJobQueue>(*db_, clock_, queue::QueueOptions{}, [] { return 0.5; });
    bus_ = std::make_unique<events::EventBus>(store_.get(), clock_);
    events_ = bus_->Subscribe("workflow.*", [this](const events::Event& e) {
      std::string entry = e.type;
      if (auto* step = e.data.if_contains("step")) entry += ":" + std::string(step->as_string());
      if (auto* outcome = e.data.if_contains("outcome")) entry += ":" + std::string(outcome->as_string());
      log_.push_back(entry);
    });
    NewEngine();
  }

  void NewEngine() {
    engine_.reset();
    engine_ = std::make_unique<WorkflowEngine>(*store_, *queue_, *bus_, clock_);
    for (const auto& d : Definitions()) engine_->Register(d);
  }

  virtual std::vector<Definition> Definitions() {
    // validate → (condition on context.route) → api | manual → notify
    Step route;
    route.name = "route";
    route.kind = StepKind::kCondition;
    route.choose = [](const Context& c) { return c.at("route").as_string() == "api" ? "api" : "manual"; };
    Step api = JobStep("api", "t.api", "notify", 40);
    api.on_failure = "manual";
    Step wait;
    wait.name = "confirm";
    wait.kind = StepKind::kWaitEvent;
    wait.event_type = "webhook.received";
    wait.wait_key = [](const Context& c) { return "req:" + std::string(c.at("requestId").as_string()); };
    wait.event_key = [](const events::Event& e) { return "req:" + e.resource; };
    wait.timeout = Millis(5000);
    wait.next = "notify";
    wait.on_timeout = "manual";
    Step group;
    group.name = "both";
    group.kind = StepKind::kParallel;
    group.branches = {"left", "right"};
    group.next = "notify";
    Step any = group;
    any.name = "either";
    any.any = true;
    return {
        Definition{"flow",
                   "validate",
                   {JobStep("validate", "t.validate", "route", 10), route, api,
                    JobStep("manual", "t.manual", "notify", 80), JobStep("notify", "t.notify", "", 95)}},
        Definition{"waiting", "confirm", {wait, JobStep("notify", "t.notify", ""), JobStep("manual", "t.manual", "")}},
        Definition{"parallel",
                   "both",
                   {group, JobStep("left", "t.left", ""), JobStep("right", "t.right", ""),
                    JobStep("notify", "t.notify", "")}},
        Definition{"parallel_any",
                   "either",
                   {any, JobStep("left", "t.left", ""), JobStep("right", "t.right", ""),
                    JobStep("notify", "t.notify", "")}},
        Definition{"fails", "a", {JobStep("a", "t.a", "")}},
        // Nested sequences: `inner` runs as a child of `outer`'s step `nested`, of a
        // parallel group's branch in `fan`, and under a timeout in `slow_outer`.
        Definition{"inner", "x", {JobStep("x", "t.x", "y"), JobStep("y", "t.y", "")}},
        Definition{"outer", "a", {JobStep("a", "t.a", "nested"), [] {
                                    Step n = SequenceStep("nested", "inner", "c", 50);
                                    n.on_failure = "recover";
                                    return n;
                                  }(),
                                  JobStep("c", "t.c", ""), JobStep("recover", "t.recover", "")}},
        Definition{"fan", "both", {[] {
                                     Step g;
                                     g.name = "both";
                                     g.kind = StepKind::kParallel;
                                     g.branches = {"seq", "job"};
                                     g.next = "c";
                                     return g;
                                   }(),
                                   SequenceStep("seq", "inner", ""), JobStep("job", "t.b", ""), JobStep("c", "t.c", "")}},
        Definition{"fan_any", "either", {[] {
                                           Step g;
                                           g.name = "either";
                                           g.kind = StepKind::kParallel;
                                           g.any = true;
                                           g.branches = {"seq", "job"};
                                           g.next = "c";
                                           return g;
                                         }(),
                                         SequenceStep("seq", "inner", ""), JobStep("job", "t.b", ""),
                                         JobStep("c", "t.c", "")}},
        Definition{"slow_outer", "nested", {[] {
                                              Step n = SequenceStep("nested", "inner", "c");
                                              n.timeout = Millis(1000);
                                              n.on_timeout = "late";
                                              return n;
                                            }(),
                                            JobStep("c", "t.c", ""), JobStep("late", "t.late", "")}},
        Definition{"explicit_end", "a", {[] {
                                             Step a = JobStep("a", "t.a", "ok");
                                             a.on_failure = "rejected";
                                             return a;
                                           }(),
                                           FinishStep("ok", true), FinishStep("rejected", false)}},
    };
  }

  // Plays the worker pool: claims every ready job and reports `verdict(type)` to the engine.
  std::vector<std::string> RunJobs(const std::function<Status(const std::string&)>& verdict = nullptr,
                                   bool report = true) {
    std::vector<std::string> types;
    auto jobs = queue_->Claim("wkr_test", 100, Millis(30'000));
    EXPECT_TRUE(jobs.ok());
    for (const auto& j : *jobs) {
      types.push_back(j.type);
      Status s = verdict ? verdict(j.type) : Status::Ok();
      auto t = queue_->Complete("wkr_test", {{j.id, s}});
      EXPECT_TRUE(t.ok());
      if (report) engine_->OnFinished(t->front());
    }
    return types;
  }

  store::WorkflowInstance Get(const std::string& id) { return *store_->GetWorkflow(id); }
  Context ContextOf(const std::string& id) { return json::parse(Get(id).context).as_object(); }

  cancelflow::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<queue::SqliteJobQueue> queue_;
  std::unique_ptr<events::EventBus> bus_;
  events::EventBus::Subscription events_;
  std::unique_ptr<WorkflowEngine> engine_;
  std::vector<std::string> log_;
};

TEST_F(WorkflowEngineTest, SequentialStepsRunToCompletion) {
  auto w = engine_->Start("flow", {{"route", "api"}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->current_step, "validate");
  EXPECT_EQ(w->progress, 10);
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.validate"});
  EXPECT_EQ(Get(w->id).current_step, "api");
  EXPECT_EQ(Get(w->id).progress, 40);
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.api"});
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.notify"});
  const auto done = Get(w->id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.progress, 100);
  EXPECT_TRUE(done.finished_at.has_value());
  EXPECT_EQ(log_, (std::vector<std::string>{"workflow.started", "workflow.step_completed:validate:succeeded",
                                            "workflow.step_completed:api:succeeded",
                                            "workflow.step_completed:notify:succeeded", "workflow.completed:notify"}));
  auto history = json::parse(done.history).as_array();
  ASSERT_EQ(history.size(), 4u);  // validate, route, api, notify
  EXPECT_EQ(history[1].at("step"), "route");
}

TEST_F(WorkflowEngineTest, ConditionTakesTheOtherBranch) {
  auto w = engine_->Start("flow", {{"route", "manual"}});
  RunJobs();
  EXPECT_EQ(Get(w->id).current_step, "manual");
  EXPECT_EQ(ContextOf(w->id).at("_steps").at("route").at("chose"), "manual");
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.manual"});
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.notify"});
  EXPECT_EQ(Get(w->id).status, "completed");
}

TEST_F(WorkflowEngineTest, FailedStepFollowsOnFailure) {
  auto w = engine_->Start("flow", {{"route", "api"}});
  RunJobs();
  RunJobs([](const std::string&) { return FailedPrecondition("provider has no API"); });
  EXPECT_EQ(Get(w->id).current_step, "manual");
  auto steps = ContextOf(w->id).at("_steps");
  EXPECT_EQ(steps.at("api").at("status"), "failed");
  EXPECT_EQ(steps.at("api").at("error").at("class"), "configuration");
}

TEST_F(WorkflowEngineTest, FailedStepWithoutOnFailureFailsTheWorkflow) {
  auto w = engine_->Start("fails", {});
  RunJobs([](const std::string&) { return InvalidArgument("bad"); });
  EXPECT_EQ(Get(w->id).status, "failed");
  EXPECT_EQ(log_.back(), "workflow.failed:a");
}

TEST_F(WorkflowEngineTest, FinishStepsEndTheWorkflowAsTheySay) {
  auto ok = engine_->Start("explicit_end", {});
  RunJobs();
  EXPECT_EQ(Get(ok->id).status, "completed");
  auto rejected = engine_->Start("explicit_end", {});
  RunJobs([](const std::string&) { return InvalidArgument("no"); });
  EXPECT_EQ(Get(rejected->id).status, "failed");
}

TEST_F(WorkflowEngineTest, TemporaryJobFailuresAreRetriedByTheQueueNotTheWorkflow) {
  auto w = engine_->Start("fails", {});
  RunJobs([](const std::string&) { return Unavailable("503"); });  // attempt 1 → delayed retry
  EXPECT_EQ(Get(w->id).status, "running");
  clock_.Advance(Millis(1000));
  RunJobs();  // attempt 2 succeeds
  EXPECT_EQ(Get(w->id).status, "completed");
}

TEST_F(WorkflowEngineTest, WaitForEventResolvesOnItsKeyOnly) {
  auto w = engine_->Start("waiting", {{"requestId", "req_1"}});
  EXPECT_EQ(Get(w->id).status, "waiting");
  EXPECT_EQ(Get(w->id).wait_key, "req:req_1");
  bus_->Publish("webhook.received", "req_2", {});
  EXPECT_EQ(Get(w->id).status, "waiting");
  bus_->Publish("webhook.received", "req_1", {{"confirmationCode", "C-42"}});
  EXPECT_EQ(Get(w->id).current_step, "notify");
  EXPECT_EQ(ContextOf(w->id).at("_steps").at("confirm").at("data").at("confirmationCode"), "C-42");
}

TEST_F(WorkflowEngineTest, WaitForEventTimesOutIntoOnTimeout) {
  auto w = engine_->Start("waiting", {{"requestId", "req_1"}});
  clock_.Advance(Millis(4999));
  engine_->RunDue();
  EXPECT_EQ(Get(w->id).status, "waiting");
  clock_.Advance(Millis(1));
  engine_->RunDue();
  EXPECT_EQ(Get(w->id).current_step, "manual");
  EXPECT_EQ(ContextOf(w->id).at("_steps").at("confirm").at("status"), "timed_out");
  bus_->Publish("webhook.received", "req_1", {});  // too late: ignored
  EXPECT_EQ(Get(w->id).current_step, "manual");
}

TEST_F(WorkflowEngineTest, ParallelAllWaitsForEveryBranch) {
  auto w = engine_->Start("parallel", {});
  auto jobs = queue_->Claim("wkr", 10, Millis(30'000));
  ASSERT_EQ(jobs->size(), 2u);
  engine_->OnFinished(queue_->Complete("wkr", {{(*jobs)[0].id, Status::Ok()}})->front());
  EXPECT_EQ(Get(w->id).current_step, "both");
  engine_->OnFinished(queue_->Complete("wkr", {{(*jobs)[1].id, Status::Ok()}})->front());
  EXPECT_EQ(Get(w->id).current_step, "notify");
}

TEST_F(WorkflowEngineTest, ParallelAllFailsOnAFailedBranch) {
  auto w = engine_->Start("parallel", {});
  RunJobs([](const std::string& type) { return type == "t.left" ? Status(InvalidArgument("no")) : Status::Ok(); });
  EXPECT_EQ(Get(w->id).status, "failed");
}

TEST_F(WorkflowEngineTest, ParallelAnyGoesOnAtTheFirstSuccess) {
  auto w = engine_->Start("parallel_any", {});
  auto jobs = queue_->Claim("wkr", 10, Millis(30'000));
  engine_->OnFinished(queue_->Complete("wkr", {{(*jobs)[0].id, InvalidArgument("no")}})->front());
  EXPECT_EQ(Get(w->id).current_step, "either");
  engine_->OnFinished(queue_->Complete("wkr", {{(*jobs)[1].id, Status::Ok()}})->front());
  EXPECT_EQ(Get(w->id).current_step, "notify");
}

TEST_F(WorkflowEngineTest, ScheduledStartAYearAheadSurvivesARestart) {
  const TimePoint start = clock_.Now() + Millis(365LL * 24 * 3600 * 1000);
  auto w = engine_->Start("flow", {{"route", "api"}}, start);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, "pending");
  clock_.Advance(Millis(31LL * 24 * 3600 * 1000));
  engine_->RunDue();
  EXPECT_EQ(Get(w->id).status, "pending");
  NewEngine();  // a restart
  ASSERT_TRUE(engine_->ResumeAll().ok());
  EXPECT_EQ(Get(w->id).status, "pending");
  EXPECT_TRUE(RunJobs().empty());
  clock_.Set(start);
  engine_->RunDue();
  EXPECT_EQ(Get(w->id).current_step, "validate");
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.validate"});
}

TEST_F(WorkflowEngineTest, ResumeAdvancesAJobThatFinishedWhileDown) {
  auto w = engine_->Start("flow", {{"route", "api"}});
  RunJobs(nullptr, /*report=*/false);  // the process died before the engine heard of it
  EXPECT_EQ(Get(w->id).current_step, "validate");
  NewEngine();
  ASSERT_TRUE(engine_->ResumeAll().ok());
  EXPECT_EQ(Get(w->id).current_step, "api");
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.api"});  // exactly one api job
}

TEST_F(WorkflowEngineTest, ResumeDoesNotDuplicateAPendingJob) {
  auto w = engine_->Start("flow", {{"route", "api"}});
  NewEngine();
  ASSERT_TRUE(engine_->ResumeAll().ok());
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.validate"});
  EXPECT_EQ(Get(w->id).current_step, "api");
}

TEST_F(WorkflowEngineTest, AbortRemovesTheUnstartedJob) {
  const TimePoint start = clock_.Now() + Millis(60'000);
  auto w = engine_->Start("flow", {{"route", "api"}}, start);
  ASSERT_TRUE(engine_->Abort(w->id, "user changed their mind").ok());
  EXPECT_EQ(Get(w->id).status, "aborted");
  clock_.Set(start);
  engine_->RunDue();
  EXPECT_TRUE(RunJobs().empty());
  EXPECT_EQ(engine_->Abort(w->id, "again").code(), Code::kFailedPrecondition);

  auto running = engine_->Start("flow", {{"route", "api"}});
  ASSERT_TRUE(engine_->Abort(running->id, "stop").ok());
  EXPECT_EQ(queue_->GetStats()->waiting, 0);  // its validate job was removed
}

TEST_F(WorkflowEngineTest, TransitionsArePersistedBeforeTheirEvent) {
  std::vector<std::string> seen;
  auto sub = bus_->Subscribe("workflow.step_completed", [&](const events::Event& e) {
    auto w = store_->GetWorkflow(std::string(e.data.at("workflowId").as_string()));
    auto ctx = json::parse(w->context).as_object();
    seen.push_back(std::string(ctx.at("_steps").at(e.data.at("step").as_string()).at("status").as_string()));
  });
  ASSERT_TRUE(engine_->Start("flow", {{"route", "api"}}).ok());
  RunJobs();
  EXPECT_EQ(seen, std::vector<std::string>{"succeeded"});
}

// A transition is one transaction: when a write an observer staged with it
// fails, neither the next job nor the instance's new state is stored, and no
// event of it is published. The job's result is not lost: after a restart the
// engine resumes the instance from its stored state.
class FailingObserver final : public WorkflowObserver {
 public:
  void OnStepStarted(store::WriteSet& set, const store::WorkflowInstance&, const Step& step) override {
    if (fail && step.name == "api") set.Add([](store::Transaction&) { return Unavailable("disk full"); });
  }
  bool fail = true;
};

TEST_F(WorkflowEngineTest, AFailedTransitionStoresAndPublishesNothing) {
  FailingObserver observer;
  engine_->AddObserver(&observer);
  auto w = engine_->Start("flow", {{"route", "api"}});
  ASSERT_TRUE(w.ok());
  log_.clear();
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.validate"});
  EXPECT_EQ(Get(w->id).current_step, "validate");  // not "api"
  EXPECT_EQ(Get(w->id).awaiting_job, w->awaiting_job);
  EXPECT_EQ(queue_->GetStats()->waiting, 0);       // no api job
  EXPECT_TRUE(log_.empty());                       // no step_completed

  observer.fail = false;
  NewEngine();
  engine_->AddObserver(&observer);
  ASSERT_TRUE(engine_->ResumeAll().ok());  // the validate job completed: the instance advances
  EXPECT_EQ(Get(w->id).current_step, "api");
  EXPECT_EQ(RunJobs(), std::vector<std::string>{"t.api"});
}

TEST(WorkflowDefinition, ValidateNamesTheProblem) {
  Definition d{"bad", "a", {JobStep("a", "t", "missing")}};
  EXPECT_NE(d.Validate().find("missing"), std::string::npos);
  Definition no_start{"bad", "nope", {JobStep("a", "t", "")}};
  EXPECT_NE(no_start.Validate().find("start"), std::string::npos);
  Definition ok{"ok", "a", {JobStep("a", "t", "")}};
  EXPECT_EQ(ok.Validate(), "");
}

}  // namespace
}  // namespace cancelflow::workflow

namespace cancelflow::workflow {
namespace {

using Types = std::vector<std::string>;

// A nested sequence runs as a child instance (entered by the timer), and its
// end advances the parent in the same transition.
TEST_F(WorkflowEngineTest, ANestedSequenceRunsAsAChildAndItsEndAdvancesTheParent) {
  auto w = engine_->Start("outer", {{"requestId", "req_1"}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(RunJobs(), Types{"t.a"});
  const std::string child = w->id + ".nested.1";
  EXPECT_EQ(Get(w->id).status, "waiting");
  EXPECT_EQ(Get(w->id).progress, 50);
  EXPECT_EQ(Get(child).status, "pending");
  EXPECT_EQ(RunJobs(), Types{});
  engine_->RunDue();  // the child enters its first step
  EXPECT_EQ(RunJobs(), Types{"t.x"});
  EXPECT_EQ(RunJobs(), Types{"t.y"});
  EXPECT_EQ(Get(child).status, "completed");
  EXPECT_EQ(Get(w->id).current_step, "c");
  EXPECT_EQ(RunJobs(), Types{"t.c"});
  EXPECT_EQ(Get(w->id).status, "completed");
  Context ctx = ContextOf(child);
  EXPECT_EQ(ctx.at("requestId"), "req_1");  // the parent's domain context
  EXPECT_EQ(ctx.at("_parent").at("workflowId"), w->id.c_str());
  EXPECT_FALSE(ctx.contains("_steps") && ctx.at("_steps").as_object().contains("a"));  // not the parent's bookkeeping
  EXPECT_EQ(ContextOf(w->id).at("_steps").at("nested").at("status"), "succeeded");
}

TEST_F(WorkflowEngineTest, AFailedNestedSequenceTakesItsStepsFailurePath) {
  auto w = engine_->Start("outer", {});
  RunJobs();
  engine_->RunDue();
  RunJobs();  // x
  EXPECT_EQ(RunJobs([](const std::string& type) {
              return type == "t.y" ? FailedPrecondition("y refused") : Status::Ok();
            }),
            Types{"t.y"});
  EXPECT_EQ(Get(w->id + ".nested.1").status, "failed");
  EXPECT_EQ(RunJobs(), Types{"t.recover"});
  EXPECT_EQ(Get(w->id).status, "completed");
  const std::string error = json::serialize(ContextOf(w->id).at("_steps").at("nested"));
  EXPECT_NE(error.find("y refused"), std::string::npos) << error;
}

TEST_F(WorkflowEngineTest, AParallelGroupWaitsForItsNestedSequenceBranch) {
  auto w = engine_->Start("fan", {});
  EXPECT_EQ(RunJobs(), Types{"t.b"});
  EXPECT_EQ(Get(w->id).current_step, "both");  // the nested branch is still running
  engine_->RunDue();
  EXPECT_EQ(RunJobs(), Types{"t.x"});
  EXPECT_EQ(RunJobs(), Types{"t.y"});
  EXPECT_EQ(RunJobs(), Types{"t.c"});
  EXPECT_EQ(Get(w->id).status, "completed");
}

TEST_F(WorkflowEngineTest, AbortingTheParentAbortsItsNestedSequence) {
  auto w = engine_->Start("outer", {});
  RunJobs();
  engine_->RunDue();  // the child waits for its t.x job
  ASSERT_TRUE(engine_->Abort(w->id, "user asked").ok());
  EXPECT_EQ(Get(w->id).status, "aborted");
  EXPECT_EQ(Get(w->id + ".nested.1").status, "aborted");
  EXPECT_EQ(RunJobs(), Types{});  // the child's unstarted job is gone
}

TEST_F(WorkflowEngineTest, ATimedOutNestedStepAbortsItsChild) {
  auto w = engine_->Start("slow_outer", {});
  engine_->RunDue();
  EXPECT_EQ(RunJobs(), Types{"t.x"});
  clock_.Advance(Millis(1001));
  engine_->RunDue();
  EXPECT_EQ(Get(w->id + ".nested.1").status, "aborted");
  EXPECT_EQ(RunJobs(), Types{"t.late"});
  EXPECT_EQ(Get(w->id).status, "completed");
}

TEST_F(WorkflowEngineTest, ANestedSequenceResumesAfterARestartAndStillAdvancesItsParent) {
  auto w = engine_->Start("outer", {});
  RunJobs();
  NewEngine();  // a restart while the child is pending
  ASSERT_TRUE(engine_->ResumeAll().ok());
  engine_->RunDue();
  EXPECT_EQ(RunJobs(), Types{"t.x"});
  NewEngine();  // and while it waits for its second job
  ASSERT_TRUE(engine_->ResumeAll().ok());
  EXPECT_EQ(RunJobs(), Types{"t.y"});
  EXPECT_EQ(RunJobs(), Types{"t.c"});
  EXPECT_EQ(Get(w->id).status, "completed");
}

// An `any` group decided by its job branch aborts the nested sequence still pending.
TEST_F(WorkflowEngineTest, ADecidedParallelGroupAbortsItsPendingNestedSequence) {
  auto w = engine_->Start("fan_any", {});
  EXPECT_EQ(RunJobs(), Types{"t.b"});  // the child has not started yet
  EXPECT_EQ(Get(w->id + ".seq.1").status, "aborted");
  engine_->RunDue();  // the aborted child is not entered
  EXPECT_EQ(RunJobs(), Types{"t.c"});
  EXPECT_EQ(Get(w->id).status, "completed");
}

// Aborting an instance in a parallel group removes the group's unstarted jobs.
TEST_F(WorkflowEngineTest, AbortingAParallelGroupRemovesItsUnstartedJobs) {
  auto w = engine_->Start("parallel", {});
  ASSERT_TRUE(engine_->Abort(w->id, "user asked").ok());
  EXPECT_EQ(RunJobs(), Types{});
}

TEST(WorkflowDefinition, ParallelBranchesAreJobsOrNestedSequences) {
  Step g;
  g.name = "g";
  g.kind = StepKind::kParallel;
  g.branches = {"s"};
  Step s = SequenceStep("s", "", "");
  EXPECT_NE(Definition({"d", "g", {g, s}}).Validate().find("names no definition"), std::string::npos);
  s.sequence = "inner";
  EXPECT_EQ(Definition({"d", "g", {g, s}}).Validate(), "");
  Step c;
  c.name = "s";
  c.kind = StepKind::kCondition;
  c.choose = [](const Context&) { return std::string(); };
  EXPECT_NE(Definition({"d", "g", {g, c}}).Validate().find("neither a job step nor a nested sequence"),
            std::string::npos);
}

}  // namespace
}  // namespace cancelflow::workflow
