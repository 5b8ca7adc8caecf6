#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/logging.h"
#include "commands/families.h"
#include "server/connection.h"
#include "server/listener.h"
#include "server/metrics_http.h"

namespace kora {

// Copies start-up settings into the runtime configuration (CONFIG GET shows them).
void ApplyServerConfig(Service& svc, const ServerConfig& cfg) {
  ConfigStore& c = svc.config();
  auto set = [&](const std::string& k, const std::string& v) {
    std::string err = c.SetAtStartup(k, v);
    if (!err.empty()) KORA_LOG_WARN("config {}: {}", k, err);
  };
  set("requirepass", cfg.password);
  set("maxclients", std::to_string(cfg.maxclients));
  set("port", std::to_string(cfg.port));
  set("bind", cfg.bind);
  set("unixsocket", cfg.unix_socket);
  if (c.Has("maxmemory")) set("maxmemory", std::to_string(cfg.maxmemory));
  if (c.Has("maxmemory-policy")) set("maxmemory-policy", cfg.maxmemory_policy);
}

Server::Server(const ServerConfig& cfg) : cfg_(cfg) {
  EngineOptions eo;
  eo.workers = cfg.workers > 0 ? cfg.workers : static_cast<int>(std::thread::hardware_concurrency());
  if (eo.workers < 1) eo.workers = 1;
  engine_ = std::make_unique<Engine>(eo);
  ServiceOptions so;
  so.bind = cfg.bind;
  so.port = cfg.port;
  so.unix_socket = cfg.unix_socket;
  so.requirepass = cfg.password;
  so.maxclients = cfg.maxclients;
  so.config_file = cfg.config_file;
  service_ = std::make_unique<Service>(engine_.get(), so);
  RegisterAllFamilies(*service_);
  ApplyServerConfig(*service_, cfg_);
  tcp_fds_.resize(engine_->size());
  listeners_.resize(engine_->size());
}

Server::~Server() { Stop(); }

bool Server::OpenTcp(std::string* error) {
  if (cfg_.port == 0) return true;
  std::vector<std::string> addrs;
  size_t pos = 0;
  while (pos < cfg_.bind.size()) {
    size_t sp = cfg_.bind.find(' ', pos);
    if (sp == std::string::npos) sp = cfg_.bind.size();
    if (sp > pos) addrs.push_back(cfg_.bind.substr(pos, sp - pos));
    pos = sp + 1;
  }
  for (const auto& addr : addrs) {
    sockaddr_storage ss{};
    socklen_t len;
    int family;
    std::string host = addr;
    if (host.size() > 1 && host[0] == '-') host = host.substr(1);  // Redis's optional marker
    if (inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
      family = AF_INET;
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(cfg_.port));
      len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
      family = AF_INET6;
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(static_cast<uint16_t>(cfg_.port));
      len = sizeof(sockaddr_in6);
    } else {
      *error = "invalid --bind address '" + addr + "'";
      return false;
    }
    for (int w = 0; w < engine_->size(); ++w) {
      int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 511) != 0) {
        *error = "cannot listen on " + addr + ":" + std::to_string(cfg_.port) + ": " +
                 std::strerror(errno);
        ::close(fd);
        return false;
      }
      tcp_fds_[w].push_back(fd);
    }
  }
  return true;
}

bool Server::OpenUnix(std::string* error) {
  if (cfg_.unix_socket.empty()) return true;
  sockaddr_un su{};
  if (cfg_.unix_socket.size() >= sizeof(su.sun_path)) {
    *error = "--unix-socket path too long: '" + cfg_.unix_socket + "'";
    return false;
  }
  su.sun_family = AF_UNIX;
  std::memcpy(su.sun_path, cfg_.unix_socket.c_str(), cfg_.unix_socket.size() + 1);
  unlink(cfg_.unix_socket.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&su), sizeof(su)) != 0 || listen(fd, 511) != 0) {
    *error = "cannot listen on unix socket '" + cfg_.unix_socket + "': " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  chmod(cfg_.unix_socket.c_str(), 0700);
  unix_fd_ = fd;
  return true;
}

bool Server::Start(std::string* error) {
  if (!OpenTcp(error) || !OpenUnix(error)) return false;
  if (cfg_.metrics_port > 0) {
    metrics_ = std::make_unique<MetricsHttpServer>(service_.get(), cfg_.bind, cfg_.metrics_port);
    if (!metrics_->Start(error)) return false;
  }
  Service* svc = service_.get();
  engine_->Start([this, svc](Worker& w) {
    for (int fd : tcp_fds_[w.id()]) {
      auto l = std::make_unique<Listener>(svc, &w, fd, false, "");
      w.loop().Add(fd, EPOLLIN, l.get());
      listeners_[w.id()].push_back(std::move(l));
    }
    if (unix_fd_ >= 0) {
      // One shared socket; EPOLLEXCLUSIVE wakes one worker per connection so unix clients
      // spread over all workers instead of landing on one.
      auto l = std::make_unique<Listener>(svc, &w, unix_fd_, true, cfg_.unix_socket);
      w.loop().Add(unix_fd_, EPOLLIN | EPOLLEXCLUSIVE, l.get());
      listeners_[w.id()].push_back(std::move(l));
    }
  });
  if (!cfg_.data_dir.empty()) {
    // Persistence (WAL + snapshots, SPEC section 6) is not built yet: say so rather than let
    // an operator believe the data survives a restart.
    KORA_LOG_WARN("persistence is not implemented in this build: --data-dir {} is ignored and "
                  "the data lives in memory only", cfg_.data_dir);
  }
  KORA_LOG_INFO("Kora ready: {} worker(s), port {}, bind {}{}", engine_->size(), cfg_.port,
                cfg_.bind, cfg_.unix_socket.empty() ? "" : ", unix socket " + cfg_.unix_socket);
  return true;
}

void Server::Stop() {
  if (!engine_) return;
  metrics_.reset();  // joins the metrics thread before the service goes away
  Service* svc = service_.get();
  engine_->Stop([this, svc](Worker& w) {
    for (int fd : tcp_fds_[w.id()]) w.loop().Remove(fd);
    if (unix_fd_ >= 0) w.loop().Remove(unix_fd_);
    // Close every client of this worker (their in-flight replies were delivered by Run()).
    std::vector<ConnContext*> conns;
    for (auto& [id, c] : svc->local().conns) conns.push_back(c);
    for (auto* c : conns) c->Kill();
  });
  for (auto& v : tcp_fds_) {
    for (int fd : v) ::close(fd);
    v.clear();
  }
  if (unix_fd_ >= 0) {
    ::close(unix_fd_);
    unlink(cfg_.unix_socket.c_str());
    unix_fd_ = -1;
  }
  listeners_.clear();
  service_.reset();
  engine_.reset();
}

}  // namespace kora
