// The HTTP layer's pure pieces: field validation, error mapping, the rate
// limiter, tokens, and the tRPC/superjson wire format.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/fake_clock.h"
#include "http/auth.h"
#include "http/fields.h"
#include "http/rate_limiter.h"
#include "http/trpc.h"

namespace cancelflow::http {
namespace {

namespace json = boost::json;

Request JsonRequest(std::string body, std::string type = "application/json") {
  Request r;
  r.method = "POST";
  r.headers["content-type"] = std::move(type);
  r.body = std::move(body);
  return r;
}

TEST(Fields, ReadsTypedValuesAndNamesTheFirstBadField) {
  json::object o =
      json::parse(R"({"a":"x","b":true,"n":2.5,"t":"2026-12-04T15:00:00Z","extra":1})").as_object();
  Fields f(o);
  EXPECT_EQ(f.RequiredString("a"), "x");
  EXPECT_EQ(f.Bool("b"), true);
  EXPECT_EQ(f.Number("n"), 2.5);
  EXPECT_EQ(f.Time("t"), ParseRfc3339("2026-12-04T15:00:00.000Z"));
  EXPECT_FALSE(f.String("missing").has_value());
  const Status s = f.Finish();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.reason(), "extra");  // unknown fields are refused by name

  json::object bad = json::parse(R"({"a":1,"b":"yes"})").as_object();
  Fields g(bad);
  g.RequiredString("a");
  g.Bool("b");
  g.RequiredString("c");
  EXPECT_EQ(g.Finish().reason(), "a");  // the first bad one
}

TEST(Fields, EnumsAndLimits) {
  json::object o = json::parse(R"({"p":"asap","s":"toolong"})").as_object();
  Fields f(o);
  EXPECT_FALSE(f.Enum("p", {"low", "high"}).has_value());
  f.String("s", 3);
  EXPECT_EQ(f.Finish().reason(), "p");
}

TEST(Fields, BodyMustBeJsonObjectOfJsonType) {
  EXPECT_EQ(HttpErrorOf(ParseJsonBody(JsonRequest("{}", "text/plain")).status()).first, 415);
  EXPECT_TRUE(ParseJsonBody(JsonRequest("{}", "application/json; charset=utf-8")).ok());
  EXPECT_EQ(ParseJsonBody(JsonRequest("{")).status().reason(), "body");
  EXPECT_EQ(ParseJsonBody(JsonRequest("[]")).status().reason(), "body");
}

TEST(Fields, QueryParametersAreDecodedAndChecked) {
  QueryFields q("limit=5&status=a%20b&x=1");
  EXPECT_EQ(q.Int("limit", 1, 10), 5);
  EXPECT_EQ(q.String("status"), "a b");
  EXPECT_EQ(q.Finish().reason(), "x");
  QueryFields r("limit=0");
  r.Int("limit", 1, 10);
  EXPECT_EQ(r.Finish().reason(), "limit");
  QueryFields bad("limit=%zz");
  EXPECT_FALSE(bad.Finish().ok());
}

TEST(Fields, ErrorResponsesFollowTheContract) {
  auto check = [](const Status& s, int status, const std::string& code) {
    Response r = ErrorResponse(s);
    EXPECT_EQ(r.status, status) << s.ToString();
    EXPECT_EQ(json::parse(r.body).at("error").at("code"), code.c_str());
  };
  check(FieldError("priority", "bad"), 400, "invalid_request");
  check(Unauthenticated("x"), 401, "unauthorized");
  check(PermissionDenied("x"), 403, "forbidden");
  check(NotFound("x"), 404, "not_found");
  check(AlreadyExists("x").WithReason("already_in_progress"), 409, "already_in_progress");
  check(Status(Code::kAborted, "x").WithReason("conflict"), 409, "conflict");
  check(FailedPrecondition("x").WithReason("idempotency_mismatch"), 422, "idempotency_mismatch");
  check(ResourceExhausted("x"), 429, "rate_limited");
  check(Unavailable("x"), 503, "unavailable");
  Response internal = ErrorResponse(Internal("sqlite said: secret path /var/x"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body.find("secret"), std::string::npos);
  EXPECT_EQ(json::parse(ErrorResponse(FieldError("priority", "bad")).body)
                .at("error")
                .at("details")
                .at("field"),
            "priority");
}

TEST(RateLimiter, BurstThenRefillWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter(2, 3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("u").has_value());
  auto wait = limiter.Take("u");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 1);
  EXPECT_FALSE(limiter.Take("v").has_value());  // per user
  clock.Advance(Millis(500));                   // one token at 2/s
  EXPECT_FALSE(limiter.Take("u").has_value());
  EXPECT_TRUE(limiter.Take("u").has_value());
  RateLimiter off(0, 0, clock);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(off.Take("u").has_value());
}

TEST(Auth, TokensAreRandomAndStoredAsSha256) {
  const std::string a = NewToken(), b = NewToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("cf_", 0), 0u);
  EXPECT_EQ(a.size(), 46u);  // cf_ + 43 base64url characters for 32 bytes
  EXPECT_EQ(a.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Trpc, SuperjsonMarksOurTimesAsDates) {
  json::value v = json::parse(
      R"({"timestamp":"2026-12-04T15:00:00.000Z","items":[{"at":"2026-12-04T15:00:00.000Z","name":"x"}],)"
      R"("a.b":"2026-12-04T15:00:00.000Z","metadata":{"t":"2026-12-04T15:00:00.000Z"},"text":"2026"})");
  json::value wrapped = trpc::SuperjsonWrap(v);
  EXPECT_EQ(wrapped.at("json"), v);
  const json::object& values = wrapped.at("meta").at("values").as_object();
  EXPECT_EQ(values.size(), 3u);
  EXPECT_EQ(values.at("timestamp"), json::array{"Date"});
  EXPECT_EQ(values.at("items.0.at"), json::array{"Date"});
  EXPECT_EQ(values.at("a\\.b"), json::array{"Date"});
  EXPECT_EQ(wrapped.at("meta").at("v"), 1);
  EXPECT_EQ(trpc::SuperjsonWrap(json::value(1)), json::parse(R"({"json":1})"));
  EXPECT_EQ(trpc::SuperjsonWrap(json::value("2026-12-04T15:00:00.000Z")).at("meta").at("values"),
            json::array{"Date"});
  EXPECT_EQ(trpc::SuperjsonUnwrap(json::parse(R"({"json":{"limit":5},"meta":{"values":{}}})")),
            json::parse(R"({"limit":5})"));
  EXPECT_EQ(trpc::SuperjsonUnwrap(json::parse(R"({"limit":5})")), json::parse(R"({"limit":5})"));
}

TEST(Trpc, ErrorCodesFollowTheTrpcTable) {
  EXPECT_EQ(trpc::ErrorCodeOf(InvalidArgument("x")).json_rpc, -32600);
  EXPECT_EQ(trpc::ErrorCodeOf(NotFound("x")).http_status, 404);
  EXPECT_EQ(trpc::ErrorCodeOf(NotFound("x")).json_rpc, -32004);
  EXPECT_EQ(trpc::ErrorCodeOf(Unauthenticated("x")).name, "UNAUTHORIZED");
  EXPECT_EQ(trpc::ErrorCodeOf(PermissionDenied("x")).json_rpc, -32003);
  EXPECT_EQ(trpc::ErrorCodeOf(ResourceExhausted("x")).json_rpc, -32029);
  EXPECT_EQ(trpc::ErrorCodeOf(Internal("x")).json_rpc, -32603);
  json::object shape =
      trpc::ErrorShape(trpc::ErrorCodeOf(NotFound("x")), "gone", "systemMonitoring.retryFailedJob");
  EXPECT_EQ(shape.at("data").at("path"), "systemMonitoring.retryFailedJob");
  EXPECT_EQ(shape.at("data").at("httpStatus"), 404);
}

}  // namespace
}  // namespace cancelflow::http
