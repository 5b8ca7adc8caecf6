#!/usr/bin/python3
"""Pub/sub and keyspace notifications through redis-py (Debian python3-redis 4.3.4, RESP2).

Usage: /usr/bin/python3 tests/clients/test_pubsub_redis_py.py --server PATH [--workers N] [-q]
Starts the server on a free loopback port, runs the tests, stops it. Final line:
"redis-py pubsub: N passed, N failed". Reference: --server /usr/bin/redis-server.
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverutil import Server, parse_common_args, run_tests  # noqa: E402

import redis  # noqa: E402

ARGS = None
MAIN = None


def client(**kw):
    kw.setdefault("socket_timeout", 10)
    return redis.Redis(host="127.0.0.1", port=MAIN.port, **kw)


def next_message(p, timeout=5.0):
    """The next non-subscribe message of PubSub p, or None after timeout."""
    end = time.time() + timeout
    while time.time() < end:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if m is not None:
            return m
    return None


def wait_until(pred, timeout=10.0):
    """Polls pred until it is true or timeout passes; returns its last value. The server
    handles a disconnect asynchronously, and on a loaded machine that can take a while."""
    end = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= end:
            return v
        time.sleep(0.05)


class PubSubTests(unittest.TestCase):
    def setUp(self):
        self.r = client()
        self.r.flushall()
        self.r.config_set("notify-keyspace-events", "")

    def tearDown(self):
        self.r.config_set("notify-keyspace-events", "")
        self.r.close()

    def test_subscribe_publish(self):
        p = self.r.pubsub()
        p.subscribe("news")
        self.assertEqual(p.get_message(timeout=5)["type"], "subscribe")
        pub = client()
        self.assertEqual(pub.publish("news", "hello"), 1)
        m = next_message(p)
        self.assertEqual(m["type"], "message")
        self.assertEqual(m["channel"], b"news")
        self.assertEqual(m["data"], b"hello")
        p.unsubscribe("news")
        self.assertEqual(p.get_message(timeout=5)["type"], "unsubscribe")
        self.assertEqual(pub.publish("news", "x"), 0)
        p.close()
        pub.close()

    def test_pattern_and_counts(self):
        subs = []
        for _ in range(3):
            p = self.r.pubsub()
            p.subscribe("room")
            subs.append(p)
        pp = self.r.pubsub()
        pp.psubscribe("r*")
        for p in subs + [pp]:
            p.get_message(timeout=5)
        self.assertEqual(self.r.pubsub_numsub("room"), [(b"room", 3)])
        self.assertEqual(self.r.pubsub_numpat(), 1)
        self.assertEqual(self.r.pubsub_channels(), [b"room"])
        self.assertEqual(self.r.publish("room", "m"), 4)
        for p in subs:
            self.assertEqual(next_message(p)["data"], b"m")
        m = next_message(pp)
        self.assertEqual((m["type"], m["pattern"], m["channel"]), ("pmessage", b"r*", b"room"))
        info = self.r.info("stats")
        self.assertEqual(info["pubsub_channels"], 1)
        self.assertEqual(info["pubsub_patterns"], 1)
        for p in subs + [pp]:
            p.close()
        wait_until(lambda: self.r.pubsub_numsub("room") == [(b"room", 0)]
                   and self.r.pubsub_numpat() == 0)
        self.assertEqual(self.r.publish("room", "m"), 0)
        self.assertEqual(self.r.pubsub_numsub("room"), [(b"room", 0)])

    def test_handler_thread_order(self):
        got = []
        done = threading.Event()

        def handler(m):
            got.append(int(m["data"]))
            if len(got) == 500:
                done.set()

        p = self.r.pubsub()
        p.subscribe(**{"seq": handler})
        t = p.run_in_thread(sleep_time=0.01)
        self.assertTrue(wait_until(lambda: self.r.pubsub_numsub("seq") == [(b"seq", 1)]))
        pub = client()
        pipe = pub.pipeline(transaction=False)
        for i in range(500):
            pipe.publish("seq", i)
        counts = pipe.execute()
        self.assertEqual(counts, [1] * 500)
        self.assertTrue(done.wait(10))
        self.assertEqual(got, list(range(500)))
        t.stop()
        t.join(5)
        p.close()
        pub.close()

    def test_many_publishers(self):
        p = self.r.pubsub()
        p.subscribe("c")
        p.get_message(timeout=5)
        n_pub, per = 4, 200

        def publish(i):
            c = client()
            for j in range(per):
                c.publish("c", "%d:%d" % (i, j))
            c.close()

        threads = [threading.Thread(target=publish, args=(i,)) for i in range(n_pub)]
        for t in threads:
            t.start()
        seen = {i: [] for i in range(n_pub)}
        for _ in range(n_pub * per):
            m = next_message(p)
            self.assertIsNotNone(m)
            i, j = m["data"].decode().split(":")
            seen[int(i)].append(int(j))
        for t in threads:
            t.join()
        for i in range(n_pub):  # each publisher's messages arrive in its order
            self.assertEqual(seen[i], list(range(per)))
        p.close()

    def test_subscribed_mode_rejects_commands(self):
        c = client(single_connection_client=True)
        c.execute_command("SUBSCRIBE", "x")
        with self.assertRaises(redis.ResponseError) as cm:
            c.execute_command("GET", "x")
        self.assertIn("only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET",
                      str(cm.exception))
        c.close()

    def test_keyspace_notifications(self):
        self.r.config_set("notify-keyspace-events", "KEA")
        self.assertEqual(self.r.config_get("notify-keyspace-events"),
                         {"notify-keyspace-events": "AKE"})
        p = self.r.pubsub()
        p.psubscribe("__key*__:*")
        p.get_message(timeout=5)
        # One hash tag: the keys share a shard, whose events arrive in command order. Events of
        # keys on different shards may interleave differently (docs/design/pubsub.md).
        self.r.set("{n}k1", "v")
        self.r.lpush("{n}l1", "a")
        self.r.hset("{n}h1", "f", "v")
        self.r.delete("{n}k1")
        events = []
        for _ in range(8):
            m = next_message(p)
            self.assertIsNotNone(m)
            events.append((m["channel"], m["data"]))
        self.assertEqual(events, [
            (b"__keyspace@0__:{n}k1", b"set"), (b"__keyevent@0__:set", b"{n}k1"),
            (b"__keyspace@0__:{n}l1", b"lpush"), (b"__keyevent@0__:lpush", b"{n}l1"),
            (b"__keyspace@0__:{n}h1", b"hset"), (b"__keyevent@0__:hset", b"{n}h1"),
            (b"__keyspace@0__:{n}k1", b"del"), (b"__keyevent@0__:del", b"{n}k1"),
        ])
        p.close()

    def test_expired_event(self):
        self.r.config_set("notify-keyspace-events", "Ex")
        p = self.r.pubsub()
        p.subscribe("__keyevent@0__:expired")
        p.get_message(timeout=5)
        self.r.set("soon", "v", px=50)
        m = next_message(p, timeout=5)  # raised by the active expiry cycle, no access needed
        self.assertIsNotNone(m)
        self.assertEqual(m["data"], b"soon")
        p.close()

    def test_events_from_every_shard(self):
        self.r.config_set("notify-keyspace-events", "E$")
        p = self.r.pubsub()
        p.subscribe("__keyevent@0__:set")
        p.get_message(timeout=5)
        keys = ["key:%d" % i for i in range(50)]
        for k in keys:
            self.r.set(k, 1)
        got = set()
        for _ in keys:
            m = next_message(p)
            self.assertIsNotNone(m)
            got.add(m["data"].decode())
        self.assertEqual(got, set(keys))
        p.close()


class SlowSubscriberTests(unittest.TestCase):
    def test_output_buffer_limit_disconnects(self):
        r = client()
        r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 60")
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
            s.connect(("127.0.0.1", MAIN.port))
            s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
            self.assertTrue(wait_until(lambda: r.pubsub_numsub("slow") == [(b"slow", 1)]))
            payload = "x" * 65536
            pipe = r.pipeline(transaction=False)
            for _ in range(256):  # 16 MB that the subscriber never reads
                pipe.publish("slow", payload)
            pipe.execute()
            wait_until(lambda: r.pubsub_numsub("slow") == [(b"slow", 0)])
            self.assertEqual(r.pubsub_numsub("slow"), [(b"slow", 0)])
            kinds = [c for c in r.client_list() if c.get("sub") not in (None, "0")]
            self.assertEqual(kinds, [])
            s.close()
        finally:
            r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
            r.close()


def main():
    global ARGS, MAIN
    ARGS = parse_common_args(__doc__)
    MAIN = Server(ARGS.server, workers=ARGS.workers)
    try:
        MAIN.start()
        rc = run_tests("redis-py pubsub", [PubSubTests, SlowSubscriberTests],
                       verbose=not ARGS.quiet, name_filter=ARGS.name_filter)
        if not MAIN.alive():
            print("server died during the tests; log tail:\n" + MAIN.log_tail())
            rc = 1
    except Exception as e:  # noqa: BLE001
        print("setup failed: %s" % e)
        print("redis-py pubsub: 0 passed, 1 failed")
        rc = 1
    finally:
        MAIN.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
