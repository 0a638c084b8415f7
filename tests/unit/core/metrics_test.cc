#include "core/metrics.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace cancelflow {
namespace {

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry r;
  r.GetCounter("requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).Add();
  r.GetCounter("requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).Add(2);
  r.GetCounter("requests_total", "Requests", {{"route", "/b\"x"}}).Add();
  auto& h = r.GetHistogram("latency_seconds", "Latency", {}, std::vector<double>{0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  r.AddGaugeCallback("depth", "Depth", [] { return std::vector<std::pair<Labels, double>>{{{{"state", "waiting"}}, 7}}; });
  const std::string text = r.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{route=\"/b\\\"x\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_sum 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE depth gauge\ndepth{state=\"waiting\"} 7\n"), std::string::npos);
}

TEST(Rfc3339, ParsesZonesAndFractionsAndRefusesTheRest) {
  EXPECT_EQ(ParseRfc3339("2026-12-04T15:00:00.000Z"), FromUnixMillis(1796396400000));
  EXPECT_EQ(ParseRfc3339("2026-12-04T15:00:00Z"), FromUnixMillis(1796396400000));
  EXPECT_EQ(ParseRfc3339("2026-12-04T16:00:00.5+01:00"), FromUnixMillis(1796396400500));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), FromUnixMillis(0));
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2099-02-28T23:59:59.999Z")), "2099-02-28T23:59:59.999Z");
  for (const char* bad : {"", "2026-12-04", "2026-12-04T15:00:00", "2026-13-01T00:00:00Z", "tomorrow",
                          "2026-12-04T15:00:00.Z", "2026-12-04T15:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace cancelflow
