// End-to-end latency over the HTTP API: POST /v1/cancellations paced at a
// given rate over keep-alive connections, against a running `cancelflow serve
// --demo`, while one SSE stream of the same user (GET /api/realtime/notifications)
// receives the `cancellation.completed` notifications. Latency is from sending
// the POST to reading that request's notification on the stream: request
// parsing, auth, the workflow with its provider call, the notification, SSE.
// Loopback only; stops by itself (every request answered and completed, or a
// deadline). Driven by bench/api_latency.sh, which prepares the subscriptions
// `<prefix>1` … `<prefix>N`.
//   api_latency --port P --token T --count N --rate R [--connections C] [--prefix sub_load_]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};  // nothing here waits longer than the server's answer
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// The string value of "key":"…" in a JSON text, or "".
std::string JsonString(const std::string& text, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto from = at + needle.size();
  const auto to = text.find('"', from);
  return to == std::string::npos ? "" : text.substr(from, to - from);
}

// Reads one HTTP response (Content-Length framed) from a keep-alive socket.
// Returns the status (0 on a broken connection) and the body.
int ReadResponse(int fd, std::string& pending, std::string& body) {
  char tmp[16384];
  for (;;) {
    const auto head_end = pending.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto cl = pending.find("Content-Length: ");
      const size_t length = cl != std::string::npos && cl < head_end ? std::stoul(pending.substr(cl + 16)) : 0;
      if (pending.size() >= head_end + 4 + length) {
        const int status = pending.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(pending.substr(9, 3)) : 0;
        body = pending.substr(head_end + 4, length);
        pending.erase(0, head_end + 4 + length);
        return status;
      }
    }
    const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    pending.append(tmp, static_cast<size_t>(n));
  }
}

struct Times {
  Clock::time_point sent, completed;
  bool has_sent = false, has_completed = false;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cancelflow end-to-end API latency driver"};
  int port = 0, count = 0, connections = 8;
  double rate = 0;
  std::string token, prefix = "sub_load_";
  app.add_option("--port", port)->required();
  app.add_option("--token", token)->required();
  app.add_option("--count", count)->required();
  app.add_option("--rate", rate, "requests per second, all connections together")->required();
  app.add_option("--connections", connections);
  app.add_option("--prefix", prefix, "subscription ids are <prefix>1 … <prefix>N");
  CLI11_PARSE(app, argc, argv);

  std::mutex mu;
  std::unordered_map<std::string, Times> by_request;  // guarded by mu
  std::atomic<int> completed{0}, failed{0};
  std::atomic<bool> stop{false};

  // The stream first, so that no completion is missed.
  const int sse = Connect(port);
  if (sse < 0) return std::fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", port), 1;
  const std::string get = "GET /api/realtime/notifications?access_token=" + token +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  send(sse, get.data(), get.size(), MSG_NOSIGNAL);
  std::string first;
  char tmp[65536];
  while (first.find("retry:") == std::string::npos) {
    const ssize_t n = recv(sse, tmp, sizeof tmp, 0);
    if (n <= 0) return std::fprintf(stderr, "the stream did not open\n"), 1;
    first.append(tmp, static_cast<size_t>(n));
  }
  if (first.rfind("HTTP/1.1 200", 0) != 0) return std::fprintf(stderr, "stream: %.60s\n", first.c_str()), 1;
  std::atomic<bool> stream_closed{false};
  std::thread reader([&] {
    std::string buf;
    while (!stop) {
      const ssize_t n = recv(sse, tmp, sizeof tmp, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        stream_closed = true;  // e.g. dropped as a slow reader: the figures would be wrong
        return;
      }
      if (n < 0) continue;  // the receive timeout lets it notice `stop`
      const auto now = Clock::now();
      buf.append(tmp, static_cast<size_t>(n));
      size_t from = 0, line_end;
      while ((line_end = buf.find('\n', from)) != std::string::npos) {
        const std::string_view line(buf.data() + from, line_end - from);
        from = line_end + 1;
        if (!line.starts_with("data: ") || line.find("\"type\":\"cancellation.completed\"") == std::string::npos) {
          continue;
        }
        const std::string id = JsonString(std::string(line), "requestId");
        std::lock_guard lock(mu);
        Times& t = by_request[id];
        if (!t.has_completed) {
          t.completed = now;
          t.has_completed = true;
          ++completed;
        }
      }
      buf.erase(0, from);
    }
  });

  const auto t0 = Clock::now() + std::chrono::milliseconds(100);
  std::atomic<int> next{0};
  std::vector<std::thread> posters;
  for (int c = 0; c < connections; ++c) {
    posters.emplace_back([&] {
      const int fd = Connect(port);
      if (fd < 0) return;
      std::string pending, body;
      for (int i; (i = next.fetch_add(1)) < count;) {
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
        const std::string json = "{\"subscriptionId\":\"" + prefix + std::to_string(i + 1) + "\"}";
        const std::string req = "POST /v1/cancellations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                                "\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(json.size()) + "\r\n\r\n" + json;
        const auto sent = Clock::now();
        send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        const int status = ReadResponse(fd, pending, body);
        const std::string id = JsonString(body, "requestId");
        if (status != 202 || id.empty()) {
          if (++failed <= 3) std::fprintf(stderr, "POST answered %d: %.120s\n", status, body.c_str());
          if (status == 0) break;
          continue;
        }
        std::lock_guard lock(mu);
        Times& t = by_request[id];
        t.sent = sent;
        t.has_sent = true;
      }
      close(fd);
    });
  }
  for (auto& t : posters) t.join();
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (completed + failed < count && !stream_closed && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (stream_closed) std::fprintf(stderr, "the server closed the stream before every completion arrived\n");
  stop = true;
  reader.join();
  close(sse);

  std::vector<double> ms;
  Clock::time_point last = t0;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, t] : by_request) {
      if (!t.has_sent || !t.has_completed) continue;
      ms.push_back(std::chrono::duration<double, std::milli>(t.completed - t.sent).count());
      last = std::max(last, t.completed);
    }
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  const double seconds = std::chrono::duration<double>(last - t0).count();
  std::printf("rate=%.0f connections=%d requests=%d failed=%d completed=%zu seconds=%.2f completed_per_s=%.0f "
              "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
              rate, connections, count, failed.load(), ms.size(), seconds, seconds > 0 ? ms.size() / seconds : 0.0,
              pct(0.50), pct(0.99), ms.empty() ? 0.0 : ms.back());
  return static_cast<int>(ms.size()) == count ? 0 : 1;
}
