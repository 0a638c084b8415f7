// Api routes: cancellation requests (API.md, "Cancellations").
#include <boost/json.hpp>

#include "http/api.h"
#include "http/fields.h"
#include "http/views.h"

namespace cancelflow::http {

namespace json = boost::json;

namespace {

constexpr size_t kMaxBulk = 1000;

// The body of POST /v1/cancellations (and of each bulk item), validated.
Result<cancellation::InitiateRequest> ReadInitiate(const json::object& body) {
  Fields f(body);
  cancellation::InitiateRequest in;
  in.subscription_id = f.RequiredString("subscriptionId", 128);
  in.priority = f.Enum("priority", {"low", "normal", "high", "urgent"}).value_or("normal");
  in.preferred_method =
      f.Enum("preferredMethod", {"auto", "api", "webhook", "manual"}).value_or("auto");
  if (const json::object* prefs = f.Object("notificationPreferences")) {
    Fields p(*prefs, "notificationPreferences.");
    in.notify_realtime = p.Bool("realtime").value_or(true);
    in.notify_email = p.Bool("email").value_or(false);
    if (Status s = p.Finish(); !s.ok() && !f.failed()) return s;  // an earlier field's error comes first
  }
  in.schedule_for = f.Time("scheduleFor");
  in.reason = f.String("reason", 1000);
  CF_RETURN_IF_ERROR(f.Finish());
  return in;
}

json::object InitiateView(const cancellation::InitiateResult& r) {
  return {{"requestId", r.request_id},
          {"workflowId", r.workflow_id},
          {"status", r.status},
          {"estimatedCompletion", FormatRfc3339(r.estimated_completion)}};
}

}  // namespace

Result<store::CancellationRequest> Api::OwnedCancellation(const Call& c, const std::string& id) {
  return OwnedBy(d_.store.GetCancellation(id), c, "cancellation request " + id);
}

Response Api::CreateCancellation(Call& c) {
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  auto in = ReadInitiate(*body);
  if (!in) return ErrorResponse(in.status());
  std::optional<std::string> key;
  if (const std::string& k = c.req.Header("idempotency-key"); !k.empty()) {
    if (k.size() > 255)
      return ErrorResponse(FieldError("Idempotency-Key", "must be at most 255 characters"));
    key = k;
  }
  auto result = d_.cancellations.InitiateCancellation(c.user.id, *in, key);
  if (!result) {
    if (result.status().reason() != "already_in_progress") return ErrorResponse(result.status());
    // API.md: details.requestId names the request that is in the way.
    Response r = ErrorResponse(result.status());
    if (auto active = d_.store.FindActiveCancellation(in->subscription_id); active.ok()) {
      r = JsonError(409, "already_in_progress", result.status().message(),
                    json::serialize(json::object{{"requestId", active->id}}));
    }
    return r;
  }
  return JsonResponse(202, InitiateView(*result));
}

Response Api::BulkCancellations(Call& c) {
  auto body = ParseJsonBody(c.req);
  if (!body) return ErrorResponse(body.status());
  Fields f(*body);
  const json::array* items = f.Array("items");
  if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  if (items == nullptr) return ErrorResponse(FieldError("items", "is required"));
  if (items->empty() || items->size() > kMaxBulk)
    return ErrorResponse(FieldError("items", "must hold 1 to 1000 items"));
  json::array results;
  for (size_t i = 0; i < items->size(); ++i) {
    const json::object* item = (*items)[i].if_object();
    const json::value* sub = item ? item->if_contains("subscriptionId") : nullptr;
    json::object out{{"subscriptionId", sub && sub->is_string() ? *sub : json::value(nullptr)}};
    Result<cancellation::InitiateResult> result =
        FieldError("items", "each item must be an object");
    if (item) {
      auto in = ReadInitiate(*item);
      result = in ? d_.cancellations.InitiateCancellation(c.user.id, *in)
                  : Result<cancellation::InitiateResult>(in.status());
    }
    if (result.ok()) {
      out["requestId"] = result->request_id;
      out["status"] = result->status;
    } else {
      auto [http_status, code] = HttpErrorOf(result.status());
      json::object error{
          {"code", code},
          {"message", http_status == 500 ? "internal error" : result.status().message()}};
      if (http_status == 400 && !result.status().reason().empty()) {
        error["details"] = {{"field", result.status().reason()}};
      }
      out["error"] = std::move(error);
    }
    results.push_back(std::move(out));
  }
  return JsonResponse(202, json::object{{"results", std::move(results)}});
}

Response Api::ListCancellations(Call& c) {
  QueryFields q(c.req.query);
  store::CancellationQuery query;
  query.status = q.Enum("status", {"pending", "scheduled", "processing", "completed", "failed",
                                   "manual_required", "aborted"});
  query.limit = static_cast<int>(q.Int("limit", 1, 100).value_or(20));
  query.before = q.String("cursor");
  if (Status s = q.Finish(); !s.ok()) return ErrorResponse(s);
  if (!c.admin()) query.user_id = c.user.id;
  auto page = d_.store.ListCancellations(query);
  if (!page) {
    if (page.status().code() == Code::kInvalidArgument)
      return ErrorResponse(FieldError("cursor", "is not valid"));
    return ErrorResponse(page.status());
  }
  return JsonResponse(
      200, json::object{{"items", ViewsOf(page->items, CancellationView)},
                        {"nextCursor", page->next_cursor ? json::value(*page->next_cursor)
                                                         : json::value(nullptr)}});
}

Response Api::GetCancellation(Call& c) {
  auto r = OwnedCancellation(c, c.params[0]);
  if (!r) return ErrorResponse(r.status());
  return JsonResponse(200, CancellationView(*r));
}

Response Api::CancellationEvents(Call& c) {
  auto r = OwnedCancellation(c, c.params[0]);
  if (!r) return ErrorResponse(r.status());
  store::AuditQuery q;
  q.resource = r->id;
  q.action_globs = {"cancellation.*"};
  q.limit = 1000;
  q.oldest_first = true;
  auto rows = d_.store.QueryAudit(q);
  if (!rows) return ErrorResponse(rows.status());
  return JsonResponse(200, json::object{{"items", ViewsOf(*rows, AuditView)}});
}

Response Api::AbortCancellation(Call& c) {
  auto r = OwnedCancellation(c, c.params[0]);
  if (!r) return ErrorResponse(r.status());
  auto aborted = d_.cancellations.Abort(r->user_id, r->id);
  if (!aborted) return ErrorResponse(aborted.status());
  return JsonResponse(200, CancellationView(*aborted));
}

Response Api::ConfirmCancellation(Call& c) {
  auto r = OwnedCancellation(c, c.params[0]);
  if (!r) return ErrorResponse(r.status());
  std::optional<std::string> code;
  if (!c.req.body.empty()) {
    auto body = ParseJsonBody(c.req);
    if (!body) return ErrorResponse(body.status());
    Fields f(*body);
    code = f.String("confirmationCode", 256);
    if (Status s = f.Finish(); !s.ok()) return ErrorResponse(s);
  }
  auto confirmed = d_.cancellations.ConfirmManual(r->user_id, r->id, code);
  if (!confirmed) return ErrorResponse(confirmed.status());
  return JsonResponse(200, CancellationView(*confirmed));
}

}  // namespace cancelflow::http
