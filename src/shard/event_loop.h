// An epoll event loop owned by one worker thread.
//
// File descriptors are registered with an IoHandler that outlives its registration. Timers
// are periodic callbacks. Everything runs on the owning thread.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace kora {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void OnIo(uint32_t epoll_events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool Add(int fd, uint32_t events, IoHandler* h);
  bool Modify(int fd, uint32_t events, IoHandler* h);
  void Remove(int fd);

  // Runs fn every `interval_ms` on this loop's thread.
  void AddTimer(int interval_ms, std::function<void()> fn);
  // Milliseconds until the next timer is due (0 if overdue).
  int NextTimerMs(int64_t now_us) const;
  void RunDueTimers(int64_t now_us);

  // Waits up to timeout_ms (-1 forever) and dispatches ready handlers. Returns events handled.
  int Poll(int timeout_ms);

 private:
  struct Timer {
    int64_t interval_us;
    int64_t next_us;
    std::function<void()> fn;
  };
  int epfd_;
  std::vector<Timer> timers_;
};

}  // namespace kora
