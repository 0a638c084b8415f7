#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

#include "core/thread_name.h"
#include "realtime/sink.h"

namespace cancelflow::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr int kStreamSendBuffer = 64 * 1024;

Request Convert(const bhttp::request<bhttp::string_body>& in, const std::string& remote) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& f : in) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = std::string(f.value());
  }
  r.body = in.body();
  r.remote = remote;
  return r;
}

bhttp::response<bhttp::string_body> ToBeast(const Response& out, unsigned version,
                                            bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), version};
  res.set(bhttp::field::server, "cancelflow");
  if (!out.content_type.empty()) res.set(bhttp::field::content_type, out.content_type);
  for (const auto& [k, v] : out.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = out.body;
  res.prepare_payload();
  return res;
}

// An open event stream: the socket after the response head, a bounded queue of
// shared immutable chunks, and a one-byte read that notices the peer leaving.
// No coroutine frame, no timer, no buffer beyond what is queued: an idle
// stream costs the socket and this object. Send/Close may be called from any
// thread; everything else runs on the connection's strand.
class EventStream final : public realtime::Sink, public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(tcp::socket socket, std::function<void()> closed, size_t max_queued)
      : socket_(std::move(socket)), closed_(std::move(closed)), max_queued_(max_queued) {}

  void Start() { ReadProbe(); }

  bool Send(std::shared_ptr<const std::string> chunk) override {
    if (done_.load(std::memory_order_acquire)) return false;
    const size_t n = chunk->size();
    if (queued_.fetch_add(n, std::memory_order_relaxed) + n > max_queued_) {
      queued_.fetch_sub(n, std::memory_order_relaxed);
      return false;
    }
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), chunk = std::move(chunk)]() mutable {
                 self->Enqueue(std::move(chunk));
               });
    return true;
  }

  void Close() override {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Finish(); });
  }

  // Ends the stream: closes the socket, runs `closed` once. On the strand, or
  // once no I/O thread runs (server stop).
  void Finish() {
    if (finished_) return;
    finished_ = true;
    done_.store(true, std::memory_order_release);
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    pending_.clear();
    // `closed` may own what owns this stream (the Hub's entry): drop it after the call.
    if (closed_) std::exchange(closed_, nullptr)();
  }

 private:
  void Enqueue(std::shared_ptr<const std::string> chunk) {
    if (finished_) return;
    pending_.push_back(std::move(chunk));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    writing_ = true;
    inflight_.swap(pending_);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(inflight_.size());
    for (const auto& c : inflight_) buffers.emplace_back(asio::buffer(*c));
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](beast::error_code ec, size_t written) {
                        self->queued_.fetch_sub(written, std::memory_order_relaxed);
                        self->inflight_.clear();
                        self->writing_ = false;
                        if (ec) return self->Finish();
                        if (!self->pending_.empty() && !self->finished_) self->WriteNext();
                      });
  }

  void ReadProbe() {
    socket_.async_read_some(
        asio::buffer(&probe_, 1), [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Finish();  // the peer left (or Finish closed the socket)
          self->ReadProbe();              // a client has nothing to say here; ignore it
        });
  }

  tcp::socket socket_;
  std::function<void()> closed_;
  const size_t max_queued_;
  std::atomic<size_t> queued_{0};  // bytes accepted by Send and not yet written
  std::atomic<bool> done_{false};
  bool finished_ = false;
  bool writing_ = false;
  std::vector<std::shared_ptr<const std::string>> pending_;
  std::vector<std::shared_ptr<const std::string>> inflight_;
  char probe_ = 0;
};

std::string StreamHead(const Response& out) {
  std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nServer: cancelflow\r\nContent-Type: {}\r\n", out.status,
                  std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(out.status))),
                  out.content_type);
  for (const auto& [k, v] : out.headers) head += fmt::format("{}: {}\r\n", k, v);
  // No length: the body is the stream, and it ends when the connection closes.
  head += "Cache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n";
  return head + out.body;
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
    if (ec)
      return InvalidArgument(
          fmt::format("CANCELFLOW_ADDR: {:?} is not an IP address", options_.host));
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable(
          fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] {
      NameThisThread("http-io");
      io_.run();
    });
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    io_.stop();
    for (auto& t : threads_) t.join();
    workers_.join();
    // No I/O thread is left: end the open event streams here, which also
    // releases what their owners (the Hub) hold of them.
    std::vector<std::weak_ptr<EventStream>> streams;
    {
      std::lock_guard lock(streams_mu_);
      streams.swap(streams_);
    }
    for (auto& weak : streams) {
      if (auto stream = weak.lock()) stream->Finish();
    }
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
        auto res = ToBeast(JsonError(413, "payload_too_large", "request body is larger than 1 MiB"),
                           11, false);
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
      if (out.stream) {
        co_await OpenStream(std::move(stream), std::move(out));
        co_return;
      }
      auto res = ToBeast(out, req.version(), req.keep_alive());
      stream.expires_after(options_.idle_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive()) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Writes the head and first chunk of an event stream, then hands the socket
  // to an EventStream, and this coroutine (with its buffers) ends.
  asio::awaitable<void> OpenStream(beast::tcp_stream stream, Response out) {
    const auto head = std::make_shared<const std::string>(StreamHead(out));
    stream.expires_after(options_.idle_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(*head), kTuple);
    if (ec) {
      if (out.stream->closed) out.stream->closed();
      co_return;
    }
    stream.expires_never();
    // A fixed, modest kernel send buffer: what a stalled reader can hold up is
    // this plus the stream's own queue, not whatever TCP autotuning grants.
    beast::error_code opt_ec;
    stream.socket().set_option(asio::socket_base::send_buffer_size(kStreamSendBuffer), opt_ec);
    auto sink = std::make_shared<EventStream>(
        stream.release_socket(), std::move(out.stream->closed), options_.stream_buffer_limit);
    {
      std::lock_guard lock(streams_mu_);
      if (streams_.size() >= prune_at_) {  // amortised: prune when the list has doubled
        std::erase_if(streams_, [](const auto& w) { return w.expired(); });
        prune_at_ = std::max<size_t>(64, 2 * streams_.size());
      }
      streams_.push_back(sink);
    }
    if (out.stream->open) out.stream->open(sink);
    sink->Start();
  }

  ServerOptions options_;
  Handler handler_;
  asio::io_context io_;
  asio::thread_pool workers_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::vector<std::thread> threads_;
  std::mutex streams_mu_;
  std::vector<std::weak_ptr<EventStream>> streams_;  // open event streams; guarded by streams_mu_
  size_t prune_at_ = 64;                             // guarded by streams_mu_
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  auto server = std::make_unique<Server>(std::move(options), std::move(handler));
  CF_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace cancelflow::http
