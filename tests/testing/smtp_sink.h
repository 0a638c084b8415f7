// SmtpSink: a minimal SMTP server on 127.0.0.1 for tests. It accepts every
// message and keeps it (envelope recipient and raw data) for inspection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cancelflow::testing {

class SmtpSink {
 public:
  struct Message {
    std::string rcpt;
    std::string data;
  };

  SmtpSink() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpSink() {
    stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<Message> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      Session(c);
      close(c);
    }
  }

  static void Send(int c, const std::string& s) { (void)!write(c, s.data(), s.size()); }

  void Session(int c) {
    Send(c, "220 sink ESMTP\r\n");
    std::string buf, rcpt;
    bool in_data = false;
    char chunk[4096];
    for (;;) {
      ssize_t n = read(c, chunk, sizeof chunk);
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
      for (;;) {
        if (in_data) {
          auto end = buf.find("\r\n.\r\n");
          if (end == std::string::npos) break;
          {
            std::lock_guard lock(mu_);
            messages_.push_back({rcpt, buf.substr(0, end)});
          }
          buf.erase(0, end + 5);
          in_data = false;
          Send(c, "250 queued\r\n");
          continue;
        }
        auto eol = buf.find("\r\n");
        if (eol == std::string::npos) break;
        std::string line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        if (line.rfind("EHLO", 0) == 0 || line.rfind("HELO", 0) == 0) Send(c, "250 sink\r\n");
        else if (line.rfind("MAIL FROM", 0) == 0) Send(c, "250 ok\r\n");
        else if (line.rfind("RCPT TO", 0) == 0) {
          rcpt = line.substr(8);
          Send(c, "250 ok\r\n");
        } else if (line == "DATA") {
          in_data = true;
          Send(c, "354 go ahead\r\n");
        } else if (line == "QUIT") {
          Send(c, "221 bye\r\n");
          return;
        } else {
          Send(c, "250 ok\r\n");
        }
      }
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Message> messages_;
  std::thread thread_;
};

}  // namespace cancelflow::testing
