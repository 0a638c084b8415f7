// The HTTP server over real loopback: handlers get the request as sent,
// errors in a handler become a JSON 500, oversized bodies a 413, and the
// server keeps serving afterwards.
#include "http/server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

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

// A client that sends half a request (or nothing) and goes quiet is cut off at
// the timeout, so slow or half-open clients cannot pin connections.
TEST(HttpServer, ClosesConnectionsThatStallMidRequest) {
  auto server = HttpServer::Start({.port = 0, .idle_timeout = std::chrono::seconds(1)},
                                  [](const Request&) { return Response{}; });
  ASSERT_TRUE(server.ok());
  for (const std::string partial : {"GET /healthz HTTP/1.1\r\nHost: x\r\n", ""}) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((*server)->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (!partial.empty()) {
      ASSERT_EQ(send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
    }
    timeval patience{10, 0};  // a bound for a broken build, far above the 1 s timeout
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    const auto start = std::chrono::steady_clock::now();
    char buf[256];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(n, 0) << "the server closes the connection";
    EXPECT_LT(waited, std::chrono::seconds(5));
    close(fd);
  }
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
