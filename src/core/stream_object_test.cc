#include "core/stream_object.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kora {
namespace {

std::vector<std::string_view> Fv(std::initializer_list<std::string_view> l) { return l; }

StreamId Add(StreamObject& s, StreamId id, std::vector<std::string_view> fv = {"f", "v"},
             StreamObject::NodeLimits lim = {}) {
  StreamId added;
  EXPECT_EQ(s.Add(fv, &id, true, 0, lim, &added), StreamObject::AddStatus::kOk);
  return added;
}

std::vector<StreamId> Ids(const StreamObject& s, StreamId start, StreamId end, bool rev) {
  std::vector<StreamId> out;
  StreamObject::Iterator it(s, start, end, rev);
  StreamId id;
  while (it.Next(&id)) out.push_back(id);
  return out;
}

TEST(StreamIdTest, IncrDecrWrap) {
  StreamId a{1, UINT64_MAX};
  EXPECT_TRUE(a.Incr());
  EXPECT_EQ(a, (StreamId{2, 0}));
  StreamId m = StreamId::Max();
  EXPECT_FALSE(m.Incr());
  EXPECT_TRUE(m.IsZero());
  StreamId z;
  EXPECT_FALSE(z.Decr());
  EXPECT_EQ(z, StreamId::Max());
  EXPECT_EQ((StreamId{3, 4}).ToString(), "3-4");
}

TEST(StreamObjectTest, AutoIdsNeverGoBack) {
  StreamObject s;
  StreamId a, b, c;
  auto fv = Fv({"f", "v"});
  ASSERT_EQ(s.Add(fv, nullptr, true, 100, {}, &a), StreamObject::AddStatus::kOk);
  ASSERT_EQ(s.Add(fv, nullptr, true, 100, {}, &b), StreamObject::AddStatus::kOk);
  ASSERT_EQ(s.Add(fv, nullptr, true, 50, {}, &c), StreamObject::AddStatus::kOk);
  EXPECT_EQ(a, (StreamId{100, 0}));
  EXPECT_EQ(b, (StreamId{100, 1}));
  EXPECT_EQ(c, (StreamId{100, 2}));
  StreamId small{100, 2};
  StreamId out;
  EXPECT_EQ(s.Add(fv, &small, true, 0, {}, &out), StreamObject::AddStatus::kIdTooSmall);
  StreamId ms_only{100, 0};
  ASSERT_EQ(s.Add(fv, &ms_only, false, 0, {}, &out), StreamObject::AddStatus::kOk);
  EXPECT_EQ(out, (StreamId{100, 3}));
  EXPECT_EQ(s.length(), 4u);
  EXPECT_EQ(s.entries_added(), 4u);
}

TEST(StreamObjectTest, IterationSkipsTombstonesBothWays) {
  StreamObject s;
  StreamObject::NodeLimits lim{4096, 3};
  for (uint64_t i = 1; i <= 10; ++i) Add(s, {i, 0}, {"f", "v"}, lim);
  EXPECT_EQ(s.rax_keys(), 4u);
  StreamId del[] = {{2, 0}, {5, 0}, {9, 0}};
  EXPECT_EQ(s.DeleteIds(del), 3);
  auto fwd = Ids(s, {3, 0}, {9, 5}, false);
  EXPECT_EQ(fwd, (std::vector<StreamId>{{3, 0}, {4, 0}, {6, 0}, {7, 0}, {8, 0}}));
  auto rev = Ids(s, {3, 0}, {9, 5}, true);
  EXPECT_EQ(rev, (std::vector<StreamId>{{8, 0}, {7, 0}, {6, 0}, {4, 0}, {3, 0}}));
  EXPECT_TRUE(Ids(s, {11, 0}, StreamId::Max(), false).empty());
  EXPECT_TRUE(Ids(s, {0, 0}, {0, 5}, true).empty());
  EXPECT_EQ(s.max_deleted_id(), (StreamId{9, 0}));
  EXPECT_EQ(s.first_id(), (StreamId{1, 0}));
}

TEST(StreamObjectTest, DeletingLastLiveEntryDropsTheNode) {
  StreamObject s;
  StreamObject::NodeLimits lim{4096, 2};
  for (uint64_t i = 1; i <= 4; ++i) Add(s, {1, i}, {"f", "v"}, lim);
  EXPECT_EQ(s.rax_keys(), 2u);
  StreamId first[] = {{1, 1}, {1, 2}};
  EXPECT_EQ(s.DeleteIds(first), 2);
  EXPECT_EQ(s.rax_keys(), 1u);
  EXPECT_EQ(s.first_id(), (StreamId{1, 3}));
  StreamId rest[] = {{1, 3}, {1, 4}, {1, 4}};
  EXPECT_EQ(s.DeleteIds(rest), 2);
  EXPECT_EQ(s.length(), 0u);
  EXPECT_EQ(s.rax_keys(), 0u);
  EXPECT_EQ(s.RaxNodes(), 1u);
  EXPECT_TRUE(s.first_id().IsZero());
}

TEST(StreamObjectTest, TrimExactAndApprox) {
  StreamObject s;
  StreamObject::NodeLimits lim{4096, 10};
  for (uint64_t i = 1; i <= 35; ++i) Add(s, {1, i}, {"f", "v"}, lim);
  StreamTrimArgs approx;
  approx.strategy = StreamTrimArgs::kMaxLen;
  approx.approx = true;
  approx.maxlen = 12;
  EXPECT_EQ(s.Trim(approx), 20);  // whole nodes only
  EXPECT_EQ(s.length(), 15u);
  StreamTrimArgs exact;
  exact.strategy = StreamTrimArgs::kMinId;
  exact.minid = {1, 30};
  EXPECT_EQ(s.Trim(exact), 9);
  EXPECT_EQ(s.first_id(), (StreamId{1, 30}));
  EXPECT_EQ(Ids(s, {}, StreamId::Max(), false).front(), (StreamId{1, 30}));
}

TEST(StreamObjectTest, RaxNodeCountsMatchRedis) {
  StreamObject s;
  EXPECT_EQ(s.RaxNodes(), 1u);
  StreamObject::NodeLimits lim{4096, 1};
  Add(s, {1, 1}, {"f", "v"}, lim);
  EXPECT_EQ(s.RaxNodes(), 2u);  // one compressed node and the key
  Add(s, {1, 2}, {"f", "v"}, lim);
  EXPECT_EQ(s.RaxNodes(), 4u);  // they differ in the last byte
  Add(s, {2, 0}, {"f", "v"}, lim);
  EXPECT_EQ(s.RaxNodes(), 8u);  // as redis-server 7.0 reports
}

TEST(StreamObjectTest, NodeSplitsByListpackBytes) {
  StreamObject s;
  StreamObject::NodeLimits lim{100, 100};
  std::string val(20, 'a');
  for (uint64_t i = 1; i <= 6; ++i) Add(s, {1, i}, {"f", val}, lim);
  // Three entries with 20-byte values fill a 100-byte listpack (redis-server 7.0 agrees).
  EXPECT_EQ(s.rax_keys(), 2u);
}

TEST(StreamObjectTest, GroupsDeliverAckAndLag) {
  StreamObject s;
  for (uint64_t i = 1; i <= 5; ++i) Add(s, {1, i});
  StreamGroup* g = s.CreateGroup("g", {}, 0);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(s.CreateGroup("g", {}, 0), nullptr);
  StreamConsumer* c = g->CreateConsumer("c", 10);
  s.Deliver(g, c, {1, 1}, false, 20);
  s.Deliver(g, c, {1, 2}, false, 20);
  EXPECT_EQ(g->entries_read, 2);
  EXPECT_EQ(g->last_id, (StreamId{1, 2}));
  EXPECT_EQ(g->pel.size(), 2u);
  EXPECT_EQ(c->pel.size(), 2u);
  EXPECT_EQ(s.Lag(*g).value(), 3);
  StreamId del[] = {{1, 4}};
  s.DeleteIds(del);
  EXPECT_FALSE(s.Lag(*g).has_value());  // a tombstone ahead: unknown
  StreamConsumer* d = g->CreateConsumer("d", 10);
  s.Deliver(g, d, {1, 1}, false, 30);  // changes hands
  EXPECT_EQ(c->pel.size(), 1u);
  EXPECT_EQ(g->pel.at({1, 1}).consumer, d);
  EXPECT_EQ(g->DeleteConsumer(c), 1u);
  EXPECT_EQ(g->pel.size(), 1u);
}

TEST(StreamObjectTest, CloneIsDeep) {
  StreamObject s;
  Add(s, {1, 1});
  StreamGroup* g = s.CreateGroup("g", {}, -1);
  StreamConsumer* c = g->CreateConsumer("c", 1);
  s.Deliver(g, c, {1, 1}, false, 2);
  auto copy = s.Clone();
  auto* t = static_cast<StreamObject*>(copy.get());
  Add(s, {1, 2});
  EXPECT_EQ(t->length(), 1u);
  StreamGroup* tg = t->FindGroup("g");
  ASSERT_NE(tg, nullptr);
  StreamConsumer* tc = tg->FindConsumer("c");
  ASSERT_NE(tc, nullptr);
  EXPECT_NE(tc, c);
  EXPECT_EQ(tg->pel.at({1, 1}).consumer, tc);
  EXPECT_GT(t->MemoryUsage(), sizeof(StreamObject));
}

}  // namespace
}  // namespace kora
