#include "cancellation/http_client.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace cancelflow::cancellation {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Header lines as they arrive: "Name: value\r\n"; the status line has no colon.
size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    static_cast<std::vector<std::pair<std::string, std::string>>*>(out)->emplace_back(std::move(name), value);
  }
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

CURL* ThreadHandle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  curl_easy_reset(handle.get());
  return handle.get();
}

}  // namespace

Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url, const HttpHeaders& headers,
                                 const std::string& body, Millis timeout) {
  CURL* c = ThreadHandle();
  if (c == nullptr) return Internal("libcurl could not create a handle");
  HttpResponse resp;
  curl_slist* list = nullptr;
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(list, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(timeout.count(), 5000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return DeadlineExceeded(fmt::format("{} {}: no answer within {} ms", method, url, timeout.count()));
  }
  if (rc != CURLE_OK) return Unavailable(fmt::format("{} {}: {}", method, url, curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp.status = static_cast<int>(status);
  return resp;
}

namespace {
struct MailSource {
  std::string data;
  size_t offset = 0;
};
size_t ReadMail(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<MailSource*>(user);
  const size_t len = std::min(size * n, src->data.size() - src->offset);
  std::memcpy(buf, src->data.data() + src->offset, len);
  src->offset += len;
  return len;
}
}  // namespace

Status SendMail(const std::string& smtp_url, const std::string& from, const std::string& to,
                const std::string& subject, const std::string& body, Millis timeout) {
  CURL* c = ThreadHandle();
  if (c == nullptr) return Internal("libcurl could not create a handle");
  MailSource src{fmt::format("From: <{}>\r\nTo: <{}>\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                             from, to, subject, body)};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(rcpt, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_URL, smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadMail);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) return DeadlineExceeded("SMTP server did not answer in time");
  if (rc != CURLE_OK) return Unavailable(fmt::format("SMTP: {}", curl_easy_strerror(rc)));
  return Status::Ok();
}

}  // namespace cancelflow::cancellation
