#!/usr/bin/python3
"""SCAN guarantee stress test (Python 3 standard library only).

Invariant (Redis's SCAN guarantee): every key present for the whole iteration is returned at
least once, even while other clients add and delete other keys and the tables grow; a key
deleted (or expired) before the iteration started is never returned; every call does bounded
work. The test starts the server itself (default `--workers 4`) on a free loopback port, or
uses a running one with --port.

    /usr/bin/python3 tests/compat/scan_stress.py --server build/kora-server [--workers 4]
    /usr/bin/python3 tests/compat/scan_stress.py --port 7200          # a running server

The last line is `scan_stress: N passed, N failed`; the exit code is 1 when anything failed.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Client:
    """A minimal RESP2 client: pipelined commands, parsed replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def read(self):
        line = self._line()
        tag, rest = line[:1], line[1:]
        if tag == b"+":
            return rest.decode()
        if tag == b"-":
            return RuntimeError(rest.decode())
        if tag == b":":
            return int(rest)
        if tag == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if tag == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("bad reply line %r" % line)

    def call(self, *args):
        self.sock.sendall(self.encode(args))
        r = self.read()
        if isinstance(r, RuntimeError):
            raise r
        return r

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self.read() for _ in commands]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path, workers):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="scan_stress_")
    log = open(os.path.join(tmp, "server.log"), "wb")
    path = os.path.abspath(path) if os.path.sep in path else path
    args = [path, "--port", str(port), "--bind", "127.0.0.1"]
    if "redis" in os.path.basename(path):
        args += ["--save", "", "--appendonly", "no", "--dir", tmp]
    else:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(args, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            c = Client(port)
            if c.call("PING") == "PONG":
                c.close()
                return proc, port, tmp
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start; log in %s" % tmp)


def fill(c, keys, value=b"v", extra=()):
    for i in range(0, len(keys), 1000):
        batch = keys[i:i + 1000]
        replies = c.pipeline([["SET", k, value, *extra] for k in batch])
        bad = [r for r in replies if r != "OK"]
        if bad:
            raise RuntimeError("SET failed: %r" % bad[:3])


def full_scan(c, *opts):
    """Runs a complete SCAN iteration; returns (keys seen, calls, largest page)."""
    seen, calls, largest = set(), 0, 0
    cursor = b"0"
    while True:
        cursor, page = c.call("SCAN", cursor, *opts)
        calls += 1
        largest = max(largest, len(page))
        seen.update(page)
        if cursor == b"0":
            return seen, calls, largest
        if calls > 10_000_000:
            raise RuntimeError("SCAN does not terminate")


class Churn(threading.Thread):
    """Adds and deletes keys outside the scanned set until stopped. The first `window` adds
    grow the tables (rehashing while the scan runs); after that every add deletes the key
    added `window` steps earlier, so the keyspace stays bounded."""

    def __init__(self, port, prefix, db=0, window=40000):
        super().__init__(daemon=True)
        self.port, self.prefix, self.db, self.window = port, prefix, db, window
        self.stop = threading.Event()
        self.ops = 0
        self.error = None

    def run(self):
        try:
            c = Client(self.port)
            c.call("SELECT", self.db)
            n = 0
            while not self.stop.is_set():
                cmds = []
                for i in range(n, n + 200):
                    cmds.append(["SET", b"%s%d" % (self.prefix, i), b"x"])
                    if i % 3 == 0:
                        cmds.append(["DEL", b"%s%d" % (self.prefix, i)])
                    elif i >= self.window:
                        cmds.append(["DEL", b"%s%d" % (self.prefix, i - self.window)])
                c.pipeline(cmds)
                n += 200
                self.ops += len(cmds)
            c.close()
        except Exception as e:  # reported by the test
            self.error = e


def check_completeness_under_churn(port, report):
    c = Client(port)
    c.call("FLUSHALL")
    orig = [b"orig:%d" % i for i in range(20000)]
    fill(c, orig)
    churn = Churn(port, b"other:")
    churn.start()
    time.sleep(0.05)
    seen, calls, largest = full_scan(c, "COUNT", 10)
    churn.stop.set()
    churn.join()
    missing = [k for k in orig if k not in seen]
    report("every original key returned under concurrent SET/DEL (%d calls, %d churn ops)"
           % (calls, churn.ops), not missing and churn.error is None,
           "missing %d, e.g. %r; churn error %r" % (len(missing), missing[:3], churn.error))
    report("pages stay bounded with COUNT 10 (largest %d)" % largest, largest <= 200,
           "a page had %d keys" % largest)
    c.close()


def check_match_under_churn(port, report):
    c = Client(port)
    c.call("FLUSHALL")
    c.call("SELECT", 5)
    orig = [b"m:{%d}:%d" % (i % 7, i) for i in range(20000)]
    fill(c, orig)
    churn = Churn(port, b"noise:", db=5)
    churn.start()
    seen, _, _ = full_scan(c, "MATCH", "m:*", "COUNT", 10)
    churn.stop.set()
    churn.join()
    missing = [k for k in orig if k not in seen]
    strays = [k for k in seen if not k.startswith(b"m:")]
    report("MATCH in db 5: all originals, no strays", not missing and not strays,
           "missing %d %r, strays %r" % (len(missing), missing[:3], strays[:3]))
    c.close()


def check_deleted_and_expired_never_returned(port, report):
    c = Client(port)
    c.call("FLUSHALL")
    live = [b"live:%d" % i for i in range(5000)]
    gone = [b"gone:%d" % i for i in range(5000)]
    short = [b"short:%d" % i for i in range(5000)]
    fill(c, live)
    fill(c, gone)
    fill(c, short, extra=("PX", "50"))
    for i in range(0, len(gone), 1000):
        c.pipeline([["DEL", k] for k in gone[i:i + 1000]])
    time.sleep(0.2)
    seen, _, _ = full_scan(c, "COUNT", 10)
    bad = [k for k in seen if not k.startswith(b"live:")]
    missing = [k for k in live if k not in seen]
    report("deleted and expired keys never returned", not bad and not missing,
           "returned %d bad (%r), missing %d" % (len(bad), bad[:3], len(missing)))
    c.close()


def check_type_filter_and_large_count(port, report):
    c = Client(port)
    c.call("FLUSHALL")
    orig = [b"t:%d" % i for i in range(20000)]
    fill(c, orig)
    seen, calls, _ = full_scan(c, "TYPE", "string", "COUNT", 100000)
    report("COUNT above the key count returns everything in one call",
           calls == 1 and len(seen) == len(orig), "calls %d, keys %d" % (calls, len(seen)))
    seen, _, _ = full_scan(c, "TYPE", "hash", "COUNT", 50)
    report("TYPE filter excludes other types", not seen, "returned %r" % list(seen)[:3])
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", help="server binary to start")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--port", type=int, help="use a running server instead")
    opts = ap.parse_args()
    if not opts.server and not opts.port:
        ap.error("give --server or --port")

    proc, tmp = None, None
    if opts.port:
        port = opts.port
    else:
        try:
            proc, port, tmp = start_server(opts.server, opts.workers)
        except Exception as e:
            print("FAIL server start: %s" % e)
            print("scan_stress: 0 passed, 1 failed")
            sys.exit(1)

    passed = failed = 0

    def report(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok   %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, detail))

    try:
        for check in (check_completeness_under_churn, check_match_under_churn,
                      check_deleted_and_expired_never_returned,
                      check_type_filter_and_large_count):
            try:
                check(port, report)
            except Exception as e:
                report(check.__name__, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if proc:
            proc.kill()
            proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)
    print("scan_stress: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
