#!/usr/bin/python3
"""Bytes per element for each data type: Kora vs Debian's redis-server, side by side.

Starts both servers (free loopback ports), then for each scenario: FLUSHALL, read INFO memory
used_memory, load N elements with pipelined commands, read used_memory again, and print the
delta divided by N. Scenarios cover the small (listpack / intset) and large (hashtable /
skiplist / quicklist) encodings of every type.

Usage: /usr/bin/python3 bench/memory_per_element.py [--n 1000000] [--server PATH]
           [--redis /usr/bin/redis-server] [--workers 1] [--only SUBSTR]
Standard library only. Kora's used_memory is whatever INFO reports.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.f = self.s.makefile("rb")

    def _read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b"-"):
            if t == b"-":
                raise RuntimeError(rest.decode())
            return rest
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            return [self._read() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def cmd(self, *args):
        self.s.sendall(self._encode(args))
        return self._read()

    def pipeline(self, commands, batch=1000):
        batch_cmds = []
        for c in commands:
            batch_cmds.append(c)
            if len(batch_cmds) == batch:
                self._flush(batch_cmds)
                batch_cmds = []
        if batch_cmds:
            self._flush(batch_cmds)

    def _flush(self, cmds):
        self.s.sendall(b"".join(self._encode(c) for c in cmds))
        for _ in cmds:
            self._read()

    def used_memory(self):
        info = self.cmd("INFO", "memory").decode()
        for line in info.splitlines():
            if line.startswith("used_memory:"):
                return int(line.split(":")[1])
        raise RuntimeError("no used_memory in INFO memory")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port, workdir):
    log = open(os.path.join(workdir, "server.log"), "w")
    p = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            c = Client(port)
            c.cmd("PING")
            return p, c
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("%s did not start" % argv[0])


def scenarios(n):
    """(name, element count, command generator)."""
    val = "v" * 16

    def strings():
        for i in range(n):
            yield ("SET", "key:%d" % i, val)

    def one_big(cmd, key, per, make):
        def gen():
            for i in range(0, n, per):
                args = [cmd, key]
                for j in range(i, min(n, i + per)):
                    args.extend(make(j))
                yield args
        return gen

    def many_small(cmd, prefix, size, make):
        def gen():
            for k in range(n // size):
                args = [cmd, "%s:%d" % (prefix, k)]
                for j in range(size):
                    args.extend(make(j))
                yield args
        return gen

    def stream():
        for i in range(n):
            yield ("XADD", "stream", "*", "f", i)

    return [
        ("string SET key:i <16 bytes>", n, strings),
        ("list, one quicklist of N", n, one_big("RPUSH", "list", 100, lambda j: ["e%d" % j])),
        ("list, N/100 lists of 100", n // 100 * 100,
         many_small("RPUSH", "list", 100, lambda j: ["e%d" % j])),
        ("hash, one hashtable of N", n,
         one_big("HSET", "hash", 100, lambda j: ["f%d" % j, val])),
        ("hash, N/100 listpacks of 100", n // 100 * 100,
         many_small("HSET", "hash", 100, lambda j: ["f%d" % j, val])),
        ("set, one hashtable of N", n, one_big("SADD", "set", 100, lambda j: ["m%d" % j])),
        ("set, N/500 intsets of 500", n // 500 * 500,
         many_small("SADD", "iset", 500, lambda j: [j])),
        ("zset, one skiplist of N", n,
         one_big("ZADD", "zset", 100, lambda j: [j, "m%d" % j])),
        ("zset, N/100 listpacks of 100", n // 100 * 100,
         many_small("ZADD", "zset", 100, lambda j: [j, "m%d" % j])),
        ("stream, one stream of N (1 field)", n, stream),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100000)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--server", default=os.path.join(here, "..", "build-release", "kora-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kora-mem")
    procs = []
    try:
        rport, kport = free_port(), free_port()
        os.mkdir(os.path.join(tmp, "redis"))
        os.mkdir(os.path.join(tmp, "kora"))
        rp, rc = start([a.redis, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"], rport, os.path.join(tmp, "redis"))
        procs.append(rp)
        kp, kc = start([os.path.abspath(a.server), "--port", str(kport), "--bind", "127.0.0.1",
                        "--workers", str(a.workers)], kport, os.path.join(tmp, "kora"))
        procs.append(kp)
        version = rc.cmd("INFO", "server").decode().split("redis_version:")[1].split()[0]
        print("N = %d; used_memory delta / elements (bytes); Kora --workers %d; redis %s" %
              (a.n, a.workers, version))
        print()
        print("| scenario | elements | redis B/elem | kora B/elem | kora/redis |")
        print("|---|---:|---:|---:|---:|")
        for name, count, gen in scenarios(a.n):
            if a.only and a.only not in name:
                continue
            per = []
            for c in (rc, kc):
                c.cmd("FLUSHALL")
                time.sleep(0.2)
                before = c.used_memory()
                c.pipeline(gen())
                time.sleep(0.2)
                per.append((c.used_memory() - before) / max(count, 1))
                c.cmd("FLUSHALL")
            ratio = per[1] / per[0] if per[0] > 0 else float("nan")
            print("| %s | %d | %.1f | %.1f | %.2f |" % (name, count, per[0], per[1], ratio))
            sys.stdout.flush()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
