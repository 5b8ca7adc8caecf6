// Hybrid mode: RESP listeners attached to the running shard threads of a kora::Database.
//
// The sockets are opened here (one SO_REUSEPORT socket per worker, see OpenTcpListeners), then
// each worker registers its Listener on its own thread (its event loop is single-threaded),
// and the caller returns once every worker accepts. Clients are the server's Connections,
// dispatching into the same Service as the API calls, so both doors see the same data.
#include <sys/epoll.h>
#include <unistd.h>

#include <latch>

#include "embed/database_impl.h"
#include "server/listener.h"

namespace kora {

Status ParseHostPort(std::string_view host_port, std::string* host, int* port) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid listener address '" + std::string(host_port) +
                                   "': " + std::string(why) +
                                   " (expected host:port, e.g. 127.0.0.1:6379 or [::1]:6379)");
  };
  std::string_view h, p;
  if (!host_port.empty() && host_port[0] == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    h = host_port.substr(1, close - 1);
    if (close + 1 >= host_port.size() || host_port[close + 1] != ':') return bad("missing port");
    p = host_port.substr(close + 2);
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    h = host_port.substr(0, colon);
    p = host_port.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) return bad("put an IPv6 address in brackets");
  }
  if (h.empty()) return bad("missing host");
  if (p.empty() || p.size() > 5) return bad("the port must be a number from 0 to 65535");
  int v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return bad("the port must be a number from 0 to 65535");
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return bad("the port must be a number from 0 to 65535");
  *host = h == "localhost" ? "127.0.0.1" : std::string(h);
  sockaddr_storage ss;
  socklen_t len;
  if (!MakeSockAddr(*host, v, &ss, &len)) {
    return bad("the host must be a numeric IPv4 or IPv6 address, or localhost");
  }
  *port = v;
  return Status::OK();
}

Status Database::Impl::StartListener(std::string_view host_port) {
  std::string host;
  int port = 0;
  Status st = ParseHostPort(host_port, &host, &port);
  if (!st.ok()) return st;
  Worker* self = Worker::Current();
  if (self != nullptr && &self->engine() == engine_.get()) {
    return Status(StatusCode::kBusy, "a kora::Database cannot be called from its own shard thread");
  }

  std::lock_guard<std::mutex> lk(listen_mu_);
  std::vector<int> fds;
  int bound = 0;
  std::string error;
  if (!OpenTcpListeners(host, port, engine_->size(), &fds, &bound, &error)) {
    return Status::IOError(error);
  }
  std::latch registered(engine_->size());
  Service* svc = svc_.get();
  for (int i = 0; i < engine_->size(); ++i) {
    Worker& w = engine_->worker(i);
    int fd = fds[static_cast<size_t>(i)];
    auto* mine = &listeners_[static_cast<size_t>(i)];
    w.PostExternal([svc, &w, fd, mine, &registered] {
      auto l = std::make_unique<Listener>(svc, &w, fd, false, "");
      w.loop().Add(fd, EPOLLIN, l.get());
      mine->push_back(std::move(l));
      registered.count_down();
    });
  }
  registered.wait();
  listen_fds_.insert(listen_fds_.end(), fds.begin(), fds.end());
  listener_port_.store(bound, std::memory_order_release);
  // CONFIG GET port / bind show the latest listener, as they show the server's.
  std::string ignored = svc->config().SetAtStartup("port", std::to_string(bound));
  ignored = svc->config().SetAtStartup("bind", host);
  return Status::OK();
}

}  // namespace kora
