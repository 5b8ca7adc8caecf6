#!/usr/bin/python3
"""Cache hit ratio under maxmemory: Kora against Debian's redis-server on the same trace.

A Zipf-distributed trace (fixed seed) of GETs over --keys keys is replayed like a cache: a GET
that misses is followed by a SET of that key (--value-size bytes). Each server first loads every
key once without a limit to measure what the whole data set costs it (used_memory after minus
before), then is flushed and given maxmemory = empty-server usage + --fraction of that cost, so
each holds the same share of the keys whatever its per-key overhead. Replies are read in
batches of --batch GETs (the SETs of a batch's misses follow as one more batch), identically for
both servers. Prints the hit ratio per policy side by side.

  /usr/bin/python3 bench/evict_hitratio.py --server build/kora-server [--requests 1000000]
"""
import argparse
import bisect
import os
import random
import socket
import subprocess
import sys
import tempfile
import time


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.f.readline()
        t = line[:1]
        if t in (b"+", b":"):
            return line[1:-2]
        if t == b"-":
            raise RuntimeError(line[1:-2].decode())
        if t == b"$":
            n = int(line[1:-2])
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            return [self.read() for _ in range(int(line[1:-2]))]
        raise RuntimeError("bad reply %r" % line)

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.read()

    def pipeline(self, cmds):
        self.sock.sendall(b"".join(self.encode(*c) for c in cmds))
        return [self.read() for _ in cmds]


def used_memory(c):
    info = c.call("INFO", "memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError("no used_memory")


def zipf_trace(nkeys, nreq, s, seed):
    rng = random.Random(seed)
    weights = [1.0 / (i ** s) for i in range(1, nkeys + 1)]
    cdf, acc = [], 0.0
    for w in weights:
        acc += w
        cdf.append(acc)
    # Rank -> key id through a fixed permutation, so hot keys are spread over the key space.
    perm = list(range(nkeys))
    rng.shuffle(perm)
    return [perm[min(bisect.bisect_left(cdf, rng.random() * acc), nkeys - 1)] for _ in range(nreq)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(binary, workers, tmp):
    port = free_port()
    if "redis" in os.path.basename(binary):
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--dir", tmp]
    else:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--workers", str(workers)]
    proc = subprocess.Popen(args, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = Client(port)
            c.call("PING")
            return proc, c
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("%s did not start" % binary)


def run(binary, workers, policy, trace, args):
    tmp = tempfile.mkdtemp(prefix="evict_bench_")
    proc, c = start(binary, workers, tmp)
    try:
        value = b"v" * args.value_size
        # Run every command of the measurement once first, so that what a command allocates on
        # first use (per-command statistics) is not charged to the cache's budget.
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", "0")
        c.call("DBSIZE")
        c.call("INFO", "stats")
        base = used_memory(c)
        for b in range(0, args.keys, 1000):
            c.pipeline([("SET", "key:%d" % k, value) for k in range(b, min(args.keys, b + 1000))])
            # Also warms up what GET allocates on first use (per-command statistics).
            c.pipeline([("GET", "key:%d" % k) for k in range(b, min(args.keys, b + 1000))])
        full = used_memory(c)
        c.call("FLUSHALL")
        time.sleep(0.3)
        limit = used_memory(c) + int((full - base) * args.fraction)
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", str(limit))
        hits = gets = 0
        for b in range(0, len(trace), args.batch):
            keys = ["key:%d" % k for k in trace[b:b + args.batch]]
            replies = c.pipeline([("GET", k) for k in keys])
            misses = [k for k, r in zip(keys, replies) if r is None]
            gets += len(keys)
            hits += len(keys) - len(misses)
            if misses:
                c.pipeline([("SET", k, value) for k in misses])
        info = c.call("INFO", "stats").decode()
        evicted = [l for l in info.split("\r\n") if l.startswith("evicted_keys:")][0]
        dbsize = c.call("DBSIZE")
        return hits / gets, int(evicted.split(":")[1]), int(dbsize), limit
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="kora-server binary")
    ap.add_argument("--reference", default="/usr/bin/redis-server")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--requests", type=int, default=1000000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--zipf", type=float, default=0.99)
    ap.add_argument("--fraction", type=float, default=0.10)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu")
    args = ap.parse_args()
    args.server = os.path.abspath(args.server)
    trace = zipf_trace(args.keys, args.requests, args.zipf, args.seed)
    print("trace: %d GETs over %d keys, zipf s=%.2f, seed %d, values %d B, maxmemory %.0f%% of "
          "the data set, kora --workers %d" % (args.requests, args.keys, args.zipf, args.seed,
                                               args.value_size, args.fraction * 100,
                                               args.workers))
    print("%-16s %12s %12s %8s   %s" % ("policy", "redis", "kora", "diff", "(evicted keys, keys "
                                        "held at the end: redis / kora)"))
    worst = 0.0
    for policy in args.policies.split(","):
        r = run(args.reference, 1, policy, trace, args)
        k = run(args.server, args.workers, policy, trace, args)
        diff = (k[0] - r[0]) * 100
        worst = max(worst, abs(diff))
        print("%-16s %11.2f%% %11.2f%% %+7.2f   (%d / %d, %d / %d)" %
              (policy, r[0] * 100, k[0] * 100, diff, r[1], k[1], r[2], k[2]))
        sys.stdout.flush()
    print("largest difference: %.2f points" % worst)


if __name__ == "__main__":
    main()
