#include "http/server.h"

#include <algorithm>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace cancelflow::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Request Convert(const bhttp::request<bhttp::string_body>& in, const std::string& remote) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& f : in) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = std::string(f.value());
  }
  r.body = in.body();
  r.remote = remote;
  return r;
}

bhttp::response<bhttp::string_body> ToBeast(const Response& out, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), version};
  res.set(bhttp::field::server, "cancelflow");
  if (!out.content_type.empty()) res.set(bhttp::field::content_type, out.content_type);
  for (const auto& [k, v] : out.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = out.body;
  res.prepare_payload();
  return res;
}

class Server final : public HttpServer {
 public:
  Server(ServerOptions o, Handler h)
      : options_(std::move(o)),
        handler_(std::move(h)),
        io_(options_.io_threads),
        workers_(options_.worker_threads),
        acceptor_(asio::make_strand(io_)) {}
  ~Server() override { Stop(); }

  Status Listen() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument(fmt::format("CANCELFLOW_ADDR: {:?} is not an IP address", options_.host));
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable(fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    io_.stop();
    for (auto& t : threads_) t.join();
    workers_.join();
    beast::error_code ec;
    acceptor_.close(ec);  // no I/O thread is left to race with
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      // Each connection gets a strand of its own; the acceptor keeps its own too.
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::error_code remote_ec;
    const auto peer = socket.remote_endpoint(remote_ec);
    const std::string remote = remote_ec ? "" : peer.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      stream.expires_after(options_.idle_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options_.body_limit);
      parser.header_limit(16 * 1024);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (ec == bhttp::error::body_limit) {
        auto res = ToBeast(JsonError(413, "payload_too_large", "request body is larger than 1 MiB"), 11, false);
        co_await bhttp::async_write(stream, res, kTuple);
        break;
      }
      if (ec) break;  // closed, timed out, or not HTTP
      auto req = parser.release();
      Request request = Convert(req, remote);
      // The handler may block (store, queue): run it on the worker pool.
      Response out = co_await asio::co_spawn(
          workers_,
          [this, &request]() -> asio::awaitable<Response> {
            try {
              co_return handler_(request);
            } catch (const std::exception& e) {
              spdlog::error("{} {}: handler threw: {}", request.method, request.path, e.what());
              co_return JsonError(500, "internal", "internal error");
            }
          },
          asio::use_awaitable);
      auto res = ToBeast(out, req.version(), req.keep_alive());
      stream.expires_after(options_.idle_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive()) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  ServerOptions options_;
  Handler handler_;
  asio::io_context io_;
  asio::thread_pool workers_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::vector<std::thread> threads_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  auto server = std::make_unique<Server>(std::move(options), std::move(handler));
  CF_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace cancelflow::http
