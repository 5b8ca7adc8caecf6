// The --metrics-port HTTP server: one thread of its own, bound to the --bind addresses.
//   GET /metrics    Prometheus text format 0.0.4 (redis_exporter's names where it has the metric,
//                   kora_* otherwise; latency as real histograms)
//   GET /api/stats  the same numbers as JSON, for the dashboard
//   GET /           a self-contained live dashboard page (inline JS and SVG)
// It reads only the snapshots the workers publish once a second (observe::ShardMetrics), so
// a scrape never waits for, or locks, a shard. One request per connection (Connection: close).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kora {

class Service;

class MetricsHttpServer {
 public:
  // `bind` is the --bind list (space-separated addresses).
  MetricsHttpServer(Service* svc, std::string bind, int port);
  ~MetricsHttpServer();

  // Binds and starts the thread; false with a one-line reason on failure.
  bool Start(std::string* error);
  void Stop();

  // The bodies, exposed for tests.
  std::string RenderMetrics() const;
  std::string RenderJson() const;

 private:
  void Run();
  void Serve(int fd);

  Service* svc_;
  std::string bind_;
  int port_;
  std::vector<int> fds_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The dashboard page (metrics_http_page.cc).
const std::string& DashboardHtml();

}  // namespace kora
