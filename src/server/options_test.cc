#include "server/options.h"

#include <gtest/gtest.h>

namespace kora {
namespace {

bool Parse(std::vector<std::string> args, ServerConfig* cfg, std::string* err) {
  std::vector<char*> argv{const_cast<char*>("kora-server")};
  for (auto& a : args) argv.push_back(a.data());
  return ParseServerConfig(static_cast<int>(argv.size()), argv.data(), cfg, err);
}

TEST(Options, FlagsParse) {
  ServerConfig cfg;
  std::string err;
  ASSERT_TRUE(Parse({"--port", "7000", "--workers=3", "--maxmemory", "10mb"}, &cfg, &err)) << err;
  EXPECT_EQ(cfg.port, 7000);
  EXPECT_EQ(cfg.workers, 3);
  EXPECT_EQ(cfg.maxmemory, 10 * 1024 * 1024);
}

TEST(Options, BadInputNamesTheCulprit) {
  ServerConfig cfg;
  std::string err;
  EXPECT_FALSE(Parse({"--bogus", "1"}, &cfg, &err));
  EXPECT_NE(err.find("--bogus"), std::string::npos);
  EXPECT_FALSE(Parse({"--port", "70000"}, &cfg, &err));
  EXPECT_NE(err.find("--port"), std::string::npos);
  EXPECT_FALSE(Parse({"--maxmemory-policy", "lru"}, &cfg, &err));
  EXPECT_NE(err.find("maxmemory-policy"), std::string::npos);
  EXPECT_FALSE(Parse({"--config", "/nonexistent.toml"}, &cfg, &err));
}

TEST(Options, TomlFileAndUnknownKey) {
  char path[] = "/tmp/kora_opts_XXXXXX";
  int fd = mkstemp(path);
  std::string body = "port = 7001\nworkers = 2\n[storage]\nwal_sync = \"every_write\"\n";
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  ServerConfig cfg;
  std::string err;
  ASSERT_TRUE(Parse({"--config", path, "--port", "7002"}, &cfg, &err)) << err;
  EXPECT_EQ(cfg.port, 7002);  // flags override the file
  EXPECT_EQ(cfg.workers, 2);
  EXPECT_EQ(cfg.wal_sync, "every_write");
  FILE* f = fopen(path, "w");
  fputs("prot = 1\n", f);
  fclose(f);
  EXPECT_FALSE(Parse({"--config", path}, &cfg, &err));
  EXPECT_NE(err.find("'prot'"), std::string::npos);
  unlink(path);
}

}  // namespace
}  // namespace kora
