// The HTTP API end to end: the real `cancelflow serve --demo` binary on its own
// SQLite file, talked to over loopback with libcurl and a raw SSE reader.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <boost/json.hpp>

#include "cancellation/http_client.h"
#include "testing/serve_process.h"
#include "testing/sse_client.h"

namespace cancelflow {
namespace {

namespace json = boost::json;
using cancellation::HttpHeaders;
using cancellation::HttpResponse;
using testing::kAdminToken;
using testing::ServeProcess;
using testing::SseClient;
using testing::TempDir;
using testing::WaitUntil;

class ApiTest : public ::testing::Test {
 protected:
  void Start(std::map<std::string, std::string> env = {}) {
    server_ = std::make_unique<ServeProcess>(dir_, std::move(env));
    ASSERT_TRUE(server_->ok()) << server_->Log();
  }

  // The service stops cleanly on SIGTERM (and, under the sanitizers, without reports).
  void StopServer() {
    if (!server_) return;
    EXPECT_EQ(server_->Stop(), 0) << server_->Log();
    server_.reset();
  }
  void TearDown() override { StopServer(); }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "", HttpHeaders headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    const bool typed = std::any_of(headers.begin(), headers.end(),
                                   [](const auto& h) { return h.first == "Content-Type"; });
    if (!body.empty() && method != "GET" && !typed)
      headers.emplace_back("Content-Type", "application/json");
    auto r =
        cancellation::HttpRequest(method, server_->base() + path, headers, body, Millis(10'000));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }

  static json::value Json(const HttpResponse& r) {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    return v;
  }

  // A user (via the admin route) and their token.
  std::string CreateUser(const std::string& id) {
    auto r = Call("POST", "/v1/users", kAdminToken,
                  R"({"id":")" + id + R"(","email":")" + id + R"(@example.com"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(Json(r).at("token").as_string());
  }

  void CreateSubscription(const std::string& token, const std::string& id,
                          const std::string& provider) {
    auto r = Call("POST", "/v1/subscriptions", token,
                  R"({"id":")" + id + R"(","provider":")" + provider + R"(","externalId":"ext-)" +
                      id + R"(","name":"Streaming"})");
    EXPECT_EQ(r.status, 201) << r.body;
  }

  std::string ErrorField(const HttpResponse& r) {
    auto v = Json(r);
    const auto* details = v.at("error").as_object().if_contains("details");
    return details ? std::string(details->at("field").as_string()) : "";
  }

  TempDir dir_;
  std::unique_ptr<ServeProcess> server_;
};

TEST_F(ApiTest, CancellationOverHttpStreamsProgressToEveryTabAndReplaysOnReconnect) {
  Start();
  const std::string token = CreateUser("alice");
  CreateSubscription(token, "sub_a1", "demo-instant");
  SseClient tab1(server_->port(), "/api/realtime/notifications",
                 {"Authorization: Bearer " + token});
  SseClient tab2(server_->port(), "/api/realtime/notifications?access_token=" + token);
  ASSERT_TRUE(WaitUntil([&] { return tab1.status() == 200 && tab2.status() == 200; }));
  EXPECT_NE(tab1.raw().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(tab1.raw().find("retry: "), std::string::npos);

  auto created = Call("POST", "/v1/cancellations", token, R"({"subscriptionId":"sub_a1"})");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string request_id(Json(created).at("requestId").as_string());

  ASSERT_TRUE(tab1.WaitFor("cancellation.completed")) << tab1.raw();
  ASSERT_TRUE(tab2.WaitFor("cancellation.completed")) << tab2.raw();
  const auto events = tab1.events();
  ASSERT_GE(events.size(), 3u);
  int64_t previous = 0;
  std::vector<std::string> types;
  for (const auto& e : events) {
    EXPECT_TRUE(e.event.empty()) << "named events never reach onmessage";
    const int64_t id = std::stoll(e.id);
    EXPECT_GT(id, previous);
    previous = id;
    auto data = json::parse(e.data).as_object();
    EXPECT_EQ(data.at("data").at("requestId").as_string(), request_id);
    types.emplace_back(data.at("type").as_string());
  }
  EXPECT_EQ(types.front(), "cancellation.progress");
  EXPECT_EQ(types.back(), "cancellation.completed");
  // The second tab did not replace the first: both saw the same notifications.
  const auto events2 = tab2.events();
  ASSERT_EQ(events2.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events2[i].id, events[i].id);

  // A reconnect after the first notification replays the rest, no gap, no duplicate.
  SseClient again(server_->port(), "/api/realtime/notifications",
                  {"Authorization: Bearer " + token, "Last-Event-ID: " + events.front().id});
  ASSERT_TRUE(again.WaitFor("cancellation.completed")) << again.raw();
  const auto replayed = again.events();
  ASSERT_EQ(replayed.size(), events.size() - 1);
  for (size_t i = 0; i < replayed.size(); ++i) EXPECT_EQ(replayed[i].id, events[i + 1].id);
  // ?lastEventId= does the same for clients that cannot set the header.
  SseClient by_query(server_->port(), "/api/realtime/notifications?access_token=" + token +
                                          "&lastEventId=" + events[1].id);
  ASSERT_TRUE(by_query.WaitFor("cancellation.completed"));
  EXPECT_EQ(by_query.events().size(), events.size() - 2);

  // The request and its timeline, oldest first.
  auto got = Call("GET", "/v1/cancellations/" + request_id, token);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Json(got).at("status"), "completed");
  EXPECT_EQ(Json(got).at("method"), "api");
  EXPECT_EQ(Json(got).at("progress"), 100);
  auto timeline = Call("GET", "/v1/cancellations/" + request_id + "/events", token);
  ASSERT_EQ(timeline.status, 200);
  const json::value timeline_json = Json(timeline);
  const auto& items = timeline_json.at("items").as_array();
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items.front().at("action"), "cancellation.requested");
  EXPECT_EQ(items.back().at("action"), "cancellation.completed");

  // The notification history holds what was streamed.
  auto history = Call("GET", "/v1/notifications?limit=100", token);
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(Json(history).at("items").as_array().size(), events.size());
}

TEST_F(ApiTest, SeedTestNotificationExampleWorksWithATokenAndOnlyInDevelopment) {
  Start();
  const std::string token = CreateUser("dev");
  SseClient stream(server_->port(), "/api/realtime/notifications?access_token=" + token);
  ASSERT_TRUE(WaitUntil([&] { return stream.status() == 200; }));
  const auto result = testing::RunCommand(
      "curl -s -X POST " + server_->base() +
      "/api/realtime/notifications -H 'Content-Type: application/json' -H 'Authorization: Bearer " +
      token +
      "' -d '{\"type\":\"system\",\"title\":\"Test Notification\",\"message\":\"This is a "
      "test\",\"priority\":"
      "\"high\"}'");
  ASSERT_EQ(result.exit_code, 0);
  const auto sent = json::parse(result.output);
  ASSERT_TRUE(stream.WaitFor("This is a test")) << stream.raw();
  EXPECT_NE(stream.events().back().data.find(std::string(sent.at("id").as_string())),
            std::string::npos);
  StopServer();

  server_ = std::make_unique<ServeProcess>(
      dir_, std::map<std::string, std::string>{{"CANCELFLOW_ENV", "production"}},
      std::vector<std::string>{"--demo"}, "prod");
  ASSERT_TRUE(server_->ok());
  auto r = Call("POST", "/api/realtime/notifications", kAdminToken,
                R"({"type":"system","title":"t","message":"m"})");
  EXPECT_EQ(r.status, 404);
}

TEST_F(ApiTest, AuthMatrixCoversEveryRoute) {
  Start();
  const std::string alice = CreateUser("alice");
  const std::string bob = CreateUser("bob");
  CreateSubscription(alice, "sub_alice", "demo-manual");
  auto created = Call("POST", "/v1/cancellations", alice, R"({"subscriptionId":"sub_alice"})");
  ASSERT_EQ(created.status, 202);
  const std::string req(Json(created).at("requestId").as_string());

  struct Route {
    std::string method, path;
    bool admin;
  };
  const std::vector<Route> routes = {
      {"POST", "/v1/users", true},
      {"GET", "/v1/users", true},
      {"POST", "/v1/subscriptions", false},
      {"GET", "/v1/subscriptions", false},
      {"GET", "/v1/subscriptions/sub_alice", false},
      {"GET", "/v1/providers", false},
      {"POST", "/v1/cancellations", false},
      {"GET", "/v1/cancellations", false},
      {"POST", "/v1/cancellations/bulk", false},
      {"GET", "/v1/cancellations/" + req, false},
      {"GET", "/v1/cancellations/" + req + "/events", false},
      {"POST", "/v1/cancellations/" + req + "/abort", false},
      {"POST", "/v1/cancellations/" + req + "/confirm", false},
      {"GET", "/v1/notifications", false},
      {"PUT", "/v1/notification-preferences", false},
      {"GET", "/api/realtime/notifications", false},
      {"POST", "/api/realtime/notifications", false},
      {"GET", "/v1/system/status", false},
      {"GET", "/v1/system/jobs/stats", true},
      {"GET", "/v1/system/jobs/failed", true},
      {"POST", "/v1/system/jobs/job_x/retry", true},
      {"GET", "/v1/system/metrics", true},
      {"GET", "/v1/system/realtime", true},
      {"GET", "/v1/system/events", false},
  };
  for (const auto& r : routes) {
    SCOPED_TRACE(r.method + " " + r.path);
    EXPECT_EQ(Call(r.method, r.path, "").status, 401);
    EXPECT_EQ(Call(r.method, r.path, "cf_not_a_real_token").status, 401);
    if (r.admin) {
      EXPECT_EQ(Call(r.method, r.path, bob, "{}").status, 403);
    }
  }
  // Another user's resources are 404, the same as unknown ids.
  for (const std::string& path :
       std::vector<std::string>{"/v1/subscriptions/sub_alice", "/v1/cancellations/" + req,
                                "/v1/cancellations/" + req + "/events"}) {
    EXPECT_EQ(Call("GET", path, bob).status, 404) << path;
    EXPECT_EQ(Call("GET", path, alice).status, 200) << path;
  }
  EXPECT_EQ(Call("POST", "/v1/cancellations/" + req + "/abort", bob, "{}").status, 404);
  EXPECT_EQ(Call("POST", "/v1/cancellations/" + req + "/confirm", bob, "{}").status, 404);
  EXPECT_EQ(Call("GET", "/v1/cancellations/req_unknown", bob).status, 404);
  auto bobs = Call("POST", "/v1/cancellations", bob, R"({"subscriptionId":"sub_alice"})");
  EXPECT_EQ(bobs.status, 404);
  EXPECT_EQ(Json(Call("GET", "/v1/cancellations", bob)).at("items").as_array().size(), 0u);
  EXPECT_EQ(Json(Call("GET", "/v1/cancellations", kAdminToken)).at("items").as_array().size(), 1u);
  // Public routes.
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Call("GET", "/readyz", "").status, 200);
  EXPECT_EQ(Call("GET", "/metrics", "").status, 200);
  // The manual request can be confirmed by its owner.
  ASSERT_TRUE(WaitUntil([&] {
    return Json(Call("GET", "/v1/cancellations/" + req, alice)).at("status") == "manual_required";
  }));
  auto confirmed =
      Call("POST", "/v1/cancellations/" + req + "/confirm", alice, R"({"confirmationCode":"ABC"})");
  EXPECT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(Json(confirmed).at("status"), "completed");
}

TEST_F(ApiTest, BadInputIsRefusedWithTheFieldNamed) {
  Start();
  const std::string token = CreateUser("carol");
  CreateSubscription(token, "sub_c", "demo-instant");
  struct Case {
    std::string method, path, body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/cancellations", "{not json", 400, "body"},
      {"POST", "/v1/cancellations", "[1,2]", 400, "body"},
      {"POST", "/v1/cancellations", "{}", 400, "subscriptionId"},
      {"POST", "/v1/cancellations", R"({"subscriptionId":42})", 400, "subscriptionId"},
      {"POST", "/v1/cancellations", R"({"subscriptionId":"sub_c","priority":"asap"})", 400,
       "priority"},
      {"POST", "/v1/cancellations", R"({"subscriptionId":"sub_c","preferredMethod":1})", 400,
       "preferredMethod"},
      {"POST", "/v1/cancellations", R"({"subscriptionId":"sub_c","scheduleFor":"tomorrow"})", 400,
       "scheduleFor"},
      {"POST", "/v1/cancellations",
       R"({"subscriptionId":"sub_c","scheduleFor":"2001-01-01T00:00:00Z"})", 400, "scheduleFor"},
      {"POST", "/v1/cancellations", R"({"subscriptionId":"sub_c","colour":"red"})", 400, "colour"},
      {"POST", "/v1/cancellations",
       R"({"subscriptionId":"sub_c","notificationPreferences":{"email":"yes"}})", 400,
       "notificationPreferences.email"},
      {"POST", "/v1/subscriptions", R"({"provider":"nope","externalId":"x","name":"n"})", 400,
       "provider"},
      {"POST", "/v1/subscriptions",
       R"({"provider":"demo-instant","externalId":"x","name":"n","amount":"9"})", 400, "amount"},
      {"POST", "/v1/cancellations/bulk", R"({"items":[]})", 400, "items"},
      {"PUT", "/v1/notification-preferences", R"({"realtime":"on"})", 400, "realtime"},
      {"GET", "/v1/cancellations?limit=0", "", 400, "limit"},
      {"GET", "/v1/cancellations?limit=abc", "", 400, "limit"},
      {"GET", "/v1/cancellations?status=bogus", "", 400, "status"},
      {"GET", "/v1/cancellations?cursor=garbage", "", 400, "cursor"},
      {"GET", "/v1/cancellations?sort=asc", "", 400, "sort"},
      {"GET", "/v1/notifications?after=-1", "", 400, "after"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path + " " + c.body);
    auto r = Call(c.method, c.path, token, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(Json(r).at("error").at("code"), "invalid_request");
    EXPECT_EQ(ErrorField(r), c.field) << r.body;
  }
  auto media = Call("POST", "/v1/cancellations", token, R"({"subscriptionId":"sub_c"})",
                    {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  auto big = Call("POST", "/v1/cancellations", token, std::string((1 << 20) + 10, ' '));
  EXPECT_EQ(big.status, 413);
  auto sse = Call("GET", "/api/realtime/notifications", token, "", {{"Last-Event-ID", "x1"}});
  EXPECT_EQ(sse.status, 400);
  // Nothing of the above was stored.
  EXPECT_EQ(Json(Call("GET", "/v1/cancellations", token)).at("items").as_array().size(), 0u);
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
}

TEST_F(ApiTest, IdempotencyConflictsBulkAndPaging) {
  Start();
  const std::string token = CreateUser("dave");
  CreateSubscription(token, "sub_d1", "demo-silent");
  const std::string body = R"({"subscriptionId":"sub_d1","priority":"high"})";
  auto first = Call("POST", "/v1/cancellations", token, body, {{"Idempotency-Key", "key-1"}});
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = Call("POST", "/v1/cancellations", token, body, {{"Idempotency-Key", "key-1"}});
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(Json(again).at("requestId"), Json(first).at("requestId"));
  auto changed = Call("POST", "/v1/cancellations", token, R"({"subscriptionId":"sub_d1"})",
                      {{"Idempotency-Key", "key-1"}});
  EXPECT_EQ(changed.status, 422);
  EXPECT_EQ(Json(changed).at("error").at("code"), "idempotency_mismatch");
  auto busy = Call("POST", "/v1/cancellations", token, body);
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(Json(busy).at("error").at("code"), "already_in_progress");
  EXPECT_EQ(Json(busy).at("error").at("details").at("requestId"), Json(first).at("requestId"));

  std::string items;
  for (int i = 0; i < 5; ++i) {
    CreateSubscription(token, "sub_b" + std::to_string(i), "demo-silent");
    items += R"({"subscriptionId":"sub_b)" + std::to_string(i) + R"("},)";
  }
  auto bulk = Call("POST", "/v1/cancellations/bulk", token,
                   R"({"items":[)" + items +
                       R"({"subscriptionId":"sub_missing"},{"subscriptionId":"sub_b0"},7]})");
  ASSERT_EQ(bulk.status, 202) << bulk.body;
  const json::value bulk_json = Json(bulk);
  const auto& results = bulk_json.at("results").as_array();
  ASSERT_EQ(results.size(), 8u);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(results[i].as_object().contains("requestId")) << results[i];
  ASSERT_TRUE(results[5].as_object().contains("error") && results[6].as_object().contains("error"))
      << bulk.body;
  EXPECT_EQ(results[5].at("error").at("code"), "not_found");
  EXPECT_EQ(results[6].at("error").at("code"), "already_in_progress");
  EXPECT_EQ(results[7].at("error").at("code"), "invalid_request");

  // Six requests, paged two at a time, newest first, each once.
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = Call(
        "GET", "/v1/cancellations?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
    ASSERT_EQ(page.status, 200) << page.body;
    auto v = Json(page);
    for (const auto& it : v.at("items").as_array())
      EXPECT_TRUE(seen.insert(std::string(it.at("requestId").as_string())).second);
    cursor = v.at("nextCursor").is_null() ? "" : std::string(v.at("nextCursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(pages, 3);

  // Once the provider has the request (here: the webhook went out), abort is a conflict.
  const std::string id(Json(first).at("requestId").as_string());
  ASSERT_TRUE(WaitUntil([&] {
    return Json(Call("GET", "/v1/cancellations/" + id, token)).at("currentStep") ==
           "await_confirmation";
  }));
  EXPECT_EQ(Call("POST", "/v1/cancellations/" + id + "/abort", token, "").status, 409);
  // A scheduled one can be aborted, once.
  CreateSubscription(token, "sub_d2", "demo-instant");
  auto scheduled = Call("POST", "/v1/cancellations", token,
                        R"({"subscriptionId":"sub_d2","scheduleFor":"2099-01-01T00:00:00Z"})");
  ASSERT_EQ(scheduled.status, 202) << scheduled.body;
  EXPECT_EQ(Json(scheduled).at("status"), "scheduled");
  const std::string later(Json(scheduled).at("requestId").as_string());
  auto aborted = Call("POST", "/v1/cancellations/" + later + "/abort", token, "");
  EXPECT_EQ(aborted.status, 200) << aborted.body;
  EXPECT_EQ(Json(aborted).at("status"), "aborted");
  EXPECT_EQ(Call("POST", "/v1/cancellations/" + later + "/abort", token, "").status, 409);
}

TEST_F(ApiTest, RateAndConnectionLimitsAnswer429) {
  Start(
      {{"RATE_LIMIT_RPS", "1"}, {"RATE_LIMIT_BURST", "3"}, {"SSE_MAX_CONNECTIONS_PER_USER", "2"}});
  const std::string token = CreateUser("erin");
  int ok = 0;
  HttpResponse limited;
  for (int i = 0; i < 6; ++i) {
    auto r = Call("GET", "/v1/subscriptions", token);
    if (r.status == 200) ++ok;
    if (r.status == 429) limited = r;
  }
  EXPECT_LE(ok, 4);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(Json(limited).at("error").at("code"), "rate_limited");
  EXPECT_GE(std::stoi(limited.Header("retry-after")), 1);
  // Another user has a bucket of their own.
  EXPECT_EQ(Call("GET", "/v1/system/status", kAdminToken).status, 200);

  StopServer();
  server_ = std::make_unique<ServeProcess>(
      dir_, std::map<std::string, std::string>{{"SSE_MAX_CONNECTIONS_PER_USER", "2"}},
      std::vector<std::string>{"--demo"}, "sse");
  ASSERT_TRUE(server_->ok());
  const std::string path = "/api/realtime/notifications?access_token=" + std::string(kAdminToken);
  SseClient one(server_->port(), path), two(server_->port(), path);
  ASSERT_TRUE(WaitUntil([&] { return one.status() == 200 && two.status() == 200; }));
  SseClient three(server_->port(), path);
  ASSERT_TRUE(WaitUntil([&] { return three.status() != 0; }));
  EXPECT_EQ(three.status(), 429);
  auto realtime = Call("GET", "/v1/system/realtime", kAdminToken);
  EXPECT_EQ(Json(realtime).at("connections"), 2);
}

TEST_F(ApiTest, ASlowReaderIsDroppedWhileTheOtherTabGetsEverything) {
  Start();
  const std::string token = CreateUser("slow");
  // A client that never reads, with a tiny receive window.
  const int stalled = socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(stalled, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string get =
      "GET /api/realtime/notifications?access_token=" + token + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(stalled, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  SseClient reader(server_->port(), "/api/realtime/notifications?access_token=" + token);
  ASSERT_TRUE(WaitUntil([&] {
    return reader.status() == 200 &&
           Json(Call("GET", "/v1/system/realtime", kAdminToken)).at("connections") == 2;
  }));

  // ~3 MiB of notifications: far more than the stalled stream may queue.
  const std::string filler(2000, 'x');
  constexpr int kCount = 1500;
  for (int i = 0; i < kCount; ++i) {
    auto r = Call("POST", "/api/realtime/notifications", token,
                  R"({"type":"system","title":"n)" + std::to_string(i) + R"(","message":")" +
                      filler + R"("})");
    ASSERT_EQ(r.status, 202) << r.body;
  }
  ASSERT_TRUE(reader.WaitFor("\"title\":\"n" + std::to_string(kCount - 1) + "\""));
  EXPECT_EQ(reader.events().size(), static_cast<size_t>(kCount));
  EXPECT_FALSE(reader.closed());
  auto stats = Json(Call("GET", "/v1/system/realtime", kAdminToken));
  EXPECT_EQ(stats.at("droppedSlowConsumers"), 1);
  EXPECT_EQ(stats.at("connections"), 1);
  // The stalled client finds its stream ended once it reads what was sent.
  timeval patience{30, 0};
  setsockopt(stalled, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  char buf[65536];
  ssize_t n = 0;
  while ((n = recv(stalled, buf, sizeof buf, 0)) > 0) {
  }
  EXPECT_EQ(n, 0);  // closed by the server, not timed out
  close(stalled);
}

TEST_F(ApiTest, MonitoringAndMetrics) {
  Start();
  const std::string token = CreateUser("frank");
  CreateSubscription(token, "sub_f", "demo-instant");
  ASSERT_EQ(Call("POST", "/v1/cancellations", token, R"({"subscriptionId":"sub_f"})").status, 202);
  ASSERT_TRUE(WaitUntil([&] {
    auto items = Json(Call("GET", "/v1/cancellations", token)).at("items").as_array();
    return !items.empty() && items[0].at("status") == "completed";
  }));
  auto status = Json(Call("GET", "/v1/system/status", token));
  EXPECT_EQ(status.at("status"), "healthy");
  EXPECT_EQ(status.at("checks").at("jobQueue").at("backend"), "sqlite");
  auto stats = Json(Call("GET", "/v1/system/jobs/stats", kAdminToken));
  EXPECT_GE(stats.at("completed").as_int64(), 3);
  EXPECT_TRUE(stats.at("byType").as_object().contains("cancellation.api"));
  auto metrics = Json(Call("GET", "/v1/system/metrics?timeframe=hour", kAdminToken));
  EXPECT_EQ(metrics.at("cancellations").at("completed"), 1);
  EXPECT_EQ(metrics.at("successRateByMethod").at("api").at("successRate"), 1.0);
  EXPECT_EQ(Call("GET", "/v1/system/metrics?timeframe=year", kAdminToken).status, 400);
  // Events: a user sees their own only, newest first, filtered by glob.
  auto mine = Json(Call("GET", "/v1/system/events?limit=100&actions=cancellation.*", token))
                  .at("items")
                  .as_array();
  ASSERT_FALSE(mine.empty());
  EXPECT_EQ(mine.front().at("action"), "cancellation.completed");
  for (const auto& e : mine) EXPECT_EQ(e.at("userId"), "frank");
  auto providers = Call("GET", "/v1/providers", token);
  EXPECT_NE(providers.body.find("demo-instant"), std::string::npos);
  EXPECT_EQ(providers.body.find("whsec_"), std::string::npos);  // no secrets

  auto prom = Call("GET", "/metrics", "");
  EXPECT_NE(prom.Header("content-type").find("text/plain"), std::string::npos);
  for (const char* name :
       {"cancelflow_http_requests_total{", "cancelflow_http_request_duration_seconds_bucket{",
        "cancelflow_jobs_total{type=\"cancellation.api\",outcome=\"completed\"} 1",
        "cancelflow_queue_jobs{state=\"waiting\"}", "cancelflow_sse_connections ",
        "cancelflow_events_published_total{type=\"cancellation.completed\"} 1",
        "cancelflow_workflow_duration_seconds_count{definition=\"cancellation.full_process\""}) {
    EXPECT_NE(prom.body.find(name), std::string::npos) << name;
  }
}

TEST_F(ApiTest, ReadinessAnswers503NamingTheFailingCheck) {
  Start();
  EXPECT_EQ(Call("GET", "/readyz", "").status, 200);
  // Another process holds the database's write lock: the service's writer
  // cannot commit (it gives up after its 5 s busy timeout), reads still work.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("serve.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = Call("GET", "/readyz", "");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Json(r).at("failing"), "jobQueue");
  EXPECT_EQ(Json(r).at("checks").at("database").at("status"), "ok");
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);  // the process itself still serves
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(Call("GET", "/readyz", "").status, 200);
}

TEST_F(ApiTest, MetricsTokenGuardsMetrics) {
  Start({{"METRICS_TOKEN", "scrape-secret"}});
  EXPECT_EQ(Call("GET", "/metrics", "").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "scrape-secret").status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
}

TEST_F(ApiTest, CliCreatesUsersAndTokensThatTheApiAccepts) {
  const std::string db = "sqlite://" + dir_.File("serve.db");
  auto created =
      testing::RunCommand(std::string(CANCELFLOW_BIN) +
                          " users create --id gina --email gina@example.com --database-url " + db);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  // The token is the last line (logging may precede it on stderr).
  auto last_line = [](std::string out) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  };
  const std::string first = last_line(created.output);
  EXPECT_EQ(first.rfind("cf_", 0), 0u);
  EXPECT_EQ(first.size(), 3u + 43u);
  auto second = testing::RunCommand(std::string(CANCELFLOW_BIN) +
                                    " tokens create --user gina --database-url " + db);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string token2 = last_line(second.output);
  EXPECT_NE(token2, first);
  EXPECT_NE(testing::RunCommand(std::string(CANCELFLOW_BIN) +
                                " tokens create --user nobody --database-url " + db)
                .exit_code,
            0);
  EXPECT_NE(
      testing::RunCommand(std::string(CANCELFLOW_BIN) +
                          " users create --id gina --email g@example.com --database-url " + db)
          .exit_code,
      0);
  Start();
  EXPECT_EQ(Call("GET", "/v1/subscriptions", first).status, 200);
  EXPECT_EQ(Call("GET", "/v1/subscriptions", token2).status, 200);
  EXPECT_EQ(Call("GET", "/v1/users", first).status, 403);
}

}  // namespace
}  // namespace cancelflow
