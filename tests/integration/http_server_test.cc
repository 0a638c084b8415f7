// The HTTP server over real loopback: handlers get the request as sent,
// errors in a handler become a JSON 500, oversized bodies a 413, and the
// server keeps serving afterwards.
#include "http/server.h"

#include <gtest/gtest.h>

#include "cancellation/http_client.h"

namespace cancelflow::http {
namespace {

using cancellation::HttpRequest;

TEST(HttpServer, ServesHandlersAndTurnsFailuresIntoJsonErrors) {
  auto server = HttpServer::Start({.port = 0}, [](const Request& req) -> Response {
    if (req.path == "/throw") throw std::runtime_error("boom: secret-ish detail");
    Response r;
    r.body = "{\"method\":\"" + req.method + "\",\"query\":\"" + req.query + "\",\"header\":\"" +
             req.Header("x-test") + "\",\"size\":" + std::to_string(req.body.size()) + "}";
    return r;
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());

  auto ok = HttpRequest("POST", base + "/echo?a=1", {{"X-Test", "yes"}}, "hello", Millis(5000));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, R"({"method":"POST","query":"a=1","header":"yes","size":5})");

  auto boom = HttpRequest("GET", base + "/throw", {}, "", Millis(5000));
  ASSERT_TRUE(boom.ok());
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->body.find("secret-ish"), std::string::npos);  // no internals leak
  EXPECT_NE(boom->body.find("\"code\":\"internal\""), std::string::npos);

  auto big = HttpRequest("POST", base + "/echo", {}, std::string((1 << 20) + 1, 'x'), Millis(5000));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 413);

  auto after = HttpRequest("GET", base + "/echo", {}, "", Millis(5000));  // still serving
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
  (*server)->Stop();
}

TEST(HttpServer, RefusesAnAddressItCannotListenOn) {
  auto first = HttpServer::Start({.port = 0}, [](const Request&) { return Response{}; });
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::Start({.port = (*first)->port()}, [](const Request&) { return Response{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  auto bad = HttpServer::Start({.host = "not-an-ip", .port = 0}, [](const Request&) { return Response{}; });
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace cancelflow::http
