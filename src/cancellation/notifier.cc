#include "cancellation/notifier.h"

#include <boost/json.hpp>

#include "core/ids.h"

namespace cancelflow::cancellation {

Result<store::Notification> Notifier::Send(const std::string& user_id, const std::string& type,
                                           const std::string& title, const std::string& message,
                                           const std::string& priority, boost::json::object data) {
  auto n = std::make_shared<store::Notification>(Make(user_id, type, title, message, priority, data));
  store::WriteSet set;
  set.Add([n](store::Transaction& tx) { return tx.AddNotification(*n); });
  set.OnCommit([this, n] { AnnounceInOrder(*n); });
  CF_RETURN_IF_ERROR(store_.Commit(set));
  return *n;
}

void Notifier::AnnounceInOrder(const store::Notification& stored) {
  announcer_.Post([this, stored] { Announce(stored); });
}

store::Notification Notifier::Make(const std::string& user_id, const std::string& type,
                                   const std::string& title, const std::string& message,
                                   const std::string& priority,
                                   const boost::json::object& data) const {
  store::Notification n;
  n.id = NewId("ntf", clock_.Now());
  n.user_id = user_id;
  n.type = type;
  n.title = title;
  n.message = message;
  n.priority = priority;
  n.data = boost::json::serialize(data);
  n.created_at = clock_.Now();
  return n;
}

void Notifier::Announce(const store::Notification& stored) {
  boost::json::object event = ToJson(stored);
  event["seq"] = stored.seq;
  bus_.Publish("notification.sent", stored.id, std::move(event), stored.user_id);
}

boost::json::object Notifier::ToJson(const store::Notification& n) {
  boost::system::error_code ec;
  auto data = boost::json::parse(n.data, ec);
  return {{"id", n.id},
          {"type", n.type},
          {"title", n.title},
          {"message", n.message},
          {"priority", n.priority},
          {"data", ec ? boost::json::value(boost::json::object{}) : data},
          {"createdAt", FormatRfc3339(n.created_at)}};
}

}  // namespace cancelflow::cancellation
