#include "core/metrics.h"

#include <fmt/format.h>

#include <cmath>

namespace cancelflow {
namespace {

void AtomicAdd(std::atomic<double>& a, double v) { a.fetch_add(v, std::memory_order_relaxed); }

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

// Inserts `extra` (e.g. le="0.5") into rendered labels.
std::string WithLabel(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out + "}";
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

const std::vector<double>& MetricsRegistry::LatencyBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
  return kBounds;
}

MetricsRegistry::Family& MetricsRegistry::FamilyOf(const std::string& name, const std::string& help,
                                                   const char* type) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  return f;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyOf(name, help, "counter").counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyOf(name, help, "histogram").histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void MetricsRegistry::AddGaugeCallback(
    const std::string& name, const std::string& help,
    std::function<std::vector<std::pair<Labels, double>>()> read) {
  std::lock_guard lock(mu_);
  FamilyOf(name, help, "gauge").gauges.push_back(std::move(read));
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [labels, c] : f.counters)
      out += fmt::format("{}{} {}\n", name, labels, FormatValue(c->value()));
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h->bounds_.size(); ++i) {
        cumulative += h->buckets_[i].load(std::memory_order_relaxed);
        const std::string le = i < h->bounds_.size() ? FormatValue(h->bounds_[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name, WithLabel(labels, "le=\"" + le + "\""),
                           cumulative);
      }
      out += fmt::format("{}_sum{} {}\n", name, labels, FormatValue(h->sum_.load()));
      out += fmt::format("{}_count{} {}\n", name, labels, h->count_.load());
    }
    for (const auto& read : f.gauges) {
      for (const auto& [labels, v] : read())
        out += fmt::format("{}{} {}\n", name, RenderLabels(labels), FormatValue(v));
    }
  }
  return out;
}

}  // namespace cancelflow
