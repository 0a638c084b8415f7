// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
// A family is registered once by name; its series are created on first use
// and live as long as the registry. Updates are lock-free after the first use
// of a series (a mutex guards only the creation of series); gauges may also be
// read from a callback at render time (queue depth, SSE connections).
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cancelflow {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);

 private:
  friend class MetricsRegistry;
  const std::vector<double> bounds_;                  // upper bounds, ascending
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, non-cumulative, plus +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  // Seconds: 1 ms … 10 s.
  static const std::vector<double>& LatencyBuckets();

  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const Labels& labels = {},
                          const std::vector<double>& bounds = LatencyBuckets());
  // A gauge whose series are read when rendering; `read` returns (labels, value) pairs.
  void AddGaugeCallback(const std::string& name, const std::string& help,
                        std::function<std::vector<std::pair<Labels, double>>()> read);

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;                                              // counter | histogram | gauge
    std::map<std::string, std::unique_ptr<Counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // by rendered labels
    std::vector<std::function<std::vector<std::pair<Labels, double>>()>> gauges;
  };
  Family& FamilyOf(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_; series pointers are stable
};

// `{a="x",b="y"}` with Prometheus escaping, or "" for no labels.
std::string RenderLabels(const Labels& labels);

}  // namespace cancelflow
