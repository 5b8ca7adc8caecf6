#include "shard/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>

namespace kora {
namespace {

// Invariant: every hop sent from one worker to another runs exactly once, in send order.
TEST(Engine, HopsRunOnceInOrder) {
  EngineOptions o;
  o.workers = 4;
  Engine e(o);
  e.Start(nullptr);
  constexpr int kMessages = 20000;
  std::atomic<int> done{0};
  std::vector<int> seen[4][4];
  for (int src = 0; src < 4; ++src) {
    e.worker(src).PostExternal([&, src] {
      Worker* self = Worker::Current();
      for (int i = 0; i < kMessages; ++i) {
        int dst = i % 4;
        self->Send(dst, [&, src, dst, i] {
          seen[src][dst].push_back(i);
          done.fetch_add(1);
        });
      }
    });
  }
  for (int spin = 0; spin < 1000 && done.load() < 4 * kMessages; ++spin) usleep(10000);
  e.Stop();
  ASSERT_EQ(done.load(), 4 * kMessages);
  for (int s = 0; s < 4; ++s) {
    for (int d = 0; d < 4; ++d) {
      ASSERT_EQ(seen[s][d].size(), static_cast<size_t>(kMessages / 4));
      for (size_t k = 1; k < seen[s][d].size(); ++k) ASSERT_LT(seen[s][d][k - 1], seen[s][d][k]);
    }
  }
}

TEST(Engine, SlotRoutingCoversAllShards) {
  EngineOptions o;
  o.workers = 3;
  Engine e(o);
  EXPECT_EQ(e.ShardOfSlot(0), 0);
  EXPECT_EQ(e.ShardOfSlot(16383), 2);
  EXPECT_EQ(e.ShardOf("{a}x"), e.ShardOf("{a}y"));
}

}  // namespace
}  // namespace kora
