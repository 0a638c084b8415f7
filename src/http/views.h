// Views: the JSON forms of the records as API.md shows them (camelCase, RFC
// 3339 times, no secrets). Pure functions; thread-safe.
#pragma once

#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/records.h"
#include "store/store.h"

namespace cancelflow::http {

boost::json::object UserView(const store::User& u);
boost::json::object SubscriptionView(const store::Subscription& s);
boost::json::object CancellationView(const store::CancellationRequest& r);
boost::json::object AuditView(
    const store::AuditRecord& a);  // {id, timestamp, userId, action, resource, result, metadata}

// Each record as `view` shows it, in order: the "items" of a list.
template <typename Record, typename View>
boost::json::array ViewsOf(const std::vector<Record>& records, View view) {
  boost::json::array items;
  items.reserve(records.size());
  for (const Record& r : records) items.push_back(view(r));
  return items;
}

// A time as RFC 3339, or null.
boost::json::value TimeOrNull(const std::optional<TimePoint>& t);
// JSON text parsed, or `fallback` when it does not parse.
boost::json::value ParsedOr(const std::string& text, boost::json::value fallback);

}  // namespace cancelflow::http
