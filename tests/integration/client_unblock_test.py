#!/usr/bin/env python3
"""CLIENT UNBLOCK against Kora and Debian's redis-server 7.0: the same script runs on both and
every reply must be identical (client ids are read at run time, so they may differ).

Covers BLPOP/BRPOP/BLMOVE/BZPOPMIN/BLMPOP/XREAD BLOCK/XREADGROUP BLOCK unblocked with TIMEOUT
(their timeout reply) and ERROR (-UNBLOCKED ...), clients served by other workers, non-blocked
and unknown ids, and the argument errors.

Usage: client_unblock_test.py --server build/kora-server [--workers N]
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump_restore_test import Conn, free_port, start  # noqa: E402

BLOCKERS = [
    ["BLPOP", "{k}list", "0"],
    ["BRPOP", "{k}list", "{k}other", "0"],
    ["BLMOVE", "{k}list", "{k}dst", "LEFT", "RIGHT", "0"],
    ["BRPOPLPUSH", "{k}list", "{k}dst", "0"],
    ["BZPOPMIN", "{k}zset", "0"],
    ["BZPOPMAX", "{k}zset", "{k}z2", "0"],
    ["BLMPOP", "0", "2", "{k}list", "{k}l2", "LEFT"],
    ["BZMPOP", "0", "1", "{k}zset", "MIN"],
    ["XREAD", "BLOCK", "0", "STREAMS", "{k}stream", "$"],
    ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "{k}stream", ">"],
    ["BLPOP", "a", "b", "c", "d", "e", "0"],  # keys on several shards
]


def script(port):
    """Runs the scenario; returns the list of replies."""
    out = []
    admin = Conn(port)
    admin.cmd("FLUSHALL")
    admin.cmd("XGROUP", "CREATE", "{k}stream", "g", "$", "MKSTREAM")
    for mode in (None, "TIMEOUT", "ERROR", "timeout", "error"):
        for blocker in BLOCKERS:
            conns = [Conn(port) for _ in range(3)]  # different workers, likely
            b = conns[-1]
            bid = b.cmd("CLIENT", "ID")
            b.s.sendall(b"".join(
                [b"*%d\r\n" % len(blocker)] +
                [b"$%d\r\n%s\r\n" % (len(x), x.encode()) for x in blocker]))
            time.sleep(0.05)
            args = ["CLIENT", "UNBLOCK", bid] + ([mode] if mode else [])
            out.append(("unblock", blocker[0], mode, admin.cmd(*args)))
            out.append(("blocked reply", blocker[0], mode, b._reply()))
            out.append(("again", blocker[0], mode, admin.cmd(*args)))
            out.append(("still usable", b.cmd("PING")))
            for c in conns:
                c.s.close()
    me = admin.cmd("CLIENT", "ID")
    out.append(admin.cmd("CLIENT", "UNBLOCK", me))
    out.append(admin.cmd("CLIENT", "UNBLOCK", 999999))
    out.append(admin.cmd("CLIENT", "UNBLOCK", -1))
    out.append(admin.cmd("CLIENT", "UNBLOCK", "abc"))
    out.append(admin.cmd("CLIENT", "UNBLOCK", "abc", "foo"))
    out.append(admin.cmd("CLIENT", "UNBLOCK", 1, "foo"))
    out.append(admin.cmd("CLIENT", "UNBLOCK", 1, "error", "x"))
    out.append(admin.cmd("CLIENT", "UNBLOCK"))
    # A client blocked inside a transaction is not possible; a client in MULTI is not blocked.
    m = Conn(port)
    mid = m.cmd("CLIENT", "ID")
    m.cmd("MULTI")
    m.cmd("BLPOP", "x", 0)
    out.append(admin.cmd("CLIENT", "UNBLOCK", mid))
    out.append(m.cmd("EXEC"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--reference", default="/usr/bin/redis-server")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="unblocktest")
    procs = []
    try:
        rport, kport = free_port(), free_port()
        os.mkdir(os.path.join(tmp, "r"))
        os.mkdir(os.path.join(tmp, "k"))
        rp, _ = start([a.reference, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--daemonize", "no"], rport, os.path.join(tmp, "r"))
        procs.append(rp)
        kp, _ = start([os.path.abspath(a.server), "--port", str(kport), "--bind", "127.0.0.1",
                       "--workers", str(a.workers)], kport, os.path.join(tmp, "k"))
        procs.append(kp)
        expected, got = script(rport), script(kport)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    failures = 0
    for i, (e, g) in enumerate(zip(expected, got)):
        if e != g:
            failures += 1
            print("FAIL step %d:\n  redis %r\n  kora  %r" % (i, e, g))
    if len(expected) != len(got):
        failures += 1
        print("FAIL: %d vs %d steps" % (len(expected), len(got)))
    print("client_unblock_test: %d steps, %d failures" % (len(expected), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
