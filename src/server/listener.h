// Accepting RESP clients: the Listener a worker's event loop calls when a listening socket is
// readable, and the helpers that open listening sockets.
//
// Used by the server process (Server::Start adds listeners before the workers run) and by the
// embedded library's hybrid mode (kora::Database::StartListener adds them to workers that are
// already running, each on its own worker's thread). A Listener belongs to one worker and is
// only touched on that worker's thread; it does not own its socket.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "commands/service.h"
#include "shard/engine.h"

namespace kora {

// "host:port" for an IPv4 or IPv6 socket address.
std::string SockAddrText(const sockaddr_storage& ss);

class Listener : public IoHandler {
 public:
  Listener(Service* svc, Worker* w, int fd, bool unix_socket, std::string unix_path)
      : svc_(svc), worker_(w), fd_(fd), unix_(unix_socket), unix_path_(std::move(unix_path)) {}

  int fd() const { return fd_; }
  // Accepts pending connections and starts a Connection on this worker for each.
  void OnIo(uint32_t events) override;

 private:
  Service* svc_;
  Worker* worker_;
  int fd_;
  bool unix_;
  std::string unix_path_;
};

// Fills `ss`/`len` for a numeric IPv4 or IPv6 address (no brackets) and a port. False if
// `host` is not a numeric address.
bool MakeSockAddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len);

// Opens `count` non-blocking TCP listening sockets on `host:port` with SO_REUSEPORT (one per
// worker, the kernel spreads connections). `port` 0 picks a free port, the same for all. The
// address must not already be bound by anyone (a bind without SO_REUSEPORT is tried first, so
// this never silently joins another process's or another engine's listeners). On success
// returns true and sets `fds` and `bound_port`; otherwise false with a one-line `error`.
bool OpenTcpListeners(const std::string& host, int port, int count, std::vector<int>* fds,
                      int* bound_port, std::string* error);

}  // namespace kora
