// The server process: the engine, the command service, and the listeners on every worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "commands/service.h"
#include "server/options.h"
#include "shard/engine.h"

namespace kora {

class Listener;
class MetricsHttpServer;

class Server {
 public:
  explicit Server(const ServerConfig& cfg);
  ~Server();

  // Binds listeners and starts the workers. On failure returns false with a one-line reason.
  bool Start(std::string* error);
  // Stops accepting, finishes in-flight work, closes connections, joins the workers.
  void Stop();
  Service& service() { return *service_; }

 private:
  bool OpenTcp(std::string* error);
  bool OpenUnix(std::string* error);

  ServerConfig cfg_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Service> service_;
  std::vector<std::vector<int>> tcp_fds_;  // per worker: one SO_REUSEPORT socket per address
  int unix_fd_ = -1;
  std::vector<std::vector<std::unique_ptr<Listener>>> listeners_;
  std::unique_ptr<MetricsHttpServer> metrics_;  // --metrics-port (server/metrics_http.h)
};

}  // namespace kora
