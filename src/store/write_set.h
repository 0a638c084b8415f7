// WriteSet: what one state change of the service writes — records, and on the
// embedded database the jobs it enqueues — committed as one transaction
// (Store::Commit), followed by what must happen only once that is durable
// (publishing events, waking workers, pushing notifications to streams).
//
// Why: a workflow transition used to be three or four separate writes (the
// next job, the instance, the request and its progress notification), each a
// round trip to the single writer and a savepoint of its own. As one set it is
// one round trip, one savepoint, and the pages it touches are written once.
//
// Usage: callers stage writes with Add (they run later, on the writer, and must
// only write: compute everything before) and actions with AfterCommit, then
// hand the set to Store::Commit. OnCommit actions run earlier and elsewhere: on
// the store's committing thread, right after the commit, in the order in which
// the store committed its transactions — for what must follow that order (the
// seq of notifications: a live SSE stream only sends increasing ids). They must
// be quick and must not block or call the store: hand the work to a thread of
// your own (core/serial_executor.h), in order. Participants of one set that must see each
// other's staged values share them through Keep/Find by key.
//
// Not thread-safe: a set belongs to the thread that builds and commits it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace cancelflow::store {

// The record writes a staged write may make, inside the store's transaction.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Inserts the request (its workflow instance is saved by SaveWorkflow);
  // AlreadyExists when the user's idempotency key or the subscription's one
  // active request is taken.
  virtual Status CreateCancellation(const CancellationRequest& request) = 0;
  // As Store::UpdateCancellation / Store::CompleteCancellation.
  virtual Status UpdateCancellation(const CancellationRequest& request) = 0;
  virtual Status CompleteCancellation(const CancellationRequest& request) = 0;
  virtual Status AddNotification(Notification& n) = 0;  // assigns n.seq
  virtual Status SaveWorkflow(const WorkflowInstance& instance) = 0;
};

class WriteSet {
 public:
  using Write = std::function<Status(Transaction&)>;
  using Action = std::function<void()>;

  void Add(Write write) { writes_.push_back(std::move(write)); }
  void AfterCommit(Action action) { after_commit_.push_back(std::move(action)); }
  void OnCommit(Action action) { on_commit_.push_back(std::move(action)); }
  bool empty() const { return writes_.empty() && after_commit_.empty() && on_commit_.empty(); }

  // A value staged by one participant for the others (nullptr when absent or of another type).
  template <typename T>
  std::shared_ptr<T> Find(const std::string& key) const {
    auto it = kept_.find(key);
    if (it == kept_.end() || it->second.type != &typeid(T)) return nullptr;
    return std::static_pointer_cast<T>(it->second.value);
  }
  template <typename T>
  void Keep(const std::string& key, std::shared_ptr<T> value) {
    kept_[key] = {&typeid(T), std::move(value)};
  }

  // For Store implementations: runs every write in order (inside their
  // transaction), stopping at the first error.
  Status Apply(Transaction& tx) const {
    for (const Write& w : writes_) CF_RETURN_IF_ERROR(w(tx));
    return Status::Ok();
  }
  // For Store implementations, on the committing thread right after the commit.
  void RunOnCommit() {
    for (auto& a : on_commit_) a();
    on_commit_.clear();
  }
  bool has_on_commit() const { return !on_commit_.empty(); }
  // For Store implementations, after the commit: runs the actions in order, once.
  void RunAfterCommit() {
    auto actions = std::move(after_commit_);
    after_commit_.clear();
    for (auto& a : actions) a();
  }

 private:
  struct Kept {
    const std::type_info* type;
    std::shared_ptr<void> value;
  };
  std::vector<Write> writes_;
  std::vector<Action> after_commit_;
  std::vector<Action> on_commit_;
  std::map<std::string, Kept> kept_;
};

}  // namespace cancelflow::store
