// HttpClient: outbound HTTP for provider calls, on libcurl. Blocking: call it
// from job workers, never from an I/O thread. Each thread keeps its own
// connection cache (keep-alive to the provider). Every call has a deadline:
// a timeout is DeadlineExceeded, a refused or broken connection Unavailable.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cancelflow::cancellation {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  // The first value of the header `name` (lower case), or "".
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url, const HttpHeaders& headers,
                                 const std::string& body, Millis timeout);

// Sends a plain-text email through an SMTP server (smtp://host:port).
Status SendMail(const std::string& smtp_url, const std::string& from, const std::string& to,
                const std::string& subject, const std::string& body, Millis timeout);

}  // namespace cancelflow::cancellation
