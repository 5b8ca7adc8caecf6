#!/usr/bin/python3
"""Cross-shard behaviour with --workers 4 (run with /usr/bin/python3; uses python3-redis).

Invariants checked:
  * every multi-key command is correct when its keys live on different shards, and a
    destination key lands on its own shard (it is then readable through a single-key command);
  * pipelines that mix keys of the connection's own shard and of other shards get their
    replies in request order, and later commands observe earlier writes;
  * many concurrent clients hammering keys on every shard get exact results.
Prints `cross_shard: N passed, N failed` and exits non-zero on failure.
"""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import serverutil  # noqa: E402
import redis  # noqa: E402

SERVER = None
WORKERS = 4


def keys_on_distinct_slots(n, prefix="k"):
    """Names spread over slots (so over shards for any worker count)."""
    return [f"{prefix}:{i}" for i in range(n)]


class CrossShard(unittest.TestCase):
    def setUp(self):
        self.r = redis.Redis(port=SERVER.port, decode_responses=True)
        self.r.flushall()

    def test_mset_mget_many_shards(self):
        keys = keys_on_distinct_slots(200)
        self.r.mset({k: f"v{i}" for i, k in enumerate(keys)})
        self.assertEqual(self.r.mget(keys), [f"v{i}" for i in range(200)])
        for i, k in enumerate(keys):
            self.assertEqual(self.r.get(k), f"v{i}")
        self.assertEqual(self.r.mget(keys + ["missing"])[-1], None)

    def test_msetnx_all_or_nothing(self):
        keys = keys_on_distinct_slots(50, "nx")
        self.assertTrue(self.r.msetnx({k: "1" for k in keys}))
        self.r.delete(keys[0])
        self.assertFalse(self.r.msetnx({k: "2" for k in keys}))
        self.assertEqual(self.r.exists(*keys), 49)
        self.assertEqual(self.r.mget(keys[1:]), ["1"] * 49)

    def test_del_unlink_exists_touch(self):
        keys = keys_on_distinct_slots(100, "d")
        self.r.mset({k: "x" for k in keys})
        self.assertEqual(self.r.exists(*keys, keys[0]), 101)  # duplicates count, as Redis
        self.assertEqual(self.r.touch(*keys, "nope"), 100)
        self.assertEqual(self.r.delete(*keys[:50], "nope"), 50)
        self.assertEqual(self.r.unlink(*keys), 50)
        self.assertEqual(self.r.exists(*keys), 0)

    def test_rename_and_copy_across_shards(self):
        for i in range(50):
            src, dst = f"src:{i}", f"dst:{i * 7}"
            self.r.set(src, f"val{i}", px=100000)
            self.assertTrue(self.r.rename(src, dst))
            self.assertIsNone(self.r.get(src))
            self.assertEqual(self.r.get(dst), f"val{i}")
            self.assertGreater(self.r.pttl(dst), 0)  # the deadline travels with the key
        self.r.set("a1", "1")
        self.r.set("b2", "2")
        self.assertFalse(self.r.renamenx("a1", "b2"))
        self.assertTrue(self.r.copy("a1", "c3"))
        self.assertFalse(self.r.copy("a1", "b2"))
        self.assertTrue(self.r.copy("a1", "b2", replace=True))
        self.assertEqual(self.r.mget("a1", "b2", "c3"), ["1", "1", "1"])
        with self.assertRaises(redis.ResponseError):
            self.r.rename("nosuch", "x")

    def test_pipeline_order_mixed_shards(self):
        keys = keys_on_distinct_slots(64, "p")
        p = self.r.pipeline(transaction=False)
        for round_ in range(20):
            for k in keys:
                p.set(k, f"{round_}")
                p.get(k)
                p.incr(k + ":n")
            p.mget(keys)
        replies = p.execute()
        i = 0
        for round_ in range(20):
            for k in keys:
                self.assertEqual(replies[i], True)
                self.assertEqual(replies[i + 1], f"{round_}")
                self.assertEqual(replies[i + 2], round_ + 1)
                i += 3
            self.assertEqual(replies[i], [f"{round_}"] * len(keys))
            i += 1

    def test_pipeline_write_then_rename_then_read(self):
        p = self.r.pipeline(transaction=False)
        for i in range(100):
            p.set(f"r:{i}", i)
            p.rename(f"r:{i}", f"q:{i}")
            p.get(f"q:{i}")
            p.exists(f"r:{i}")
        out = p.execute()
        for i in range(100):
            self.assertEqual(out[4 * i + 2], str(i))
            self.assertEqual(out[4 * i + 3], 0)

    def test_concurrent_counters(self):
        keys = keys_on_distinct_slots(40, "c")
        errors = []

        def work():
            try:
                c = redis.Redis(port=SERVER.port)
                p = c.pipeline(transaction=False)
                for _ in range(50):
                    for k in keys:
                        p.incr(k)
                p.execute()
            except Exception as e:  # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.r.mget(keys), ["400"] * len(keys))

    def test_dbsize_keys_flush_span_shards(self):
        keys = keys_on_distinct_slots(300, "s")
        self.r.mset({k: "1" for k in keys})
        self.assertEqual(self.r.dbsize(), 300)
        self.assertEqual(sorted(self.r.keys("s:*")), sorted(keys))
        self.assertEqual(set(self.r.scan_iter(count=7)), set(keys))
        self.r.flushdb()
        self.assertEqual(self.r.dbsize(), 0)


def main():
    global SERVER
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    SERVER = serverutil.Server(args.server, workers=args.workers)
    SERVER.start()
    try:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(CrossShard)
        res = unittest.TextTestRunner(verbosity=2).run(suite)
    finally:
        SERVER.stop()
    failed = len(res.failures) + len(res.errors)
    print(f"cross_shard: {res.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
