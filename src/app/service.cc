#include "app/service.h"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cancellation/full_process.h"

namespace cancelflow::app {

Result<std::unique_ptr<Service>> Service::Start(Runtime& rt, ServiceOptions options) {
  const Config& cfg = rt.config();
  std::unique_ptr<Service> s(new Service(rt));

  if (cfg.providers_file) {
    auto reg = cancellation::ProviderRegistry::LoadFile(*cfg.providers_file, EnvironmentLookup);
    if (!reg) return reg.status();
    s->providers_ = std::move(*reg);
  }
  if (options.demo) {
    auto mock = demo::MockProvider::Start({.webhook_secret = demo::kDemoWebhookSecret});
    if (!mock) return mock.status();
    s->mock_ = std::move(*mock);
    auto reg = cancellation::ProviderRegistry::Parse(
        demo::DemoProvidersJson(s->mock_->base_url(), demo::kDemoWebhookSecret), EnvironmentLookup);
    if (!reg) return reg.status();
    for (const auto& name : reg->Names()) {
      if (s->providers_.Find(name) == nullptr) s->providers_.Add(*reg->Find(name));
    }
    spdlog::info("demo providers on {}: {}", s->mock_->base_url(), fmt::join(reg->Names(), ", "));
  }
  if (s->providers_.Names().empty()) spdlog::warn("no providers configured: set PROVIDERS_FILE or use --demo");

  s->engine_ = std::make_unique<workflow::WorkflowEngine>(rt.store(), rt.queue(), rt.bus(), rt.clock());
  s->engine_->Register(cancellation::FullProcessDefinition());
  s->engine_->Register(cancellation::WebhookProcessDefinition());
  s->notifier_ = std::make_unique<cancellation::Notifier>(rt.store(), rt.bus(), rt.clock());
  s->service_ = std::make_unique<cancellation::CancellationService>(rt.store(), *s->engine_, rt.queue(), rt.bus(),
                                                                    s->providers_, *s->notifier_, rt.clock());
  s->engine_->AddObserver(s->service_.get());

  s->hub_ = std::make_unique<realtime::Hub>(
      realtime::HubOptions{.keepalive_interval = cfg.sse_keepalive_interval,
                           .idle_timeout = cfg.sse_idle_timeout,
                           .max_connections_per_user = cfg.sse_max_connections_per_user},
      rt.clock());
  s->to_hub_ = rt.bus().Subscribe("notification.sent", [hub = s->hub_.get()](const events::Event& e) {
    if (!e.user_id) return;
    const auto* seq = e.data.if_contains("seq");
    if (seq == nullptr || !seq->is_int64()) return;
    boost::json::object streamed = e.data;
    streamed.erase("seq");
    hub->Publish(*e.user_id, seq->as_int64(), boost::json::serialize(streamed));
  });
  s->service_metrics_ = std::make_unique<ServiceMetrics>(s->metrics_, rt.bus(), rt.queue(), *s->hub_);
  s->engine_->AddObserver(s->service_metrics_.get());

  s->job_observers_.Add(&rt.job_events());
  s->job_observers_.Add(s->engine_.get());
  s->job_observers_.Add(s->service_metrics_.get());
  s->pool_ = std::make_unique<queue::WorkerPool>(
      rt.queue(), rt.clock(),
      queue::WorkerPoolOptions{.concurrency = cfg.worker_concurrency, .idle_wait = cfg.job_processing_interval},
      &s->job_observers_);
  s->processor_context_ = std::make_unique<cancellation::ProcessorContext>(cancellation::ProcessorContext{
      rt.store(), rt.bus(), s->providers_, *s->notifier_, rt.clock(), cfg.smtp_url});
  cancellation::RegisterProcessors(*s->pool_, *s->processor_context_);

  CF_RETURN_IF_ERROR(s->engine_->ResumeAll());
  s->engine_->StartTimer();
  s->pool_->Start();

  if (cfg.bootstrap_admin_token) CF_RETURN_IF_ERROR(http::BootstrapAdmin(rt.store(), rt.clock(), *cfg.bootstrap_admin_token));
  s->hub_->Start();
  if (Status st = s->StartHttp(); !st.ok()) {
    s->Stop(Millis(5000));
    return st;
  }
  if (s->mock_) s->mock_->SetCallbackBaseUrl(fmt::format("http://127.0.0.1:{}", s->http_->port()));
  return s;
}

namespace {
// Handlers block on SQLite. Enough of them in flight lets concurrent requests
// share group commits: POST /v1/cancellations went from 1,100 to 2,500 req/s
// between 8 and 32 handler threads (docs/BENCHMARKS.md); 64 gave no more.
constexpr int kHttpHandlerThreads = 32;
}  // namespace

Status Service::StartHttp() {
  const Config& cfg = rt_.config();
  intake_ = std::make_unique<http::WebhookIntake>(providers_, rt_.store(), *engine_, rt_.bus(), rt_.clock());
  monitor_ = std::make_unique<http::Monitor>(http::MonitorDeps{rt_.store(), rt_.queue(), *hub_, rt_.clock(),
                                                               cfg.redis_url ? "redis" : "sqlite", rt_.clock().Now()});
  api_ = std::make_unique<http::Api>(http::ApiDeps{cfg, rt_.store(), *service_, providers_, *notifier_, *hub_,
                                                   *intake_, *monitor_, metrics_, rt_.clock()});
  auto server = http::HttpServer::Start(
      {.host = cfg.host, .port = cfg.port, .worker_threads = kHttpHandlerThreads},
      [api = api_.get()](const http::Request& req) { return api->Handle(req); });
  if (!server) return server.status();
  http_ = std::move(*server);
  return Status::Ok();
}

Service::~Service() { Stop(Millis(0)); }

void Service::Stop(Millis grace) {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Stop();
  if (hub_) hub_->Stop();
  if (pool_) pool_->Stop(grace);
  if (engine_) engine_->Stop();
  if (notifier_) notifier_->Drain();  // what was committed is announced
  if (mock_) mock_->Stop();
}

}  // namespace cancelflow::app
