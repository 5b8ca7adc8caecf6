// kora-server (also built as kora-cli): parse settings, start the server, wait for a signal.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "base/logging.h"
#include "server/options.h"
#include "server/server.h"

int main(int argc, char** argv) {
  kora::ServerConfig cfg;
  std::string error;
  if (!kora::ParseServerConfig(argc, argv, &cfg, &error)) {
    std::fprintf(stderr, "kora-server: %s\n", error.c_str());
    return 1;
  }
  if (cfg.show_help) {
    std::fputs(kora::ServerUsage().c_str(), stdout);
    return 0;
  }
  if (cfg.show_version) {
    std::printf("kora-server %s (redis protocol 7.0.15)\n", KORA_VERSION);
    return 0;
  }
  kora::LogLevel level;
  kora::ParseLogLevel(cfg.log_level, &level);
  kora::SetLogLevel(level);

  // Signals are taken by this thread only (sigwait), never by the workers.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  kora::Server server(cfg);
  server.service().on_shutdown = [] { kill(getpid(), SIGTERM); };
  if (!server.Start(&error)) {
    std::fprintf(stderr, "kora-server: %s\n", error.c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  KORA_LOG_INFO("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
  KORA_LOG_INFO("bye");
  return 0;
}
