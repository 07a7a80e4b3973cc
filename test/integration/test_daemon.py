"""fulcrumd's lifecycle: start-up, status over the control socket, bad configs, side-by-side instances, SIGTERM."""
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from fulcrum_ctrl import CORE_ECHO, FRAME, KIND_GET, MAGIC, Ctrl  # noqa: E402

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")

CONFIG = """
[eal]
memory = "no-huge"
memory_mb = 256
file_prefix = "@PREFIX@"
[lcores]
master = 0
workers = [1]
[polling]
mode = "idle-sleep"
idle_sleep_us = 100
[ctrl]
socket = "@SOCKET@"
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def daemon():
    d = Daemon(FULCRUMD, CONFIG)
    d.start()
    yield d
    d.kill()


def test_status_reports_every_lcore_with_cycles(daemon):
    print(f"fulcrumd answered its first status request {daemon.startup_s * 1000:.0f} ms after exec")
    with daemon.ctrl() as c:
        first = c.status()
        time.sleep(0.3)
        second = c.status()
    assert first["pid"] == daemon.proc.pid
    assert first["poll_mode"] == "idle-sleep"
    assert [(l["lcore"], l["role"]) for l in first["lcores"]] == [(0, "master"), (1, "worker")]
    for before, after in zip(first["lcores"], second["lcores"]):
        assert after["loops"] > before["loops"], "an lcore stopped looping"
        assert after["work"] + after["idle"] > before["work"] + before["idle"], "cycles are not counted"
    worker = second["lcores"][1]
    assert worker["sleeps"] > 0, "an idle worker in idle-sleep mode never slept"


def test_idle_daemon_uses_little_cpu(daemon):
    start = cpu_seconds(daemon.proc.pid)
    time.sleep(2.0)
    used = (cpu_seconds(daemon.proc.pid) - start) / 2.0
    print(f"idle fulcrumd (master + 1 worker, idle-sleep 100 us): {used * 100:.1f}% of a core")
    # A busy-polling daemon would use 200%; idle-sleep must keep it far below one core.
    assert used < 0.5


def test_echo_and_malformed_requests_do_not_hurt_the_daemon(daemon):
    with daemon.ctrl() as c:
        assert c.get(CORE_ECHO, b"hello") == b"hello"
        status, body = c.call(KIND_GET, 0x1FFFF)  # inside core's range, but nobody handles it
        assert status == 95  # EOPNOTSUPP
        status, body = c.call(KIND_GET, CORE_ECHO, b"x" * 5000)  # over the declared maximum
        assert status == 22 and b"5000" in body  # EINVAL naming the size
        c.send_raw(c.frame(KIND_GET, CORE_ECHO, b"v", version=9))
        _, _, status, _ = c.read_reply()
        assert status == 93  # EPROTONOSUPPORT, and the stream stays in step
        assert c.get(CORE_ECHO, b"still here") == b"still here"
    with daemon.ctrl() as c:
        c.send_raw(FRAME.pack(0xDEADBEEF, 1, KIND_GET, CORE_ECHO, 1, 0, 0))  # bad magic: dropped
    with daemon.ctrl() as c:
        c.send_raw(FRAME.pack(MAGIC, 1, KIND_GET, CORE_ECHO, 1, 0, 1 << 30))  # absurd length: dropped
    with daemon.ctrl() as c:
        c.send_raw(FRAME.pack(MAGIC, 1, KIND_GET, CORE_ECHO, 1, 0, 10)[:10])  # half a header, then gone
    with daemon.ctrl() as c:
        assert c.status()["pid"] == daemon.proc.pid
    assert daemon.proc.poll() is None


def test_socket_is_private(daemon):
    mode = os.stat(daemon.socket).st_mode & 0o777
    assert mode == 0o600


def test_sigterm_stops_cleanly_and_removes_the_socket(daemon):
    assert daemon.stop(signal.SIGTERM) == 0
    assert not os.path.exists(daemon.socket)
    assert "stopping" in daemon.output()


def test_sigint_stops_cleanly(daemon):
    assert daemon.stop(signal.SIGINT) == 0


def test_two_instances_side_by_side():
    with Daemon(FULCRUMD, CONFIG, "fulcrum-a") as a, Daemon(FULCRUMD, CONFIG, "fulcrum-b") as b:
        with a.ctrl() as ca, b.ctrl() as cb:
            assert ca.status()["pid"] == a.proc.pid
            assert cb.status()["pid"] == b.proc.pid
        assert a.stop() == 0
        with b.ctrl() as cb:
            assert cb.status()["pid"] == b.proc.pid
        assert b.stop() == 0


def run_config(tmp_path, text):
    path = tmp_path / "bad.conf"
    path.write_text(text)
    return subprocess.run([FULCRUMD, "-c", str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("text, words", [
    ("[lcores]\nworkers = [1]\nspeed = 3\n", ["'lcores.speed'", "unknown key"]),
    ("[lcores]\nworkers = [127]\n", ["'lcores.workers[0]' = 127", "usable CPU"]),
    ("[polling]\nmode = \"lazy\"\n", ["'polling.mode' = \"lazy\"", "busy, idle-sleep"]),
    ("[eal]\nmemory_mb = 1\n", ["'eal.memory_mb' = 1", "from 64"]),
    ("[ctrl]\nsocket = 5\n", ["'ctrl.socket' = 5", "string"]),
    ("[eal\n", ["syntax error", "line 1"]),
])
def test_bad_config_gives_one_line_and_exit_2(tmp_path, text, words):
    r = run_config(tmp_path, text)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert str(tmp_path / "bad.conf") in lines[0]


def test_check_and_list_config_keys(tmp_path):
    good = tmp_path / "good.conf"
    good.write_text(CONFIG.replace("@PREFIX@", "x").replace("@SOCKET@", str(tmp_path / "s")))
    r = subprocess.run([FULCRUMD, "-c", str(good), "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([FULCRUMD, "--list-config-keys"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    keys = [line.split("\t")[0] for line in r.stdout.splitlines()]
    for k in ["eal.memory", "lcores.workers", "polling.mode", "log.level", "ctrl.socket"]:
        assert k in keys


def test_missing_config_file_exits_2(tmp_path):
    r = subprocess.run([FULCRUMD, "-c", str(tmp_path / "bad.conf")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "No such file" in r.stderr


def test_a_pci_port_with_no_nic_there_stops_the_start_naming_it(tmp_path):
    """No NIC here: a port at a PCI address that has none still starts EAL with that address allowed (and no
    other), then stops fulcrumd with the port, the address and what to check, leaving no socket behind."""
    sock = tmp_path / "s"
    conf = tmp_path / "pci.conf"
    conf.write_text(CONFIG.replace("@PREFIX@", f"pci{os.getpid()}").replace("@SOCKET@", str(sock)) +
                    '[[port]]\nname = "dpdk0"\npci = "ff:1f.7"\n')
    r = subprocess.run([FULCRUMD, "-c", str(conf), "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([FULCRUMD, "-c", str(conf)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert "port 'dpdk0' (pci \"0000:ff:1f.7\"): no DPDK port on this PCI address" in r.stderr
    assert "vfio-pci" in r.stderr
    assert not sock.exists()
