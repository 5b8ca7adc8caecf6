"""Start/stop a Redis-compatible server (kora-server or redis-server) for client tests.

Shared by test_redis_py.py and test_resp3_raw.py.  Stdlib only.

If the binary's basename contains "redis", Kora-style options are translated to
redis-server style:
    --port P --bind 127.0.0.1 --workers N [--password PW] [--unix-socket PATH]
 -> --port P --bind 127.0.0.1 --save '' --appendonly no [--requirepass PW] [--unixsocket PATH]
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def is_redis(binary):
    return "redis" in os.path.basename(binary)


def build_argv(binary, port, workers=None, password=None, unix_socket=None, workdir=None):
    if is_redis(binary):
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]
        if workdir:
            argv += ["--dir", workdir]
        if password is not None:
            argv += ["--requirepass", password]
        if unix_socket:
            argv += ["--unixsocket", unix_socket, "--unixsocketperm", "700"]
    else:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        if workers is not None:
            argv += ["--workers", str(workers)]
        if password is not None:
            argv += ["--password", password]
        if unix_socket:
            argv += ["--unix-socket", unix_socket]
    return argv


class Server:
    """A running server on a free loopback port (and optionally a unix socket)."""

    def __init__(self, binary, workers=None, password=None, with_unix_socket=False):
        self.binary = os.path.abspath(binary)
        self.workers = workers
        self.password = password
        self.workdir = tempfile.mkdtemp(prefix="kora-clienttest-")
        self.unix_socket = os.path.join(self.workdir, "srv.sock") if with_unix_socket else None
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.workdir, "server.log")

    def start(self, timeout=15.0):
        last_err = None
        for _attempt in range(3):  # retry on the rare free-port race
            self.port = free_port()
            argv = build_argv(self.binary, self.port, self.workers, self.password,
                              self.unix_socket, self.workdir)
            self._log = open(self.log_path, "ab")
            # cwd = private temp dir, so a stray kora.toml / dump.rdb in the repo is irrelevant
            self.proc = subprocess.Popen(argv, cwd=self.workdir, stdout=self._log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                self._wait_ready(timeout)
                return self
            except Exception as e:  # noqa: BLE001
                last_err = e
                exited = self.proc.poll() is not None
                self.stop(keep_dir=True)
                if not exited:
                    break  # alive but not answering: retrying on another port will not help
        msg = "server did not start: %s\n--- log ---\n%s" % (last_err, self.log_tail())
        self.stop()
        raise RuntimeError(msg)

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with code %s" % self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"*1\r\n$4\r\nPING\r\n")
                    data = s.recv(256)
                    # +PONG, or -NOAUTH when a password is set: either way it is serving
                    if data.startswith(b"+PONG") or data.startswith(b"-NOAUTH"):
                        if self.unix_socket:
                            self._wait_unix(deadline)
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("timed out waiting for server on port %d" % self.port)

    def _wait_unix(self, deadline):
        while time.time() < deadline:
            if os.path.exists(self.unix_socket):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(self.unix_socket)
                    s.close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("unix socket %s never became connectable" % self.unix_socket)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, keep_dir=False):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        if not keep_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------
# Test runner shared by the Python client tests: runs unittest cases, prints one line per test
# and a final summary line "<label>: N passed, N failed"; returns a process exit code.

def run_tests(label, test_classes, verbose=True, name_filter=None):
    import sys
    import unittest

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for cls in test_classes:
        for t in loader.loadTestsFromTestCase(cls):
            if name_filter and name_filter not in t.id():
                continue
            suite.addTest(t)

    class Result(unittest.TextTestResult):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.passed = 0

        def addSuccess(self, test):
            super().addSuccess(test)
            self.passed += 1

    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if verbose else 1,
                                     resultclass=Result)
    result = runner.run(suite)
    # setUpClass failures appear as errors with no per-test entry; count each as one failure.
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    sys.stdout.flush()
    print("%s: %d passed, %d failed" % (label, result.passed, failed))
    sys.stdout.flush()
    return 0 if failed == 0 and result.passed > 0 else 1


def parse_common_args(description):
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--server", required=True,
                   help="server binary (build/kora-server or /usr/bin/redis-server)")
    p.add_argument("--workers", type=int, default=2, help="--workers for kora (ignored for redis)")
    p.add_argument("-k", dest="name_filter", default=None, help="only tests whose id contains this")
    p.add_argument("-q", dest="quiet", action="store_true", help="less verbose unittest output")
    args = p.parse_args()
    if not os.path.isfile(args.server) or not os.access(args.server, os.X_OK):
        p.error("server binary not found or not executable: %s" % args.server)
    return args
