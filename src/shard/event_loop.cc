#include "shard/event_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "base/clock.h"

namespace kora {

EventLoop::EventLoop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {}
EventLoop::~EventLoop() { close(epfd_); }

bool EventLoop::Add(int fd, uint32_t events, IoHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::Modify(int fd, uint32_t events, IoHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::AddTimer(int interval_ms, std::function<void()> fn) {
  int64_t iv = static_cast<int64_t>(interval_ms) * 1000;
  timers_.push_back({iv, MonotonicUs() + iv, std::move(fn)});
}

int EventLoop::NextTimerMs(int64_t now_us) const {
  int64_t best = -1;
  for (const auto& t : timers_) {
    int64_t d = t.next_us - now_us;
    if (d < 0) d = 0;
    if (best < 0 || d < best) best = d;
  }
  if (best < 0) return 1000;
  return static_cast<int>((best + 999) / 1000);
}

void EventLoop::RunDueTimers(int64_t now_us) {
  for (size_t i = 0; i < timers_.size(); ++i) {
    if (timers_[i].next_us <= now_us) {
      timers_[i].next_us = now_us + timers_[i].interval_us;
      timers_[i].fn();
    }
  }
}

int EventLoop::Poll(int timeout_ms) {
  epoll_event events[256];
  int n = epoll_wait(epfd_, events, 256, timeout_ms);
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    static_cast<IoHandler*>(events[i].data.ptr)->OnIo(events[i].events);
  }
  return n;
}

}  // namespace kora
