"""Start and stop a fulcrumd that a test owns: its own config, file prefix and control socket."""
import os
import signal
import subprocess
import tempfile
import time

from fulcrum_ctrl import Ctrl


class Daemon:
    def __init__(self, fulcrumd, config_text, name="fulcrum-test"):
        self.fulcrumd = fulcrumd
        self.dir = tempfile.mkdtemp(prefix=name + "-")
        self.socket = os.path.join(self.dir, "ctrl.sock")
        self.config = os.path.join(self.dir, "fulcrum.conf")
        self.log = os.path.join(self.dir, "fulcrumd.log")
        prefix = f"{name}-{os.getpid()}-{int(time.time() * 1000) % 100000}"
        with open(self.config, "w") as f:
            f.write(config_text.replace("@PREFIX@", prefix).replace("@SOCKET@", self.socket))
        self.proc = None
        self.startup_s = None

    def start(self, timeout=20.0):
        started = time.monotonic()
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([self.fulcrumd, "-c", self.config], stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fulcrumd exited with {self.proc.returncode}:\n{self.output()}")
            if os.path.exists(self.socket):
                try:
                    with Ctrl(self.socket) as c:
                        c.status()
                    self.startup_s = time.monotonic() - started
                    return self
                except OSError:
                    pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"fulcrumd did not answer within {timeout} s:\n{self.output()}")

    def ctrl(self):
        return Ctrl(self.socket)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the daemon and returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
