#include "demo/mock_provider.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cancellation/http_client.h"
#include "cancellation/webhook_signature.h"
#include "core/ids.h"
#include "core/json_util.h"
#include "core/thread_name.h"

namespace cancelflow::demo {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response Reply(const Request& req, http::status status, const json::value& body) {
  Response res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

class Server final : public MockProvider {
 public:
  explicit Server(MockProviderOptions o) : options_(std::move(o)), acceptor_(io_) {}
  ~Server() override { Stop(); }

  Status Listen() {
    beast::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(options_.host, ec), options_.port);
    if (ec) return InvalidArgument("mock provider: bad host " + options_.host);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable(fmt::format("mock provider: cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    port_ = acceptor_.local_endpoint().port();
    listen_fd_ = acceptor_.native_handle();
    accept_thread_ = std::thread([this] {
      NameThisThread("demo-accept");
      AcceptLoop();
    });
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  int CancellationsOf(const std::string& external_id) const override {
    std::lock_guard lock(mu_);
    auto it = cancelled_.find(external_id);
    return it == cancelled_.end() ? 0 : it->second;
  }

  int CallsWith(const std::string& key) const override {
    std::lock_guard lock(mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second;
  }

  void SetCallbackBaseUrl(const std::string& url) override {
    std::lock_guard lock(mu_);
    options_.callback_base_url = url;
  }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    // close() alone does not wake a thread blocked in accept(); shutdown() on
    // the descriptor does. The sockets are closed by their own threads.
    ::shutdown(listen_fd_, SHUT_RDWR);
    {
      std::lock_guard lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    if (accept_thread_.joinable()) accept_thread_.join();
    beast::error_code ec;
    acceptor_.close(ec);
    for (;;) {  // a session may still start a confirmation while the others are joined
      std::map<uint64_t, std::thread> threads;
      {
        std::lock_guard lock(mu_);
        threads.swap(threads_);
      }
      if (threads.empty()) break;
      for (auto& [id, t] : threads) t.join();
    }
  }

 private:
  // Runs fn on a thread of its own, joined by the accept loop once it ended (so
  // a long-running demo keeps no thread per past connection) or by Stop.
  template <typename Fn>
  void SpawnLocked(const char* name, Fn fn) {
    const uint64_t id = next_thread_++;
    // Started under mu_: the thread cannot report its end before it is in threads_.
    threads_.emplace(id, std::thread([this, id, name, fn = std::move(fn)]() mutable {
                       NameThisThread(name);
                       fn();
                       std::lock_guard done(mu_);
                       ended_.push_back(id);
                     }));
  }

  // The threads that ended, out of threads_, to be joined without mu_.
  std::vector<std::thread> TakeEndedLocked() {
    std::vector<std::thread> out;
    for (uint64_t id : ended_) {
      if (auto it = threads_.find(id); it != threads_.end()) {
        out.push_back(std::move(it->second));
        threads_.erase(it);
      }
    }
    ended_.clear();
    return out;
  }

  void AcceptLoop() {
    while (!stopping_) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        continue;
      }
      std::vector<std::thread> ended;
      {
        std::lock_guard lock(mu_);
        ended = TakeEndedLocked();
        SpawnLocked("demo-session", [this, s = std::move(socket)]() mutable { Session(std::move(s)); });
      }
      for (auto& t : ended) t.join();
    }
  }

  void Session(tcp::socket socket) {
    const int fd = socket.native_handle();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      open_fds_.push_back(fd);
    }
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      Request req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      Response res = Handle(req);
      http::write(socket, res, ec);
      if (ec || !res.keep_alive()) break;
    }
    {
      std::lock_guard lock(mu_);
      std::erase(open_fds_, fd);
    }
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }

  Response Handle(const Request& req) {
    const std::string target(req.target());
    if (req.method() == http::verb::get && target == "/_stats") return Stats(req);
    const auto slash = target.find('/', 1);
    if (req.method() != http::verb::post || slash == std::string::npos) {
      return Reply(req, http::status::not_found, {{"error", "not found"}});
    }
    const std::string provider = target.substr(1, slash - 1);
    const std::string route = target.substr(slash);
    json::error_code ec;
    auto body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) return Reply(req, http::status::bad_request, {{"error", "body is not JSON"}});
    if (route == "/api/cancel") return Api(req, provider, body.as_object());
    if (route == "/webhook") return Webhook(req, provider, body.as_object());
    return Reply(req, http::status::not_found, {{"error", "not found"}});
  }

  Response Api(const Request& req, const std::string& provider, const json::object& body) {
    const std::string key(req[std::string_view("Idempotency-Key")]);
    const std::string external = StringMember(body, "externalId");
    if (key.empty() || external.empty()) {
      return Reply(req, http::status::bad_request, {{"error", "Idempotency-Key and externalId are required"}});
    }
    int calls;
    {
      std::lock_guard lock(mu_);
      calls = ++calls_[key];
    }
    if (provider == "demo-flaky" && calls <= 2) {
      return Reply(req, http::status::service_unavailable, {{"error", "try again"}});
    }
    if (provider == "demo-webhook" || provider == "demo-silent") {
      return Reply(req, http::status::bad_request, {{"error", "cancellation through the API is not supported"}});
    }
    if (provider == "demo-hang") {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.hang, [&] { return stopping_.load(); });
    } else if (provider != "demo-instant" && provider != "demo-flaky") {
      return Reply(req, http::status::not_found, {{"error", "unknown provider"}});
    }
    return Reply(req, http::status::ok, {{"status", "cancelled"}, {"confirmationCode", Cancel(key, external)}});
  }

  // A provider cancels once per idempotency key, and says so again on a repeat.
  std::string Cancel(const std::string& key, const std::string& external) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = codes_.try_emplace(key, "CONF-" + key.substr(key.size() > 8 ? key.size() - 8 : 0));
    if (fresh) ++cancelled_[external];
    return it->second;
  }

  Response Webhook(const Request& req, const std::string& provider, const json::object& body) {
    const cancellation::StandardWebhookHeaders h{std::string(req["webhook-id"]), std::string(req["webhook-timestamp"]),
                                                 std::string(req["webhook-signature"])};
    if (Status s = cancellation::VerifyStandardWebhook({options_.webhook_secret}, h, req.body(), SystemClock::Get().Now());
        !s.ok()) {
      return Reply(req, http::status::unauthorized, {{"error", s.message()}});
    }
    if (provider != "demo-webhook" && provider != "demo-silent") {
      return Reply(req, http::status::not_found, {{"error", "unknown provider"}});
    }
    std::string callback;
    {
      std::lock_guard lock(mu_);
      callback = options_.callback_base_url;
    }
    if (provider == "demo-webhook" && !callback.empty()) {
      const auto* data = body.if_contains("data");
      if (data != nullptr && data->is_object()) {
        const auto& d = data->as_object();
        // A peer's JSON: a member of the wrong type reads as absent, never throws.
        const std::string request_id = StringMember(d, "requestId");
        const std::string external = StringMember(d, "externalId");
        const std::string code = Cancel(h.id, external);
        std::lock_guard lock(mu_);
        SpawnLocked("demo-confirm",
                    [this, callback, request_id, external, code] { Confirm(callback, request_id, external, code); });
      }
    }
    return Reply(req, http::status::accepted, {{"status", "accepted"}});
  }

  // Tells cancelflow, by a signed webhook, that the cancellation is done.
  void Confirm(const std::string& callback, const std::string& request_id, const std::string& external,
               const std::string& code) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.confirm_delay, [&] { return stopping_.load(); })) return;
    }
    const std::string body = json::serialize(json::object{
        {"type", "cancellation.confirmed"},
        {"data", {{"externalId", external}, {"requestId", request_id}, {"confirmationCode", code}}}});
    const std::string id = NewId("msg");
    const int64_t ts = ToUnixMillis(SystemClock::Get().Now()) / 1000;
    auto sig = cancellation::SignStandardWebhook(options_.webhook_secret, id, ts, body);
    if (!sig) return;
    auto resp = cancellation::HttpRequest(
        "POST", callback + "/v1/webhooks/demo-webhook",
        {{"Content-Type", "application/json"}, {"webhook-id", id}, {"webhook-timestamp", std::to_string(ts)},
         {"webhook-signature", *sig}},
        body, Millis(5000));
    if (!resp || resp->status >= 300) {
      spdlog::warn("demo-webhook: confirming {} failed: {}", request_id,
                   resp ? fmt::format("HTTP {}", resp->status) : resp.status().ToString());
    }
  }

  Response Stats(const Request& req) {
    std::lock_guard lock(mu_);
    json::object calls, cancelled;
    for (const auto& [k, v] : calls_) calls[k] = v;
    for (const auto& [k, v] : cancelled_) cancelled[k] = v;
    return Reply(req, http::status::ok, {{"calls", calls}, {"cancelled", cancelled}});
  }

  MockProviderOptions options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::thread> threads_;          // sessions and confirmations, by number; guarded by mu_
  std::vector<uint64_t> ended_;                      // threads whose work is done; guarded by mu_
  uint64_t next_thread_ = 0;                         // guarded by mu_
  std::vector<int> open_fds_;                        // guarded by mu_
  std::map<std::string, int> calls_;                 // by idempotency key; guarded by mu_
  std::map<std::string, std::string> codes_;         // by idempotency key; guarded by mu_
  std::map<std::string, int> cancelled_;             // by external id; guarded by mu_
};

}  // namespace

std::string MockProvider::base_url() const { return fmt::format("http://127.0.0.1:{}", port()); }

Result<std::unique_ptr<MockProvider>> MockProvider::Start(MockProviderOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  CF_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<MockProvider>(std::move(server));
}

std::string DemoProvidersJson(const std::string& base, const std::string& secret, Millis confirmation_timeout) {
  auto api = [&](const std::string& name, int timeout_ms) {
    return json::object{{"url", base + "/" + name + "/api/cancel"},
                        {"method", "POST"},
                        {"timeoutMs", timeout_ms},
                        {"body", {{"externalId", "{{externalId}}"}, {"reason", "{{reason}}"}}}};
  };
  auto webhook = [&](const std::string& name) {
    return json::object{{"url", base + "/" + name + "/webhook"},
                        {"signingSecret", secret},
                        {"confirmationTimeoutMs", confirmation_timeout.count()},
                        {"inboundSecrets", json::array{secret}}};
  };
  auto manual = [&](const std::string& name) {
    return json::object{{"steps", json::array{"Sign in at https://" + name + ".example/account.",
                                              "Open Billing and choose Cancel subscription.",
                                              "Confirm, and note the confirmation number."}},
                        {"url", "https://" + name + ".example/account"},
                        {"phone", "+1-555-0100"}};
  };
  json::object providers{
      {"demo-instant", {{"displayName", "Demo Instant"}, {"api", api("demo-instant", 5000)}, {"manual", manual("demo-instant")}}},
      {"demo-flaky", {{"displayName", "Demo Flaky"}, {"api", api("demo-flaky", 5000)}, {"manual", manual("demo-flaky")}}},
      {"demo-webhook",
       {{"displayName", "Demo Webhook"}, {"api", api("demo-webhook", 5000)}, {"webhook", webhook("demo-webhook")},
        {"manual", manual("demo-webhook")}}},
      {"demo-silent",
       {{"displayName", "Demo Silent"}, {"api", api("demo-silent", 5000)}, {"webhook", webhook("demo-silent")},
        {"manual", manual("demo-silent")}}},
      {"demo-manual", {{"displayName", "Demo Manual"}, {"manual", manual("demo-manual")}}},
      {"demo-hang", {{"displayName", "Demo Hang"}, {"api", api("demo-hang", 500)}, {"manual", manual("demo-hang")}}},
  };
  return json::serialize(json::object{{"providers", std::move(providers)}});
}

}  // namespace cancelflow::demo
