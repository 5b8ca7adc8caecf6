#!/usr/bin/python3
"""The kora-server program: flags, kora.toml, bad input at start-up, signals, auth, sockets.

Prints `lifecycle: N passed, N failed` and exits non-zero on failure.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import serverutil  # noqa: E402

BINARY = None


def start(args, cwd=None):
    return subprocess.Popen([BINARY] + args, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def command(port, raw, path=None):
    if path:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(5)
    s.sendall(raw)
    time.sleep(0.05)
    data = s.recv(65536)
    s.close()
    return data


class Lifecycle(unittest.TestCase):
    def expect_startup_error(self, args, needle, cwd=None):
        p = start(args, cwd=cwd)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail(f"server started with bad input {args}")
        self.assertNotEqual(p.returncode, 0)
        lines = [line for line in err.strip().splitlines() if line]
        self.assertEqual(len(lines), 1, err)
        self.assertIn(needle, lines[0])

    def test_bad_flags_stop_startup(self):
        self.expect_startup_error(["--nosuchflag", "1"], "--nosuchflag")
        self.expect_startup_error(["--port", "notanumber"], "--port")
        self.expect_startup_error(["--workers", "-3"], "--workers")
        self.expect_startup_error(["--maxmemory", "lots"], "--maxmemory")
        self.expect_startup_error(["--log-level", "loud"], "--log-level")
        self.expect_startup_error(["--port"], "--port")

    def test_bad_config_file(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "kora.toml")
        with open(path, "w") as f:
            f.write("port = 7\nworkrs = 2\n")
        self.expect_startup_error(["--config", path], "workrs")
        with open(path, "w") as f:
            f.write("port = \"x\"\n")
        self.expect_startup_error(["--config", path], "port")
        with open(path, "w") as f:
            f.write("[storage]\nwal_sync = \"sometimes\"\n")
        self.expect_startup_error(["--config", path], "wal_sync")
        with open(path, "w") as f:
            f.write("this is not toml")
        self.expect_startup_error(["--config", path], "kora.toml")

    def test_reads_kora_toml_in_working_dir_and_flags_override(self):
        d = tempfile.mkdtemp()
        p1, p2 = serverutil.free_port(), serverutil.free_port()
        with open(os.path.join(d, "kora.toml"), "w") as f:
            f.write(f"port = {p1}\nworkers = 2\npassword = \"s3cret\"\n")
        p = start([], cwd=d)
        try:
            self.assertTrue(wait_port(p1))
            self.assertTrue(command(p1, b"GET x\r\n").startswith(b"-NOAUTH"))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        p = start(["--port", str(p2)], cwd=d)
        try:
            self.assertTrue(wait_port(p2))
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(10), 0)

    def test_sigterm_and_sigint_exit_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            port = serverutil.free_port()
            p = start(["--port", str(port), "--workers", "3"])
            self.assertTrue(wait_port(port))
            conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
            p.send_signal(sig)
            self.assertEqual(p.wait(10), 0)
            for c in conns:
                c.close()

    def test_shutdown_command(self):
        port = serverutil.free_port()
        p = start(["--port", str(port)])
        self.assertTrue(wait_port(port))
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"SHUTDOWN NOSAVE\r\n")
        try:
            self.assertEqual(p.wait(10), 0)
        finally:
            if p.poll() is None:
                p.kill()

    def test_password(self):
        port = serverutil.free_port()
        p = start(["--port", str(port), "--password", "pw"])
        try:
            self.assertTrue(wait_port(port))
            self.assertEqual(command(port, b"SET a b\r\n"), b"-NOAUTH Authentication required.\r\n")
            self.assertEqual(command(port, b"AUTH wrong\r\n"),
                             b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
            self.assertEqual(command(port, b"AUTH pw\r\nSET a b\r\nGET a\r\n"), b"+OK\r\n+OK\r\n$1\r\nb\r\n")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)

    def test_default_bind_is_loopback(self):
        port = serverutil.free_port()
        p = start(["--port", str(port)])
        try:
            self.assertTrue(wait_port(port))
            with open("/proc/net/tcp") as f:
                rows = [r.split() for r in f.read().splitlines()[1:]]
            listening = [r[1] for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]
            self.assertTrue(listening)
            for local in listening:
                self.assertEqual(local.split(":")[0], "0100007F")  # 127.0.0.1
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)

    def test_unix_socket_many_clients(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "kora.sock")
        port = serverutil.free_port()
        p = start(["--port", str(port), "--unix-socket", path, "--workers", "4"])
        try:
            self.assertTrue(wait_port(port))
            socks = []
            for i in range(32):
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                socks.append(s)
            for i, s in enumerate(socks):
                s.sendall(f"SET u{i} {i}\r\nGET u{i}\r\n".encode())
            for i, s in enumerate(socks):
                s.settimeout(5)
                want = f"+OK\r\n${len(str(i))}\r\n{i}\r\n".encode()
                got = b""
                while len(got) < len(want):
                    got += s.recv(100)
                self.assertEqual(got, want)
                s.close()
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(10), 0)
        self.assertFalse(os.path.exists(path))


def main():
    global BINARY
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    BINARY = os.path.abspath(ap.parse_args().server)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Lifecycle)
    res = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(res.failures) + len(res.errors)
    print(f"lifecycle: {res.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
