#include "server/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "base/clock.h"
#include "base/logging.h"
#include "commands/service.h"
#include "observe/histogram.h"
#include "shard/shard.h"

namespace kora {
namespace {

// Everything the endpoints show, summed over the workers' latest snapshots.
struct View {
  int64_t time_ms = 0;
  int64_t uptime_s = 0;
  uint64_t clients = 0, blocked = 0, total_connections = 0, rejected_connections = 0;
  uint64_t total_commands = 0, ops_per_sec = 0, net_in = 0, net_out = 0;
  uint64_t hits = 0, misses = 0, expired = 0, evicted = 0, error_replies = 0;
  uint64_t used_memory = 0;
  int64_t maxmemory = 0;
  std::array<uint64_t, 16> db_keys{}, db_expires{};
  struct Command {
    std::string name;
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    observe::LatencyHistogram hist;
  };
  std::map<int, Command> commands;
  std::vector<observe::HotKey> hot_keys;
  std::map<std::string, observe::WorkerSnapshot::Prefix> prefixes;  // by prefix, all shards
  std::map<std::string, uint64_t> errors;
  struct ShardRow {
    uint64_t keys = 0, commands = 0, ops_per_sec = 0, clients = 0;
  };
  std::vector<ShardRow> shards;
};

View Gather(Service& svc) {
  View v;
  v.time_ms = NowUnixMs();
  v.uptime_s = (v.time_ms - svc.start_time_ms()) / 1000;
  v.maxmemory = svc.config().IntValue("maxmemory");
  int n = svc.engine().size();
  v.shards.resize(n);
  for (int i = 0; i < n; ++i) {
    auto s = svc.engine().worker(i).shard().metrics().Latest();
    if (!s) continue;
    v.clients += s->clients;
    v.blocked += s->blocked_clients;
    v.total_connections += s->total_connections;
    v.rejected_connections += s->rejected_connections;
    v.total_commands += s->total_commands;
    v.ops_per_sec += s->ops_per_sec;
    v.net_in += s->net_input_bytes;
    v.net_out += s->net_output_bytes;
    v.hits += s->keyspace_hits;
    v.misses += s->keyspace_misses;
    v.expired += s->expired_keys;
    v.evicted += s->evicted_keys;
    v.error_replies += s->total_error_replies;
    v.used_memory += s->used_memory;
    View::ShardRow& row = v.shards[i];
    row.commands = s->total_commands;
    row.ops_per_sec = s->ops_per_sec;
    row.clients = s->clients;
    for (int db = 0; db < 16; ++db) {
      v.db_keys[db] += s->db_keys[db];
      v.db_expires[db] += s->db_expires[db];
      row.keys += s->db_keys[db];
    }
    for (const auto& c : s->commands) {
      if (c.id < 0 || static_cast<size_t>(c.id) >= svc.all_specs().size()) continue;
      View::Command& cmd = v.commands[c.id];
      cmd.name = svc.all_specs()[c.id]->name;
      cmd.calls += c.calls;
      cmd.usec += c.usec;
      cmd.rejected += c.rejected;
      cmd.failed += c.failed;
      cmd.hist.MergeSparse(c.hist, c.hist_sum, c.hist_max);
    }
    v.hot_keys.insert(v.hot_keys.end(), s->hot_keys.begin(), s->hot_keys.end());
    for (const auto& [code, count] : s->errors) v.errors[code] += count;
    for (const auto& p : s->prefixes) {
      auto& sum = v.prefixes[p.prefix];
      sum.prefix = p.prefix;
      sum.bytes += p.bytes;
      sum.keys += p.keys;
    }
  }
  std::sort(v.hot_keys.begin(), v.hot_keys.end(), [](const auto& a, const auto& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.key < b.key;
  });
  if (v.hot_keys.size() > 20) v.hot_keys.resize(20);
  return v;
}

// Prometheus label value: UTF-8 text with \\, \" and \n escaped; other control bytes and bytes
// >= 0x80 are written as the four characters \xHH (keys are binary-safe, labels are not).
std::string LabelValue(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A JSON string literal (bytes >= 0x80 and control bytes as \u00XX, so any key is valid).
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Num(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", d);
  return buf;
}

class Prom {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::string_view labels, const std::string& value) {
    out_.append(name);
    if (!labels.empty()) {
      out_ += '{';
      out_.append(labels);
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::string_view labels, uint64_t v) {
    Sample(name, labels, std::to_string(v));
  }
  void One(const char* name, const char* type, const char* help, uint64_t v) {
    Family(name, type, help);
    Sample(name, "", v);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string MetricsHttpServer::RenderMetrics() const {
  View v = Gather(*svc_);
  Prom p;
  p.One("redis_uptime_in_seconds", "gauge", "Seconds since the server started.",
        static_cast<uint64_t>(v.uptime_s));
  p.One("redis_connected_clients", "gauge", "Client connections.", v.clients);
  p.One("redis_blocked_clients", "gauge", "Clients waiting in a blocking command.", v.blocked);
  p.One("redis_memory_used_bytes", "gauge", "Bytes allocated (INFO used_memory).",
        v.used_memory);
  p.One("redis_memory_max_bytes", "gauge", "The maxmemory setting.",
        static_cast<uint64_t>(std::max<int64_t>(v.maxmemory, 0)));
  p.One("redis_commands_processed_total", "counter", "Commands processed.", v.total_commands);
  p.One("redis_connections_received_total", "counter", "Connections accepted.",
        v.total_connections);
  p.One("redis_rejected_connections_total", "counter", "Connections rejected (maxclients).",
        v.rejected_connections);
  p.One("redis_net_input_bytes_total", "counter", "Bytes read from clients.", v.net_in);
  p.One("redis_net_output_bytes_total", "counter", "Bytes written to clients.", v.net_out);
  p.One("redis_keyspace_hits_total", "counter", "Successful key lookups.", v.hits);
  p.One("redis_keyspace_misses_total", "counter", "Failed key lookups.", v.misses);
  p.One("redis_expired_keys_total", "counter", "Keys removed because they expired.", v.expired);
  p.One("redis_evicted_keys_total", "counter", "Keys evicted under maxmemory.", v.evicted);
  p.One("kora_error_replies_total", "counter", "Error replies sent.", v.error_replies);
  auto label = [](const char* k, std::string_view v) {
    return std::string(k) + "=\"" + LabelValue(v) + "\"";
  };
  p.Family("redis_errors_total", "counter", "Error replies by error code.");
  for (const auto& [code, n] : v.errors) p.Sample("redis_errors_total", label("err", code), n);
  p.Family("redis_db_keys", "gauge", "Keys per database.");
  for (int db = 0; db < 16; ++db) {
    if (v.db_keys[db]) {
      p.Sample("redis_db_keys", label("db", "db" + std::to_string(db)), v.db_keys[db]);
    }
  }
  p.Family("redis_db_keys_expiring", "gauge", "Keys with a time to live per database.");
  for (int db = 0; db < 16; ++db) {
    if (v.db_keys[db]) {
      p.Sample("redis_db_keys_expiring", label("db", "db" + std::to_string(db)), v.db_expires[db]);
    }
  }
  // Per command, as redis_exporter names them (from INFO commandstats).
  p.Family("redis_commands_total", "counter", "Calls per command.");
  for (const auto& [id, c] : v.commands) {
    p.Sample("redis_commands_total", label("cmd", c.name), c.calls);
  }
  p.Family("redis_commands_duration_seconds_total", "counter", "Time spent per command.");
  for (const auto& [id, c] : v.commands) {
    p.Sample("redis_commands_duration_seconds_total", label("cmd", c.name),
             Num(static_cast<double>(c.usec) / 1e6));
  }
  p.Family("redis_commands_rejected_calls_total", "counter", "Rejected calls per command.");
  for (const auto& [id, c] : v.commands) {
    p.Sample("redis_commands_rejected_calls_total", label("cmd", c.name), c.rejected);
  }
  p.Family("redis_commands_failed_calls_total", "counter", "Failed calls per command.");
  for (const auto& [id, c] : v.commands) {
    p.Sample("redis_commands_failed_calls_total", label("cmd", c.name), c.failed);
  }
  // Latency: a Prometheus histogram per command, buckets 1 µs * 2^k up to 64 s.
  p.Family("kora_command_latency_seconds", "histogram", "Command run time.");
  for (const auto& [id, c] : v.commands) {
    if (c.hist.total() == 0) continue;
    std::string cmd = label("cmd", c.name);
    for (int k = 0; k <= 26; ++k) {
      int64_t le_us = int64_t{1} << k;
      p.Sample("kora_command_latency_seconds_bucket", cmd + ",le=\"" + Num(le_us / 1e6) + "\"",
               c.hist.CountAtOrBelow(le_us));
    }
    p.Sample("kora_command_latency_seconds_bucket", cmd + ",le=\"+Inf\"", c.hist.total());
    p.Sample("kora_command_latency_seconds_sum", cmd,
             Num(static_cast<double>(c.hist.sum()) / 1e6));
    p.Sample("kora_command_latency_seconds_count", cmd, c.hist.total());
  }
  p.Family("kora_hotkey_hits", "gauge", "Estimated hits of the heaviest keys (count-min sketch).");
  for (const auto& hk : v.hot_keys) p.Sample("kora_hotkey_hits", label("key", hk.key), hk.hits);
  p.Family("kora_memory_prefix_bytes", "gauge",
           "Bytes (MEMORY USAGE, summed) of the keys under each top-level prefix of db 0.");
  for (const auto& [name, pr] : v.prefixes) {
    p.Sample("kora_memory_prefix_bytes", label("prefix", name), static_cast<uint64_t>(pr.bytes));
  }
  p.Family("kora_memory_prefix_keys", "gauge", "Keys under each top-level prefix of db 0.");
  for (const auto& [name, pr] : v.prefixes) {
    p.Sample("kora_memory_prefix_keys", label("prefix", name), static_cast<uint64_t>(pr.keys));
  }
  p.One("kora_workers", "gauge", "Worker threads (shards).", v.shards.size());
  p.Family("kora_shard_keys", "gauge", "Keys per shard (all databases).");
  for (size_t i = 0; i < v.shards.size(); ++i) {
    p.Sample("kora_shard_keys", label("shard", std::to_string(i)), v.shards[i].keys);
  }
  p.Family("kora_shard_commands_total", "counter", "Commands dispatched per worker.");
  for (size_t i = 0; i < v.shards.size(); ++i) {
    p.Sample("kora_shard_commands_total", label("shard", std::to_string(i)), v.shards[i].commands);
  }
  p.Family("kora_shard_connected_clients", "gauge", "Client connections per worker.");
  for (size_t i = 0; i < v.shards.size(); ++i) {
    p.Sample("kora_shard_connected_clients", label("shard", std::to_string(i)),
             v.shards[i].clients);
  }
  return std::move(p.out());
}

std::string MetricsHttpServer::RenderJson() const {
  View v = Gather(*svc_);
  std::string o = "{";
  auto field = [&o](const char* k, const std::string& val) {
    if (o.size() > 1) o += ',';
    o += '"';
    o += k;
    o += "\":";
    o += val;
  };
  auto u = [](uint64_t x) { return std::to_string(x); };
  field("time_ms", std::to_string(v.time_ms));
  field("uptime_seconds", std::to_string(v.uptime_s));
  field("connected_clients", u(v.clients));
  field("blocked_clients", u(v.blocked));
  field("used_memory", u(v.used_memory));
  field("maxmemory", std::to_string(v.maxmemory));
  field("total_commands_processed", u(v.total_commands));
  field("instantaneous_ops_per_sec", u(v.ops_per_sec));
  field("total_net_input_bytes", u(v.net_in));
  field("total_net_output_bytes", u(v.net_out));
  field("keyspace_hits", u(v.hits));
  field("keyspace_misses", u(v.misses));
  field("expired_keys", u(v.expired));
  field("evicted_keys", u(v.evicted));
  field("total_error_replies", u(v.error_replies));
  uint64_t keys = 0;
  for (auto k : v.db_keys) keys += k;
  field("keys", u(keys));
  std::string a = "[";
  for (const auto& [id, c] : v.commands) {
    if (a.size() > 1) a += ',';
    const auto& h = c.hist;
    a += "{\"name\":" + JsonString(c.name) + ",\"calls\":" + u(c.calls) + ",\"usec\":" +
         u(c.usec) + ",\"failed\":" + u(c.failed) + ",\"rejected\":" + u(c.rejected) +
         ",\"p50_us\":" + std::to_string(h.ValueAtPercentile(50)) +
         ",\"p90_us\":" + std::to_string(h.ValueAtPercentile(90)) +
         ",\"p99_us\":" + std::to_string(h.ValueAtPercentile(99)) +
         ",\"p999_us\":" + std::to_string(h.ValueAtPercentile(99.9)) +
         ",\"max_us\":" + std::to_string(h.max()) + "}";
  }
  field("commands", a + "]");
  a = "[";
  for (const auto& hk : v.hot_keys) {
    if (a.size() > 1) a += ',';
    a += "{\"key\":" + JsonString(hk.key) + ",\"hits\":" + u(hk.hits) + "}";
  }
  field("hot_keys", a + "]");
  a = "[";
  for (size_t i = 0; i < v.shards.size(); ++i) {
    if (a.size() > 1) a += ',';
    a += "{\"shard\":" + std::to_string(i) + ",\"keys\":" + u(v.shards[i].keys) +
         ",\"commands\":" + u(v.shards[i].commands) +
         ",\"ops_per_sec\":" + u(v.shards[i].ops_per_sec) +
         ",\"clients\":" + u(v.shards[i].clients) + "}";
  }
  field("shards", a + "]");
  std::vector<const observe::WorkerSnapshot::Prefix*> by_size;
  for (const auto& [name, pr] : v.prefixes) by_size.push_back(&pr);
  std::sort(by_size.begin(), by_size.end(),
            [](const auto* a, const auto* b) { return a->bytes > b->bytes; });
  a = "[";
  for (size_t i = 0; i < by_size.size() && i < 20; ++i) {
    if (a.size() > 1) a += ',';
    a += "{\"prefix\":" + JsonString(by_size[i]->prefix) + ",\"bytes\":" +
         std::to_string(by_size[i]->bytes) + ",\"keys\":" + std::to_string(by_size[i]->keys) + "}";
  }
  field("memory_by_prefix", a + "]");
  return o + "}";
}

MetricsHttpServer::MetricsHttpServer(Service* svc, std::string bind, int port)
    : svc_(svc), bind_(std::move(bind)), port_(port) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

bool MetricsHttpServer::Start(std::string* error) {
  size_t pos = 0;
  while (pos < bind_.size()) {
    size_t sp = bind_.find(' ', pos);
    if (sp == std::string::npos) sp = bind_.size();
    std::string host = bind_.substr(pos, sp - pos);
    pos = sp + 1;
    if (host.empty()) continue;
    if (host.size() > 1 && host[0] == '-') host = host.substr(1);
    sockaddr_storage ss{};
    socklen_t len;
    int family;
    if (inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
      family = AF_INET;
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(port_));
      len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(),
                         &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
      family = AF_INET6;
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(static_cast<uint16_t>(port_));
      len = sizeof(sockaddr_in6);
    } else {
      *error = "invalid --bind address '" + host + "' for the metrics port";
      return false;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 64) != 0) {
      *error = "cannot listen on " + host + ":" + std::to_string(port_) +
               " (metrics): " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    fds_.push_back(fd);
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Run(); });
  return true;
}

void MetricsHttpServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    ssize_t r = write(wake_fd_, &one, sizeof(one));
    (void)r;
    thread_.join();
  }
  for (int fd : fds_) ::close(fd);
  fds_.clear();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

void MetricsHttpServer::Run() {
  std::vector<pollfd> pfds;
  for (int fd : fds_) pfds.push_back({fd, POLLIN, 0});
  pfds.push_back({wake_fd_, POLLIN, 0});
  while (!stop_.load()) {
    if (poll(pfds.data(), pfds.size(), 1000) <= 0) continue;
    for (size_t i = 0; i + 1 < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      int c = accept4(pfds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{2, 0};  // a slow or idle client cannot hold the thread for long
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      Serve(c);
      ::close(c);
    }
  }
}

void MetricsHttpServer::Serve(int fd) {
  std::string req;
  char buf[4096];
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  size_t line_end = req.find("\r\n");
  std::string line = req.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  std::string method = line.substr(0, sp1);
  std::string path = sp1 == std::string::npos ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = path.find('?');
  if (q != std::string::npos) path.resize(q);
  int status = 200;
  std::string type, body;
  if (method != "GET" && method != "HEAD") {
    status = 405;
    type = "text/plain; charset=utf-8";
    body = "method not allowed\n";
  } else if (path == "/metrics") {
    type = "text/plain; version=0.0.4; charset=utf-8";
    body = RenderMetrics();
  } else if (path == "/api/stats") {
    type = "application/json";
    body = RenderJson();
  } else if (path == "/" || path == "/index.html") {
    type = "text/html; charset=utf-8";
    body = DashboardHtml();
  } else {
    status = 404;
    type = "text/plain; charset=utf-8";
    body = "not found\n";
  }
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Method Not Allowed";
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: " + type +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  std::string out = head;
  if (method != "HEAD") out += body;
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace kora
