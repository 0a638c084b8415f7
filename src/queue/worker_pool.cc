#include "queue/worker_pool.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/thread_name.h"

namespace cancelflow::queue {
namespace {

// Converts a wait on the injected clock into a wait on the steady clock.
std::chrono::steady_clock::time_point SteadyDeadline(Millis from_now) {
  return std::chrono::steady_clock::now() + std::max(from_now, Millis(0));
}

}  // namespace

WorkerPool::WorkerPool(JobQueue& queue, Clock& clock, WorkerPoolOptions options, JobObserver* observer)
    : queue_(queue), clock_(clock), options_(std::move(options)), observer_(observer) {
  if (options_.worker_id.empty()) options_.worker_id = NewId("wkr");
  options_.concurrency = std::max(1, options_.concurrency);
  options_.max_claim = std::max(1, options_.max_claim);
}

WorkerPool::~WorkerPool() { Stop(Millis(0)); }

void WorkerPool::Register(const std::string& type, JobHandler handler) {
  handlers_[type] = std::move(handler);
}

void WorkerPool::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  // Only the idle fetcher sleeps on idle_cv_: one wake-up per add, not one per worker.
  idle_cv_.notify_one();
}

void WorkerPool::Start() {
  if (started_) return;
  started_ = true;
  queue_.SetReadyCallback([this] { Wake(); });
  for (int i = 0; i < options_.concurrency; ++i) workers_.emplace_back([this] {
    NameThisThread("job-worker");
    WorkerLoop();
  });
  maintenance_ = std::thread([this] {
    NameThisThread("queue-maint");
    MaintenanceLoop();
  });
}

void WorkerPool::Stop(Millis grace) {
  if (!started_) return;
  started_ = false;
  std::vector<std::string> unstarted;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (const Job& j : buffer_) unstarted.push_back(j.id);
    buffer_.clear();
  }
  cv_.notify_all();
  idle_cv_.notify_all();
  if (Status s = queue_.Release(options_.worker_id, unstarted); !s.ok()) {
    spdlog::error("worker pool: releasing {} unstarted jobs failed: {}", unstarted.size(), s.ToString());
  }

  std::vector<std::string> unfinished;
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, SteadyDeadline(grace),
                   [&] { return running_.empty() && done_.empty() && !flushing_ && !fetching_; });
    for (auto& [id, stop] : running_) unfinished.push_back(id);
  }
  if (!unfinished.empty()) {
    // Give the jobs back first, then ask their processors to stop: whatever a
    // stopped processor returns then finds the lease gone and is dropped.
    spdlog::warn("worker pool: {} jobs still running after the grace period; giving them back", unfinished.size());
    if (Status s = queue_.Release(options_.worker_id, unfinished); !s.ok()) {
      spdlog::error("worker pool: releasing running jobs failed: {}", s.ToString());
    }
    std::lock_guard lock(mu_);
    for (const auto& id : unfinished) {
      if (auto it = running_.find(id); it != running_.end()) it->second.request_stop();
    }
  }
  for (auto& t : workers_) t.join();
  workers_.clear();
  {
    std::lock_guard lock(mu_);
    maintenance_stop_ = true;
  }
  maintenance_cv_.notify_all();
  maintenance_.join();
  queue_.SetReadyCallback(nullptr);
}

void WorkerPool::WorkerLoop() {
  while (auto claimed = NextJob()) {
    if (observer_) observer_->OnStarted(claimed->job);
    Status status = Run(claimed->job, claimed->stop);
    Finish(JobResult{claimed->job.id, std::move(status)});
  }
}

std::optional<WorkerPool::Claimed> WorkerPool::NextJob() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return std::nullopt;
    if (!buffer_.empty()) {
      Claimed c{std::move(buffer_.front()), {}};
      buffer_.pop_front();
      c.stop = running_[c.job.id].get_token();
      return c;
    }
    if (fetching_) {
      cv_.wait(lock);
      continue;
    }
    // This worker fetches for everybody.
    fetching_ = true;
    wake_ = false;
    const int busy = static_cast<int>(running_.size());
    // Enough for every idle worker plus the next round, so workers rarely wait on a claim.
    const int want = std::clamp(std::max(2 * options_.concurrency, 32) - busy, 1, options_.max_claim);
    lock.unlock();
    auto claimed = queue_.Claim(options_.worker_id, want, options_.lease);
    std::optional<TimePoint> next_delayed;
    if (claimed.ok() && claimed->empty()) {
      if (auto next = queue_.NextDelayedAt(); next.ok()) next_delayed = *next;
    }
    lock.lock();
    fetching_ = false;
    if (!claimed.ok()) {
      spdlog::error("worker pool: claim failed: {}", claimed.status().ToString());
      cv_.notify_all();
      cv_.wait_until(lock, SteadyDeadline(options_.idle_wait), [&] { return stopping_; });
      continue;
    }
    if (stopping_) {  // claimed during shutdown: give them straight back
      std::vector<std::string> ids;
      for (const Job& j : *claimed) ids.push_back(j.id);
      lock.unlock();
      (void)queue_.Release(options_.worker_id, ids);
      lock.lock();
      cv_.notify_all();
      return std::nullopt;
    }
    for (Job& j : *claimed) buffer_.push_back(std::move(j));
    cv_.notify_all();
    if (!buffer_.empty()) continue;
    // Nothing ready: sleep until woken, the next delayed job is due, or the idle tick.
    Millis wait = options_.idle_wait;
    if (next_delayed) wait = std::min(wait, std::chrono::duration_cast<Millis>(*next_delayed - clock_.Now()));
    if (!wake_) idle_cv_.wait_until(lock, SteadyDeadline(wait), [&] { return wake_ || stopping_; });
  }
}

Status WorkerPool::Run(const Job& job, std::stop_token stop) {
  auto it = handlers_.find(job.type);
  if (it == handlers_.end()) {
    return FailedPrecondition(fmt::format("no processor is registered for job type {:?}", job.type));
  }
  try {
    return it->second(job, stop);
  } catch (const std::exception& e) {
    return Internal(fmt::format("processor for {:?} threw: {}", job.type, e.what()));
  } catch (...) {
    return Internal(fmt::format("processor for {:?} threw a non-standard exception", job.type));
  }
}

void WorkerPool::Finish(JobResult result) {
  std::unique_lock lock(mu_);
  running_.erase(result.job_id);
  done_.push_back(std::move(result));
  // One worker at a time reports a batch to the queue; observers (the workflow
  // engine, events) then hear of it outside the flush, so the next batch can be
  // reported meanwhile and observers of different batches run in parallel.
  while (!flushing_ && !done_.empty()) {
    flushing_ = true;
    std::vector<JobResult> batch;
    batch.swap(done_);
    lock.unlock();
    auto transitions = queue_.Complete(options_.worker_id, batch);
    lock.lock();
    flushing_ = false;
    lock.unlock();
    if (transitions.ok()) {
      Report(*transitions);
    } else {
      // The jobs stay active; their leases expire and they run again (at least once).
      spdlog::error("worker pool: reporting {} jobs failed: {}", batch.size(), transitions.status().ToString());
    }
    lock.lock();
  }
  // Only Stop waits for running jobs and reports; waking every worker (and
  // the maintenance thread) after each job cost a futex round trip apiece.
  if (stopping_) cv_.notify_all();
}

void WorkerPool::Report(const std::vector<JobTransition>& transitions) {
  for (const JobTransition& t : transitions) {
    if (t.lost) {
      spdlog::warn("worker pool: job {} was no longer leased to {}; its result was dropped", t.job_id,
                   options_.worker_id);
      continue;
    }
    processed_.fetch_add(1, std::memory_order_relaxed);
    if (observer_) observer_->OnFinished(t);
  }
}

void WorkerPool::MaintenanceLoop() {
  const Millis interval = std::max(Millis(10), std::min(options_.idle_wait, options_.lease / 3));
  std::unique_lock lock(mu_);
  while (!maintenance_stop_) {
    std::vector<std::string> leased;
    for (const auto& [id, _] : running_) leased.push_back(id);
    for (const Job& j : buffer_) leased.push_back(j.id);
    lock.unlock();
    if (Status s = queue_.Heartbeat(options_.worker_id, leased, options_.lease); !s.ok()) {
      spdlog::error("worker pool: heartbeat failed: {}", s.ToString());
    }
    if (auto rep = queue_.RunMaintenance(); rep.ok()) {
      for (const JobTransition& t : rep->recovered) {
        spdlog::warn("job {} ({}) lost its worker; now {}", t.job_id, t.type, JobStateName(t.state));
        if (observer_) observer_->OnFinished(t);
      }
    } else {
      spdlog::error("worker pool: maintenance failed: {}", rep.status().ToString());
    }
    lock.lock();
    maintenance_cv_.wait_until(lock, SteadyDeadline(interval), [&] { return maintenance_stop_; });
  }
}

}  // namespace cancelflow::queue
