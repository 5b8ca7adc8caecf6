#include "server/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/connection.h"

namespace kora {

std::string SockAddrText(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

void Listener::OnIo(uint32_t) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int cfd = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;  // EAGAIN, or another worker took it (unix socket)
    int64_t maxclients = svc_->config().IntValue("maxclients");
    if (svc_->connected_clients().load() >= maxclients) {
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      ssize_t r = ::send(cfd, kMsg, sizeof(kMsg) - 1, MSG_NOSIGNAL);
      (void)r;
      ::close(cfd);
      ++svc_->local().rejected_connections;
      continue;
    }
    std::string peer, local;
    if (unix_) {
      peer = "/unixsocket:0";
      local = unix_path_ + ":0";
    } else {
      int one = 1;
      setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      peer = SockAddrText(ss);
      sockaddr_storage ls{};
      socklen_t llen = sizeof(ls);
      getsockname(cfd, reinterpret_cast<sockaddr*>(&ls), &llen);
      local = SockAddrText(ls);
    }
    auto* c = new Connection(svc_, worker_, cfd, std::move(peer), std::move(local), unix_);
    c->Start();
  }
}

bool MakeSockAddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  *ss = sockaddr_storage{};
  auto* a4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

namespace {

int BindListen(const sockaddr_storage& ss, socklen_t len, bool reuseport, std::string* error) {
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 || listen(fd, 511) != 0) {
    *error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool OpenTcpListeners(const std::string& host, int port, int count, std::vector<int>* fds,
                      int* bound_port, std::string* error) {
  sockaddr_storage ss;
  socklen_t len;
  if (!MakeSockAddr(host, port, &ss, &len)) {
    *error = "invalid address '" + host + "'";
    return false;
  }
  std::string why;
  // The probe: a socket without SO_REUSEPORT fails on an address anyone listens on, and picks
  // the port when `port` is 0.
  int probe = BindListen(ss, len, false, &why);
  if (probe < 0) {
    *error = "cannot listen on " + SockAddrText(ss) + ": " + why;
    return false;
  }
  sockaddr_storage got{};
  socklen_t glen = sizeof(got);
  getsockname(probe, reinterpret_cast<sockaddr*>(&got), &glen);
  ::close(probe);
  int p = got.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  MakeSockAddr(host, p, &ss, &len);
  fds->clear();
  for (int i = 0; i < count; ++i) {
    int fd = BindListen(ss, len, true, &why);
    if (fd < 0) {
      *error = "cannot listen on " + SockAddrText(ss) + ": " + why;
      for (int f : *fds) ::close(f);
      fds->clear();
      return false;
    }
    fds->push_back(fd);
  }
  *bound_port = p;
  return true;
}

}  // namespace kora
