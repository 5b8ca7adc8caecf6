// libFuzzer target: start-up configuration, both doors. The first byte picks one:
//  - even: the rest is a kora.toml file (TOML parsing, key paths, every setting's value parser);
//  - odd: the rest is a command line, arguments separated by NUL bytes (flag names, --x=y,
//    missing values, every value parser).
// Invariants: no crash, no hang, no leak; a rejected configuration comes with an error text.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "server/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> args = {"kora-server"};
  std::string path;
  if ((data[0] & 1) == 0) {
    char tmpl[] = "/tmp/kora-config-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) return 0;
    path = tmpl;
    if (write(fd, body.data(), body.size()) != static_cast<ssize_t>(body.size())) {
      close(fd);
      unlink(tmpl);
      return 0;
    }
    close(fd);
    args.push_back("--config");
    args.push_back(path);
  } else {
    size_t start = 0;
    for (size_t i = 0; i <= body.size(); ++i) {
      if (i == body.size() || body[i] == '\0') {
        args.push_back(body.substr(start, i - start));
        start = i + 1;
      }
    }
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  kora::ServerConfig cfg;
  std::string error;
  bool ok = kora::ParseServerConfig(static_cast<int>(args.size()), argv.data(), &cfg, &error);
  if (!ok && error.empty()) __builtin_trap();  // every refusal says why
  if (!path.empty()) unlink(path.c_str());
  return 0;
}
