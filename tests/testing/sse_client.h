// SseClient: a minimal Server-Sent Events reader over a raw loopback socket,
// so tests see exactly the bytes the server streams (ids, data lines,
// comments, retry hints). A thread reads until the server closes or the
// client is destroyed; events are parsed as the SSE spec says.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/wait.h"

namespace cancelflow::testing {

struct SseEvent {
  std::string id;
  std::string event;  // the "event:" field; empty means onmessage gets it
  std::string data;
};

class SseClient {
 public:
  // GETs `target` ("/api/realtime/notifications?…") on 127.0.0.1:port with `headers` lines.
  SseClient(int port, const std::string& target, const std::vector<std::string>& headers = {}) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    req += "\r\n";
    if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return;
    reader_ = std::thread([this] { Read(); });
  }
  ~SseClient() {
    shutdown(fd_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
    close(fd_);
  }

  // The response's status code, once the head has arrived (0 before).
  int status() const {
    std::lock_guard lock(mu_);
    return status_;
  }
  std::string raw() const {
    std::lock_guard lock(mu_);
    return raw_;
  }
  std::vector<SseEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  // Waits until an event's data contains `needle`.
  bool WaitFor(const std::string& needle) {
    return WaitUntil([&] {
      for (const auto& e : events()) {
        if (e.data.find(needle) != std::string::npos) return true;
      }
      return false;
    });
  }

 private:
  void Read() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      raw_.append(buf, static_cast<size_t>(n));
      Parse();
    }
    std::lock_guard lock(mu_);
    closed_ = true;
  }

  // Called with mu_ held: consumes complete lines of raw_ after the head.
  void Parse() {
    if (body_start_ == 0) {
      const auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      status_ = std::stoi(raw_.substr(9, 3));
      body_start_ = pos_ = end + 4;
    }
    for (;;) {
      const auto nl = raw_.find('\n', pos_);
      if (nl == std::string::npos) return;
      const std::string line = raw_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (line.empty()) {
        if (!pending_.data.empty() || !pending_.id.empty()) events_.push_back(pending_);
        pending_ = {};
        continue;
      }
      if (line[0] == ':') continue;  // a comment (keepalive)
      const auto colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (field == "id") pending_.id = value;
      if (field == "event") pending_.event = value;
      if (field == "data") pending_.data += pending_.data.empty() ? value : "\n" + value;
    }
  }

  int fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string raw_;
  size_t body_start_ = 0, pos_ = 0;
  int status_ = 0;
  bool closed_ = false;
  SseEvent pending_;
  std::vector<SseEvent> events_;
};

}  // namespace cancelflow::testing
