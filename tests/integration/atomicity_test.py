#!/usr/bin/python3
"""Atomicity and isolation across shards under concurrent load (--workers 4).

Invariants:
  * transfers between accounts on different shards inside MULTI/EXEC keep the total
    constant, as seen by readers summing every account with MGET and inside MULTI;
  * MSET of two keys on different shards is never observed half-applied by MGET;
  * RENAME across shards never shows the key in both places or in neither.
Prints `atomicity: N passed, N failed` and exits non-zero on failure.
"""
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import serverutil  # noqa: E402
import redis  # noqa: E402

SERVER = None
DURATION = 3.0


def run_threads(targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class Atomicity(unittest.TestCase):
    def setUp(self):
        self.r = redis.Redis(port=SERVER.port, decode_responses=True)
        self.r.flushall()

    def test_transfers_keep_total(self):
        accounts = [f"acct:{i}" for i in range(16)]
        self.r.mset({a: 100 for a in accounts})
        total = 100 * len(accounts)
        errors = []
        stop = time.time() + DURATION

        def mover(seed):
            rnd = random.Random(seed)
            c = redis.Redis(port=SERVER.port)
            while time.time() < stop:
                a, b = rnd.sample(accounts, 2)
                p = c.pipeline(transaction=True)
                p.decrby(a, 7)
                p.incrby(b, 7)
                p.execute()

        def reader():
            c = redis.Redis(port=SERVER.port)
            while time.time() < stop:
                s = sum(int(v) for v in c.mget(accounts))
                if s != total:
                    errors.append(("mget", s))
                p = c.pipeline(transaction=True)
                for a in accounts:
                    p.get(a)
                s = sum(int(v) for v in p.execute())
                if s != total:
                    errors.append(("multi", s))

        run_threads([lambda i=i: mover(i) for i in range(4)] + [reader, reader])
        self.assertEqual(errors[:5], [])
        self.assertEqual(sum(int(v) for v in self.r.mget(accounts)), total)

    def test_mset_never_half_applied(self):
        keys = ("pair:a", "pair:b")  # shards 3 and 0 with --workers 4
        self.r.mset({keys[0]: 0, keys[1]: 0})
        errors = []
        stop = time.time() + DURATION

        def writer(seed):
            c = redis.Redis(port=SERVER.port)
            n = seed * 1000000
            while time.time() < stop:
                n += 1
                c.mset({keys[0]: n, keys[1]: n})

        def reader():
            c = redis.Redis(port=SERVER.port, decode_responses=True)
            while time.time() < stop:
                a, b = c.mget(keys)
                if a != b:
                    errors.append((a, b))

        run_threads([lambda: writer(1), lambda: writer(2), reader, reader])
        self.assertEqual(errors[:5], [])

    def test_rename_is_never_seen_twice_or_never(self):
        names = ["ren:left", "ren:r2"]  # shards 1 and 3 with --workers 4
        self.r.set(names[0], "v")
        errors = []
        stop = time.time() + DURATION

        def renamer():
            c = redis.Redis(port=SERVER.port)
            i = 0
            while time.time() < stop:
                c.rename(names[i % 2], names[(i + 1) % 2])
                i += 1

        def reader():
            c = redis.Redis(port=SERVER.port)
            while time.time() < stop:
                n = c.exists(*names)
                if n != 1:
                    errors.append(n)

        run_threads([renamer, reader, reader])
        self.assertEqual(errors[:5], [])


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
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Atomicity)
        res = unittest.TextTestRunner(verbosity=2).run(suite)
    finally:
        SERVER.stop()
    failed = len(res.failures) + len(res.errors)
    print(f"atomicity: {res.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
