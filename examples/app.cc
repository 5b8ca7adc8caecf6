// A small program embedding Kora: typed calls, a generic command, errors as values, and
// (with --listen HOST:PORT) hybrid mode, serving the same data to Redis clients until Enter.
#include <kora/database.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  kora::Config config;
  config.shard_count = 4;  // 0 = one per hardware thread
  auto opened = kora::Database::Open(config);
  if (!opened.ok()) {
    std::cerr << "open: " << opened.status().ToString() << "\n";
    return 1;
  }
  std::unique_ptr<kora::Database> db = std::move(opened).value();

  if (kora::Status st = db->Set("user:1", "Augustus"); !st.ok()) {
    std::cerr << "set: " << st.ToString() << "\n";
    return 1;
  }
  kora::Result<std::optional<std::string>> name = db->Get("user:1");
  std::cout << "user:1 = " << name->value_or("(missing)") << "\n";

  (void)db->HSet("profile:1", "name", "Augustus");
  (void)db->LPush("queue", {"task-1", "task-2"});
  // Keep the Result in a variable: a range-for over a temporary's value() would dangle.
  kora::Result<std::vector<std::string>> tasks = db->LRange("queue", 0, -1);
  for (const std::string& task : *tasks) std::cout << "queue: " << task << "\n";

  // Any command, with a RESP3-shaped reply.
  (void)db->Execute({"ZADD", "board", "10", "ann", "7", "bob"});
  kora::Result<kora::Reply> top = db->Execute({"ZRANGE", "board", "0", "-1", "WITHSCORES"});
  std::cout << "board:\n" << top->ToString() << "\n";

  // Errors are values.
  kora::Result<int64_t> bad = db->Incr("queue");
  std::cout << "incr queue: " << bad.status().ToString() << "\n";

  if (argc == 3 && std::strcmp(argv[1], "--listen") == 0) {
    if (kora::Status st = db->StartListener(argv[2]); !st.ok()) {
      std::cerr << "listen: " << st.ToString() << "\n";
      return 1;
    }
    std::cout << "serving RESP on port " << db->listener_port() << "; press Enter to stop\n";
    std::string line;
    std::getline(std::cin, line);
    std::cout << "user:1 is now " << db->Get("user:1")->value_or("(missing)") << "\n";
  }
  return 0;
}
