// Service: everything `cancelflow serve` runs on top of a Runtime — the
// providers, the workflow engine, the cancellation service, the job workers,
// the HTTP server and, with --demo, the in-process demo providers — started in
// dependency order and stopped in reverse (Stop drains the workers first).
#pragma once

#include <memory>

#include "app/runtime.h"
#include "app/service_metrics.h"
#include "cancellation/cancellation_service.h"
#include "cancellation/notifier.h"
#include "cancellation/processors.h"
#include "demo/mock_provider.h"
#include "core/metrics.h"
#include "http/api.h"
#include "http/monitor.h"
#include "http/server.h"
#include "http/webhook_intake.h"
#include "queue/worker_pool.h"
#include "realtime/hub.h"
#include "workflow/workflow_engine.h"

namespace cancelflow::app {

struct ServiceOptions {
  bool demo = false;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> Start(Runtime& runtime, ServiceOptions options);
  ~Service();

  // Stops accepting requests, drains the workers (up to `grace`), stops timers.
  void Stop(Millis grace);

  uint16_t http_port() const { return http_->port(); }
  cancellation::CancellationService& cancellations() { return *service_; }
  workflow::WorkflowEngine& engine() { return *engine_; }
  const cancellation::ProviderRegistry& providers() const { return providers_; }
  demo::MockProvider* mock_provider() { return mock_.get(); }
  realtime::Hub& hub() { return *hub_; }

 private:
  explicit Service(Runtime& rt) : rt_(rt) {}
  Status StartHttp();

  Runtime& rt_;
  std::unique_ptr<demo::MockProvider> mock_;
  cancellation::ProviderRegistry providers_;
  std::unique_ptr<workflow::WorkflowEngine> engine_;
  std::unique_ptr<cancellation::Notifier> notifier_;
  std::unique_ptr<cancellation::CancellationService> service_;
  std::unique_ptr<cancellation::ProcessorContext> processor_context_;
  queue::JobObservers job_observers_;
  std::unique_ptr<queue::WorkerPool> pool_;
  MetricsRegistry metrics_;
  std::unique_ptr<realtime::Hub> hub_;
  events::EventBus::Subscription to_hub_;  // notification.sent → the hub
  std::unique_ptr<ServiceMetrics> service_metrics_;
  std::unique_ptr<http::WebhookIntake> intake_;
  std::unique_ptr<http::Monitor> monitor_;
  std::unique_ptr<http::Api> api_;
  // Declared last, so destroyed first: open event streams hold sockets of its
  // io_context and are referenced by the hub.
  std::unique_ptr<http::HttpServer> http_;
  bool stopped_ = false;
};

}  // namespace cancelflow::app
