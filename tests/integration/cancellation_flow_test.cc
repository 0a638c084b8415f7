// End to end through the real service: SQLite file, job workers, workflow
// engine, the demo providers over real loopback HTTP, and signed confirmation
// webhooks coming back to cancelflow's HTTP server.
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/runtime.h"
#include "app/service.h"
#include "cancellation/http_client.h"
#include "cancellation/webhook_signature.h"
#include "core/ids.h"
#include "testing/smtp_sink.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace cancelflow {
namespace {

namespace json = boost::json;
using cancellation::InitiateRequest;

using testing::WaitUntil;

class CancellationFlowTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot(); }
  void TearDown() override { Shutdown(); }

  void Boot() {
    Config c;
    c.port = 0;
    c.database = {DatabaseKind::kSqlite, "sqlite://" + dir_.File("cf.db"), dir_.File("cf.db")};
    c.worker_concurrency = 4;
    c.job_processing_interval = Millis(100);
    c.environment = Environment::kTest;
    c.smtp_url = smtp_url_;
    auto rt = app::Runtime::Open(c, SystemClock::Get());
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
    auto svc = app::Service::Start(*rt_, {.demo = true});
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    svc_ = std::move(*svc);
  }
  void Shutdown() {
    if (svc_) svc_->Stop(Millis(5000));
    svc_.reset();
    rt_.reset();
  }

  std::string AddSubscription(const std::string& provider, const std::string& user = "usr_1") {
    if (!rt_->store().GetUser(user).ok()) {
      EXPECT_TRUE(rt_->store().CreateUser({user, user + "@example.com", "user", true, false, SystemClock::Get().Now()}).ok());
    }
    store::Subscription s;
    s.id = NewId("sub");
    s.user_id = user;
    s.provider = provider;
    s.external_id = "ext-" + s.id.substr(4);
    s.name = "Plan at " + provider;
    s.created_at = s.updated_at = SystemClock::Get().Now();
    EXPECT_TRUE(rt_->store().CreateSubscription(s).ok());
    return s.id;
  }

  cancellation::InitiateResult Initiate(InitiateRequest in, const std::string& user = "usr_1",
                                        std::optional<std::string> key = std::nullopt) {
    auto r = svc_->cancellations().InitiateCancellation(user, in, key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : cancellation::InitiateResult{};
  }

  store::CancellationRequest WaitForStatus(const std::string& id, const std::string& status,
                                           std::chrono::seconds patience = std::chrono::seconds(30)) {
    store::CancellationRequest last;
    WaitUntil([&] {
      auto r = rt_->store().GetCancellation(id);
      if (r.ok()) last = *r;
      return r.ok() && r->status == status;
    }, patience);
    EXPECT_EQ(last.status, status) << "request " << id << " at step " << last.current_step.value_or("-");
    return last;
  }

  json::array Attempts(const store::CancellationRequest& r) { return json::parse(r.attempts).as_array(); }

  std::vector<std::string> Timeline(const std::string& request_id) {
    EXPECT_TRUE(rt_->store().FlushAudit().ok());
    std::vector<std::string> out;
    auto rows = rt_->store().QueryAudit({.resource = request_id, .limit = 100, .oldest_first = true});
    EXPECT_TRUE(rows.ok());
    for (const auto& a : *rows) out.push_back(a.action);
    return out;
  }

  cancelflow::testing::TempDir dir_;
  std::optional<std::string> smtp_url_;
  std::unique_ptr<app::Runtime> rt_;
  std::unique_ptr<app::Service> svc_;
};

TEST_F(CancellationFlowTest, ApiSuccessCompletesInOneAttempt) {
  const std::string sub = AddSubscription("demo-instant");
  auto started = Initiate({.subscription_id = sub});
  EXPECT_EQ(started.status, "pending");
  auto r = WaitForStatus(started.request_id, "completed");
  EXPECT_EQ(r.method, "api");
  EXPECT_EQ(r.progress, 100);
  ASSERT_TRUE(r.confirmation_code.has_value());
  EXPECT_EQ(r.confirmation_code->substr(0, 5), "CONF-");
  auto attempts = Attempts(r);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].at("method"), "api");
  EXPECT_EQ(attempts[0].at("outcome"), "succeeded");
  EXPECT_EQ(rt_->store().GetSubscription(sub)->status, "cancelled");
  auto s = *rt_->store().GetSubscription(sub);
  EXPECT_EQ(svc_->mock_provider()->CancellationsOf(s.external_id), 1);

  // The event follows the saved status (persist, then emit): wait for it.
  std::vector<std::string> timeline;
  EXPECT_TRUE(WaitUntil([&] {
    timeline = Timeline(started.request_id);
    return std::find(timeline.begin(), timeline.end(), "cancellation.completed") != timeline.end();
  }));
  ASSERT_GE(timeline.size(), 3u);
  EXPECT_EQ(timeline.front(), "cancellation.requested");
  EXPECT_NE(std::find(timeline.begin(), timeline.end(), "cancellation.processing"), timeline.end());
  EXPECT_EQ(std::count(timeline.begin(), timeline.end(), "cancellation.completed"), 1);
  // The progress notifications the realtime stream will carry, ending with the final one.
  ASSERT_TRUE(WaitUntil([&] {
    auto n = rt_->store().ListNotifications("usr_1", 0, 100);
    return n.ok() && !n->empty() && n->back().type == "cancellation.completed";
  }));
  auto notes = *rt_->store().ListNotifications("usr_1", 0, 100);
  EXPECT_EQ(notes.front().type, "cancellation.progress");
  for (size_t i = 1; i < notes.size(); ++i) EXPECT_LT(notes[i - 1].seq, notes[i].seq);
}

TEST_F(CancellationFlowTest, TemporaryFailuresAreRetriedWithBackoffThenSucceed) {
  const std::string sub = AddSubscription("demo-flaky");
  auto started = Initiate({.subscription_id = sub});
  auto r = WaitForStatus(started.request_id, "completed");
  EXPECT_EQ(r.method, "api");
  ASSERT_TRUE(rt_->store().FlushAudit().ok());
  auto retries = rt_->store().QueryAudit({.action_globs = {"job.retrying"}, .limit = 10});
  ASSERT_EQ(retries->size(), 2u);  // two 503s, each retried after its backoff
  auto first = json::parse(retries->back().metadata).as_object();
  EXPECT_EQ(first.at("type"), "cancellation.api");
  EXPECT_EQ(first.at("error").at("class"), "temporary");
  EXPECT_EQ(svc_->mock_provider()->CancellationsOf(rt_->store().GetSubscription(sub)->external_id), 1);
}

TEST_F(CancellationFlowTest, ApiRefusalFallsBackToWebhookAndConfirmation) {
  const std::string sub = AddSubscription("demo-webhook");
  auto started = Initiate({.subscription_id = sub});
  auto r = WaitForStatus(started.request_id, "completed");
  EXPECT_EQ(r.method, "webhook");
  auto attempts = Attempts(r);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("method"), "api");
  EXPECT_EQ(attempts[0].at("outcome"), "failed");
  EXPECT_EQ(attempts[0].at("error").at("class"), "configuration");
  EXPECT_EQ(attempts[1].at("method"), "webhook");
  EXPECT_EQ(attempts[1].at("outcome"), "succeeded");
  EXPECT_TRUE(r.confirmation_code.has_value());
  auto timeline = Timeline(started.request_id);
  EXPECT_NE(std::find(timeline.begin(), timeline.end(), "webhook.received"), timeline.end());
}

// The provider confirms before the request waits for it (its outgoing webhook
// job is held back here by pausing the type): the confirmation is not lost —
// its job is retried until the request waits, and then completes it.
TEST_F(CancellationFlowTest, AConfirmationArrivingBeforeTheWaitIsKeptUntilTheRequestWaits) {
  ASSERT_TRUE(rt_->queue().Pause("cancellation.webhook").ok());
  const std::string sub = AddSubscription("demo-silent");  // never confirms by itself
  auto started = Initiate({.subscription_id = sub});
  ASSERT_TRUE(WaitUntil([&] { return rt_->store().GetCancellation(started.request_id)->current_step == "webhook"; },
                        std::chrono::seconds(30)));

  const std::string body = fmt::format(
      R"({{"type":"cancellation.confirmed","data":{{"requestId":"{}","confirmationCode":"EARLY-1"}}}})",
      started.request_id);
  const int64_t ts = ToUnixMillis(SystemClock::Get().Now()) / 1000;
  auto posted = cancellation::HttpRequest(
      "POST", fmt::format("http://127.0.0.1:{}/v1/webhooks/demo-silent", svc_->http_port()),
      {{"Content-Type", "application/json"},
       {"webhook-id", "msg_early"},
       {"webhook-timestamp", std::to_string(ts)},
       {"webhook-signature", *cancellation::SignStandardWebhook(demo::kDemoWebhookSecret, "msg_early", ts, body)}},
      body, Millis(5000));
  ASSERT_TRUE(posted.ok());
  ASSERT_EQ(posted->status, 202);

  // The confirmation's job finds the request not yet waiting and is retried.
  ASSERT_TRUE(WaitUntil([&] {
    EXPECT_TRUE(rt_->store().FlushAudit().ok());
    auto retrying = rt_->store().QueryAudit({.action_globs = {"job.retrying"}, .limit = 100});
    return retrying.ok() && std::any_of(retrying->begin(), retrying->end(), [](const store::AuditRecord& a) {
             return a.metadata.find("webhook.update_status") != std::string::npos;
           });
  }, std::chrono::seconds(30)));
  EXPECT_EQ(rt_->store().GetCancellation(started.request_id)->status, "processing");

  ASSERT_TRUE(rt_->queue().Resume("cancellation.webhook").ok());
  auto r = WaitForStatus(started.request_id, "completed");
  EXPECT_EQ(r.method, "webhook");
  EXPECT_EQ(r.confirmation_code, "EARLY-1");
  EXPECT_EQ(rt_->store().GetSubscription(sub)->status, "cancelled");
}

TEST_F(CancellationFlowTest, WebhookTimeoutLeadsToManualInstructions) {
  const std::string sub = AddSubscription("demo-silent");
  auto started = Initiate({.subscription_id = sub});
  auto r = WaitForStatus(started.request_id, "manual_required");
  EXPECT_EQ(r.method, "manual");
  ASSERT_TRUE(r.manual_instructions.has_value());
  auto instructions = json::parse(*r.manual_instructions).as_object();
  EXPECT_GE(instructions.at("steps").as_array().size(), 1u);
  auto attempts = Attempts(r);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[1].at("outcome"), "timed_out");
  EXPECT_EQ(rt_->store().GetSubscription(sub)->status, "active");

  auto confirmed = svc_->cancellations().ConfirmManual("usr_1", started.request_id, std::string("MAN-1"));
  ASSERT_TRUE(confirmed.ok());
  EXPECT_EQ(confirmed->status, "completed");
  EXPECT_EQ(rt_->store().GetCancellation(started.request_id)->confirmation_code, "MAN-1");
  EXPECT_EQ(rt_->store().GetSubscription(sub)->status, "cancelled");
}

TEST_F(CancellationFlowTest, ManualProviderAndPreferredManualNeverCallTheApi) {
  auto manual = Initiate({.subscription_id = AddSubscription("demo-manual")});
  WaitForStatus(manual.request_id, "manual_required");
  const std::string sub = AddSubscription("demo-instant");
  auto preferred = Initiate({.subscription_id = sub, .preferred_method = "manual"});
  auto r = WaitForStatus(preferred.request_id, "manual_required");
  EXPECT_EQ(Attempts(r).size(), 1u);
  EXPECT_EQ(svc_->mock_provider()->CancellationsOf(rt_->store().GetSubscription(sub)->external_id), 0);
}

TEST_F(CancellationFlowTest, HangingApiTimesOutAndEndsInManualHandling) {
  auto started = Initiate({.subscription_id = AddSubscription("demo-hang")});
  auto r = WaitForStatus(started.request_id, "manual_required", std::chrono::seconds(40));
  auto attempts = Attempts(r);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("outcome"), "failed");
  EXPECT_EQ(attempts[0].at("error").at("code"), "deadline_exceeded");
}

TEST_F(CancellationFlowTest, UserErrorsFailAtOnceAndEnqueueNothing) {
  const std::string sub = AddSubscription("demo-instant");
  const std::string other = AddSubscription("demo-instant", "usr_2");
  auto& svc = svc_->cancellations();
  const auto before = rt_->queue().GetStats()->waiting;
  EXPECT_EQ(svc.InitiateCancellation("usr_1", {.subscription_id = "sub_missing"}).status().code(), Code::kNotFound);
  EXPECT_EQ(svc.InitiateCancellation("usr_1", {.subscription_id = other}).status().code(), Code::kNotFound);
  auto past = svc.InitiateCancellation(
      "usr_1", {.subscription_id = sub, .schedule_for = SystemClock::Get().Now() - Millis(1000)});
  EXPECT_EQ(past.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(svc.InitiateCancellation("usr_1", {.subscription_id = sub, .priority = "asap"}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(rt_->queue().GetStats()->waiting, before);

  auto scheduled = Initiate({.subscription_id = sub, .schedule_for = SystemClock::Get().Now() + Millis(3'600'000)});
  auto again = svc.InitiateCancellation("usr_1", {.subscription_id = sub});
  EXPECT_EQ(again.status().reason(), "already_in_progress");
  ASSERT_TRUE(svc.Abort("usr_1", scheduled.request_id).ok());
  ASSERT_TRUE(rt_->store().SetSubscriptionStatus(sub, "cancelled", SystemClock::Get().Now()).ok());
  EXPECT_EQ(svc.InitiateCancellation("usr_1", {.subscription_id = sub}).status().reason(), "conflict");
}

TEST_F(CancellationFlowTest, SameIdempotencyKeyReturnsTheSameRequest) {
  const std::string sub = AddSubscription("demo-instant");
  auto first = Initiate({.subscription_id = sub}, "usr_1", "key-1");
  auto second = Initiate({.subscription_id = sub}, "usr_1", "key-1");
  EXPECT_EQ(first.request_id, second.request_id);
  EXPECT_EQ(first.workflow_id, second.workflow_id);
  auto mismatch = svc_->cancellations().InitiateCancellation("usr_1", {.subscription_id = sub, .priority = "high"},
                                                             std::string("key-1"));
  EXPECT_EQ(mismatch.status().reason(), "idempotency_mismatch");
  WaitForStatus(first.request_id, "completed");
}

TEST_F(CancellationFlowTest, ScheduledCancellationFiresAtItsTimeAndAbortedOneNever) {
  const std::string due = AddSubscription("demo-instant");
  const std::string aborted = AddSubscription("demo-instant");
  const auto at = SystemClock::Get().Now() + Millis(1500);
  auto a = Initiate({.subscription_id = due, .schedule_for = at});
  auto b = Initiate({.subscription_id = aborted, .schedule_for = at});
  EXPECT_EQ(a.status, "scheduled");
  EXPECT_GE(a.estimated_completion, at);
  ASSERT_TRUE(svc_->cancellations().Abort("usr_1", b.request_id).ok());
  auto r = WaitForStatus(a.request_id, "completed");
  EXPECT_GE(r.completed_at.value_or(TimePoint{}), at);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rt_->store().GetCancellation(b.request_id)->status, "aborted");
  EXPECT_EQ(svc_->mock_provider()->CancellationsOf(rt_->store().GetSubscription(aborted)->external_id), 0);
  EXPECT_EQ(svc_->cancellations().Abort("usr_1", a.request_id).status().reason(), "conflict");
}

TEST_F(CancellationFlowTest, CancellationAYearAheadStaysScheduledAcrossARestart) {
  const std::string sub = AddSubscription("demo-instant");
  auto a = Initiate({.subscription_id = sub, .schedule_for = SystemClock::Get().Now() + Millis(365LL * 86'400'000)});
  Shutdown();
  Boot();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = *rt_->store().GetCancellation(a.request_id);
  EXPECT_EQ(r.status, "scheduled");
  auto w = *rt_->store().GetWorkflow(a.workflow_id);
  EXPECT_EQ(w.status, "pending");
  EXPECT_TRUE(w.wake_at.has_value());
}

TEST_F(CancellationFlowTest, InboundWebhooksAreVerifiedAndReplaysRefused) {
  const std::string url = fmt::format("http://127.0.0.1:{}/v1/webhooks/demo-webhook", svc_->http_port());
  const std::string body = R"({"type":"subscription.cancelled","data":{"externalId":"ext-unknown"}})";
  const int64_t ts = ToUnixMillis(SystemClock::Get().Now()) / 1000;
  auto sign = [&](const std::string& id, int64_t at) {
    return *cancellation::SignStandardWebhook(demo::kDemoWebhookSecret, id, at, body);
  };
  auto post = [&](const cancellation::HttpHeaders& headers) {
    cancellation::HttpHeaders h = headers;
    h.emplace_back("Content-Type", "application/json");
    auto r = cancellation::HttpRequest("POST", url, h, body, Millis(5000));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->status : 0;
  };
  // No signature, a wrong one, an old timestamp: 401, and nothing is processed.
  EXPECT_EQ(post({}), 401);
  EXPECT_EQ(post({{"webhook-id", "msg_1"}, {"webhook-timestamp", std::to_string(ts)},
                  {"webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}),
            401);
  EXPECT_EQ(post({{"webhook-id", "msg_1"}, {"webhook-timestamp", std::to_string(ts - 600)},
                  {"webhook-signature", sign("msg_1", ts - 600)}}),
            401);
  EXPECT_EQ(post({{"webhook-id", "msg_1"}, {"webhook-timestamp", std::to_string(ts)},
                  {"webhook-signature", sign("msg_1", ts)}}),
            202);
  EXPECT_EQ(post({{"webhook-id", "msg_1"}, {"webhook-timestamp", std::to_string(ts)},
                  {"webhook-signature", sign("msg_1", ts)}}),
            401);  // replayed id
  ASSERT_TRUE(rt_->store().FlushAudit().ok());
  EXPECT_EQ(rt_->store().QueryAudit({.action_globs = {"webhook.rejected"}})->size(), 4u);
  auto started = rt_->store().QueryAudit({.action_globs = {"workflow.started"}});
  ASSERT_EQ(started->size(), 1u);  // one webhook.process, for the one valid delivery
  EXPECT_NE(started->front().metadata.find("webhook.process"), std::string::npos);
}

TEST_F(CancellationFlowTest, ReadinessNamesEveryCheck) {
  auto r = cancellation::HttpRequest("GET", fmt::format("http://127.0.0.1:{}/readyz", svc_->http_port()), {}, "",
                                     Millis(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  auto body = boost::json::parse(r->body).as_object();
  EXPECT_EQ(body.at("status"), "ready");
  for (const char* check : {"database", "jobQueue", "eventBus"}) {
    EXPECT_EQ(body.at("checks").at(check).at("status"), "ok") << check;
  }
}

class CancellationEmailTest : public CancellationFlowTest {
 protected:
  void SetUp() override {
    smtp_url_ = sink_.url();
    Boot();
  }
  cancelflow::testing::SmtpSink sink_;
};

TEST_F(CancellationEmailTest, CompletionEmailReachesTheSmtpServer) {
  auto started = Initiate({.subscription_id = AddSubscription("demo-instant"), .notify_email = true});
  WaitForStatus(started.request_id, "completed");
  ASSERT_TRUE(WaitUntil([&] { return !sink_.messages().empty(); }));
  auto m = sink_.messages().front();
  EXPECT_NE(m.rcpt.find("usr_1@example.com"), std::string::npos);
  EXPECT_NE(m.data.find("Subject: Subscription cancelled"), std::string::npos);
}

}  // namespace
}  // namespace cancelflow
