// Api route: /api/trpc/systemMonitoring.<procedure> — the tRPC v11 HTTP
// protocol (API.md, "tRPC compatibility") around TrpcProcedures. GET runs
// queries (?input=), POST mutations (JSON body); ?batch=1 takes several
// comma-separated paths with inputs keyed "0", "1", … and answers an array
// (HTTP 207 when the statuses differ).
#include <fmt/format.h>

#include <boost/json.hpp>

#include "http/api.h"
#include "http/fields.h"
#include "http/trpc.h"

namespace cancelflow::http {

namespace json = boost::json;

Response Api::Trpc(Call& c) {
  const bool superjson = d_.config.trpc_transformer == "superjson";
  QueryFields q(c.req.query);
  const bool batch = q.String("batch").value_or("0") == "1";
  const auto input_text = q.String("input");

  // Paths and their inputs.
  const std::vector<std::string> paths = SplitCommas(c.params[0]);
  using Kind = TrpcProcedures::Kind;
  const Kind kind = c.req.method == "POST" ? Kind::kMutation : Kind::kQuery;
  json::value inputs;
  std::optional<Status> parse_error;
  if (const std::string& text = kind == Kind::kMutation ? c.req.body : input_text.value_or("");
      !text.empty()) {
    boost::system::error_code ec;
    inputs = json::parse(text, ec);
    if (ec) parse_error = InvalidArgument("input is not valid JSON");
  }
  if (!batch && paths.size() > 1) parse_error = InvalidArgument("several procedures need ?batch=1");

  // The caller, if a token came: procedures decide what they need.
  TrpcProcedures::Caller caller{std::nullopt, Unauthenticated("a bearer token is required")};
  if (!BearerToken(c.req).empty()) {
    auto u = auth_.Authenticate(BearerToken(c.req));
    if (u.ok()) {
      if (auto wait = limiter_.Take(u->id)) return RateLimited(*wait);
      caller.user = std::move(*u);
    } else {
      caller.auth_error = u.status();
    }
  }

  auto run = [&](const std::string& path, const json::value& raw_input) -> Result<json::value> {
    if (parse_error) return *parse_error;
    constexpr std::string_view kPrefix = "systemMonitoring.";
    if (path.rfind(kPrefix, 0) != 0)
      return NotFound(fmt::format("No procedure found on path \"{}\"", path));
    return procedures_.Run(path.substr(kPrefix.size()), kind, caller,
                           superjson ? trpc::SuperjsonUnwrap(raw_input) : raw_input);
  };

  auto envelope = [&](const std::string& path, const Result<json::value>& r,
                      int& status) -> json::value {
    if (r.ok()) {
      status = 200;
      return json::object{{"result", {{"data", superjson ? trpc::SuperjsonWrap(*r) : *r}}}};
    }
    const Status& s = r.status();
    const trpc::ErrorCode code = s.reason() == "METHOD_NOT_SUPPORTED"
                                     ? trpc::ErrorCodeNamed("METHOD_NOT_SUPPORTED")
                                     : trpc::ErrorCodeOf(s);
    status = code.http_status;
    json::object shape =
        trpc::ErrorShape(code, code.http_status == 500 ? "internal error" : s.message(), path);
    return json::object{{"error", superjson ? json::value{{"json", std::move(shape)}}
                                            : json::value(std::move(shape))}};
  };

  if (!batch) {
    int status = 200;
    json::value body = envelope(paths[0], run(paths[0], inputs), status);
    return JsonResponse(status, body);
  }
  const json::object* keyed = inputs.if_object();
  if (!inputs.is_null() && keyed == nullptr)
    parse_error = InvalidArgument("a batch input is an object keyed 0, 1, …");
  json::array results;
  std::optional<int> common;
  bool mixed = false;
  for (size_t i = 0; i < paths.size(); ++i) {
    const json::value* in = keyed ? keyed->if_contains(std::to_string(i)) : nullptr;
    int status = 200;
    results.push_back(envelope(paths[i], run(paths[i], in ? *in : json::value(nullptr)), status));
    if (common && *common != status) mixed = true;
    common = status;
  }
  return JsonResponse(mixed ? 207 : common.value_or(200), results);
}

}  // namespace cancelflow::http
