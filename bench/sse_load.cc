// SSE load driver: holds N idle realtime connections open against a running
// `cancelflow serve` (development mode, for the test-notification endpoint),
// reports the server's resident memory per idle connection, then sends one
// notification to the user of all of them and reports how long it took to
// reach each connection (p50/p99/max). Loopback only; stops by itself.
//   sse_load --port P --token T --connections N [--server-pid PID]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  std::string buf;
  bool open = false;  // the stream's first bytes arrived
  bool got = false;   // the notification arrived
  Clock::time_point at;
};

long RssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
  return fd;
}

// Reads what is there; false when the peer closed.
bool Drain(Conn& c) {
  char tmp[8192];
  for (;;) {
    const ssize_t n = recv(c.fd, tmp, sizeof tmp, 0);
    if (n > 0) {
      c.buf.append(tmp, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SSE load driver for cancelflow"};
  int port = 3000, connections = 1000, server_pid = 0, batch = 500;
  std::string token;
  app.add_option("--port", port)->required();
  app.add_option("--token", token)->required();
  app.add_option("--connections", connections)->check(CLI::Range(1, 60000));
  app.add_option("--server-pid", server_pid, "read the server's VmRSS from /proc");
  app.add_option("--batch", batch, "connections opened at a time");
  CLI11_PARSE(app, argc, argv);

  const int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(connections));
  const long rss_before = server_pid ? RssKb(server_pid) : -1;
  const std::string request = "GET /api/realtime/notifications?access_token=" + token +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  epoll_event events[1024];

  // Open in batches; each batch's streams must be open before the next.
  int opened = 0;
  for (int start = 0; start < connections && Clock::now() < deadline; start += batch) {
    const int end = std::min(connections, start + batch);
    for (int i = start; i < end; ++i) {
      Conn& c = conns[static_cast<size_t>(i)];
      c.fd = Connect(port);
      epoll_event ev{EPOLLOUT | EPOLLIN, {.u32 = static_cast<uint32_t>(i)}};
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    int pending = end - start;
    while (pending > 0 && Clock::now() < deadline) {
      const int n = epoll_wait(ep, events, 1024, 1000);
      for (int k = 0; k < n; ++k) {
        Conn& c = conns[events[k].data.u32];
        if (events[k].events & EPOLLOUT) {
          send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
          epoll_event ev{EPOLLIN, {.u32 = events[k].data.u32}};
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
        if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          const bool alive = Drain(c);
          if (!c.open && (c.buf.find("retry:") != std::string::npos || !alive)) {
            c.open = alive && c.buf.rfind("HTTP/1.1 200", 0) == 0;
            if (c.open) ++opened;
            --pending;
          }
        }
      }
    }
  }
  const long rss_after = server_pid ? RssKb(server_pid) : -1;
  std::printf("open streams: %d of %d\n", opened, connections);
  if (server_pid) {
    std::printf(
        "server VmRSS: %ld KiB before, %ld KiB with the streams open: %.2f KiB per connection\n",
        rss_before, rss_after, opened ? static_cast<double>(rss_after - rss_before) / opened : 0.0);
  }

  // One notification to their user; time until each stream has it.
  const std::string marker = "fanout-" + std::to_string(Clock::now().time_since_epoch().count());
  const std::string body = R"({"type":"system","title":"Fan-out","message":")" + marker + R"("})";
  const std::string post =
      "POST /api/realtime/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
      token +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  for (auto& c : conns) c.buf.clear();
  const int poster = Connect(port);
  usleep(10'000);  // the loopback connect completes at once; keep the clock honest below
  const auto t0 = Clock::now();
  fcntl(poster, F_SETFL, 0);
  send(poster, post.data(), post.size(), MSG_NOSIGNAL);
  int received = 0;
  const auto fan_deadline = Clock::now() + std::chrono::seconds(30);
  while (received < opened && Clock::now() < fan_deadline) {
    const int n = epoll_wait(ep, events, 1024, 1000);
    const auto now = Clock::now();
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[events[k].data.u32];
      Drain(c);
      if (!c.got && c.buf.find(marker) != std::string::npos) {
        c.got = true;
        c.at = now;
        ++received;
      }
    }
  }
  char answer[256] = {};
  recv(poster, answer, sizeof answer - 1, 0);
  close(poster);
  std::vector<double> ms;
  for (const auto& c : conns) {
    if (c.got) ms.push_back(std::chrono::duration<double, std::milli>(c.at - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf("POST answered: %.40s\n", answer);
  std::printf("fan-out: %d of %d streams received it; p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              received, opened, pct(0.50), pct(0.99), ms.empty() ? 0.0 : ms.back());
  for (auto& c : conns) close(c.fd);
  return received == opened && opened == connections ? 0 : 1;
}
