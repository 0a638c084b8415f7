// Api routes: the realtime notification stream (SSE) and the development-only
// test notification (API.md, "Realtime notifications").
//
// SSE framing, per notification: "id: <seq>\ndata: <notification JSON>\n\n"
// (no "event:" field, so EventSource.onmessage receives it); ": keepalive\n\n"
// comments from the Hub's sweep; "retry: <ms>\n\n" once on connect.
#include <boost/json.hpp>

#include "http/api.h"
#include "http/fields.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

constexpr int kRetryHintMs = 3000;
constexpr int kReplayPage = 500;
constexpr int kReplayLimit = 10'000;  // a reconnect further behind starts from the newest 10k

std::string NotificationJson(const store::Notification& n) {
  return json::serialize(cancellation::Notifier::ToJson(n));
}

}  // namespace

Response Api::OpenStream(Call& c) {
  QueryFields q(c.req.query);
  q.Allow("access_token");
  auto last_id = q.Int("lastEventId", 0, INT64_MAX);
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  if (const std::string& h = c.req.Header("last-event-id"); !h.empty()) {
    last_id = ParseInteger(h, 0, INT64_MAX);
    if (!last_id) return ErrorResponse(FieldError("Last-Event-ID", "must be an event id (a decimal integer)"));
  }
  auto stream = d_.hub.Reserve(c.user.id, last_id.value_or(0));
  if (!stream) {
    Response r = ErrorResponse(stream.status());
    r.headers.emplace_back("Retry-After", "30");
    return r;
  }
  // Reserved before history is read: what is published meanwhile is kept for
  // the stream, and Activate sends only what the replay did not.
  std::string body = "retry: " + std::to_string(kRetryHintMs) + "\n\n";
  int64_t replayed = last_id.value_or(0);
  if (last_id) {
    int sent = 0;
    while (sent < kReplayLimit) {
      auto page = d_.store.ListNotifications(c.user.id, replayed, kReplayPage);
      if (!page) {
        d_.hub.Remove(*stream);
        return ErrorResponse(page.status());
      }
      for (const auto& n : *page) {
        body += realtime::Hub::Format(n.seq, NotificationJson(n));
        replayed = n.seq;
      }
      sent += static_cast<int>(page->size());
      if (static_cast<int>(page->size()) < kReplayPage) break;
    }
  }
  Response r{200, "text/event-stream", {}, std::move(body)};
  auto hub = &d_.hub;
  auto s = *stream;
  r.stream = std::make_shared<Streaming>(
      Streaming{[hub, s, replayed](std::shared_ptr<realtime::Sink> sink) {
                  hub->Activate(s, replayed, std::move(sink));
                },
                [hub, s] { hub->Remove(s); }});
  return r;
}

Response Api::SendTestNotification(Call& c) {
  if (!d_.config.development()) return JsonError(404, "not_found", "no such route");
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  Fields f(*body);
  const std::string type =
      f.Enum("type", {"cancellation.progress", "cancellation.completed", "cancellation.failed",
                      "cancellation.manual_required", "system"})
          .value_or("");
  const std::string title = f.RequiredString("title", 200);
  const std::string message = f.RequiredString("message", 2000);
  const std::string priority =
      f.Enum("priority", {"low", "normal", "high", "urgent"}).value_or("normal");
  const json::object* data = f.Object("data");
  if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  if (type.empty()) return ErrorResponse(FieldError("type", "is required"));
  auto sent =
      d_.notifier.Send(c.user.id, type, title, message, priority, data ? *data : json::object{});
  if (!sent) return ErrorResponse(sent.status());
  return JsonResponse(202, json::object{{"id", sent->id}, {"seq", sent->seq}});
}

}  // namespace cancelflow::http
