// The parts of the Service behind CLIENT PAUSE and INFO's instantaneous rates: the pause
// state, the commands it holds back, and the 100 ms timer every worker runs.
#include "base/clock.h"
#include "commands/service.h"

namespace kora {

void RateSampler::Sample(int64_t now_ms, uint64_t value) {
  int64_t t = now_ms - last_ms;
  if (last_ms != 0) {
    uint64_t delta = value >= last_value ? value - last_value : 0;
    samples[index] = t > 0 ? delta * 1000 / static_cast<uint64_t>(t) : 0;
    index = (index + 1) % kSamples;
  }
  last_ms = now_ms;
  last_value = value;
}

uint64_t RateSampler::PerSecond() const {
  uint64_t sum = 0;
  for (uint64_t s : samples) sum += s;
  return sum / kSamples;
}

void Service::Pause(int64_t end_ms, PauseMode mode) {
  std::lock_guard<std::mutex> lk(pause_mu_);
  int64_t now = NowUnixMs();
  bool active = paused_.load(std::memory_order_acquire) &&
                pause_end_ms_.load(std::memory_order_acquire) > now;
  if (!active) {
    pause_end_ms_.store(end_ms, std::memory_order_release);
    pause_mode_.store(static_cast<int>(mode), std::memory_order_release);
  } else {
    if (end_ms > pause_end_ms_.load()) pause_end_ms_.store(end_ms, std::memory_order_release);
    if (static_cast<int>(mode) > pause_mode_.load()) {
      pause_mode_.store(static_cast<int>(mode), std::memory_order_release);
    }
  }
  paused_.store(true, std::memory_order_release);
}

void Service::Unpause() {
  {
    std::lock_guard<std::mutex> lk(pause_mu_);
    paused_.store(false, std::memory_order_release);
    pause_end_ms_.store(0, std::memory_order_release);
    pause_mode_.store(0, std::memory_order_release);
  }
  Worker* self = Worker::Current();
  for (int i = 0; i < engine_->size(); ++i) {
    self->Send(i, [this, i] { ResumeParked(*workers_[i]); });
  }
}

bool Service::ParkIfPaused(ConnContext& conn, const CommandSpec* spec, CmdArgs args) {
  if (NowUnixMs() >= pause_end_ms_.load(std::memory_order_acquire)) return false;
  auto mode = static_cast<PauseMode>(pause_mode_.load(std::memory_order_acquire));
  bool held = mode == PauseMode::kAll ||
              (mode == PauseMode::kWrite && (spec->flags & (kCmdWrite | kCmdMayReplicate)));
  if (!held) return false;
  conn.Ref();
  conn.SetBarrier(true);  // later commands of this client wait behind this one
  workers_[conn.home_worker]->parked.push_back(
      ParkedCommand{&conn, std::vector<std::string>(args.begin(), args.end())});
  return true;
}

void Service::ResumeParked(WorkerState& ws) {
  std::vector<ParkedCommand> parked;
  parked.swap(ws.parked);
  for (auto& p : parked) {
    ConnContext* c = p.conn;
    if (!c->closing) {
      c->SetBarrier(false);  // schedules the connection to continue with its input
      std::vector<std::string_view> views(p.args.begin(), p.args.end());
      Dispatch(*c, CmdArgs(views.data(), views.size()));  // may park it again
    }
    c->Unref();
  }
}

void Service::OnWorkerTimer(int worker) {
  WorkerState& ws = *workers_[worker];
  int64_t now = NowUnixMs();
  ws.ops_rate.Sample(now, ws.total_commands);
  ws.net_in_rate.Sample(now, ws.net_input_bytes);
  ws.net_out_rate.Sample(now, ws.net_output_bytes);
  if (paused_.load(std::memory_order_acquire) &&
      now >= pause_end_ms_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lk(pause_mu_);
    if (now >= pause_end_ms_.load()) {
      paused_.store(false, std::memory_order_release);
      pause_mode_.store(0, std::memory_order_release);
    }
  }
  if (!ws.parked.empty() && !paused_.load(std::memory_order_acquire)) ResumeParked(ws);
}

}  // namespace kora
