"""Per-lcore load (issue 9): a worker's work and idle cycles, as `dpip -s cpu` shows them, rise with its traffic.

One busy-polling worker and a net_pcap port that replays a small pcap forever (infinite_rx=1). With the port
down the worker has nothing to poll and is idle; with it up every poll returns a full burst. Two windows,
each a couple of seconds, so the test is bounded whatever the machine's load.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(shutil.which(FULCRUMD) or FULCRUMD)))
DPIP = os.environ.get("DPIP") or os.path.join(BUILD, "tools", "dpip", "dpip")

CONFIG = """
[eal]
memory = "no-huge"
memory_mb = 512
file_prefix = "@PREFIX@"
[lcores]
master = 0
workers = [1]
[polling]
mode = "busy"
[ctrl]
socket = "@SOCKET@"
[[port]]
name = "dpdk0"
vdev = "net_pcap0,rx_pcap=@PCAP@,infinite_rx=1,tx_pcap=/dev/null,tx_pcap=/dev/null"
promisc = true
[inet]
addresses = ["198.18.0.1/24 dev dpdk0"]
"""


def write_pcap(path, count=256):
    """UDP datagrams of 64-byte frames to 198.18.0.99 (no one): each is received, parsed and dropped."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            udp = struct.pack("!HHHH", 1024 + i, 9, 8 + 18, 0) + bytes(18)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                             bytes([100, 64, 0, 1]), bytes([198, 18, 0, 99]))
            frame = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]) + ip + udp
            f.write(struct.pack("<IIII", 0, i, len(frame), len(frame)) + frame)


def dpip(d, *args):
    env = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)
    return subprocess.run([DPIP, *args], env=env, capture_output=True, text=True, timeout=10, check=True).stdout


def worker_cycles(d):
    lcores = json.loads(dpip(d, "-s", "-j", "cpu"))
    w = [lc for lc in lcores if lc["role"] == "worker"][0]["stats"]
    return w["work_cycles"], w["idle_cycles"]


def window_load(d, seconds=1.5):
    """The worker's share of work cycles over a window, from two readings of `dpip -s -j cpu`."""
    w0, i0 = worker_cycles(d)
    time.sleep(seconds)
    w1, i1 = worker_cycles(d)
    total = (w1 - w0) + (i1 - i0)
    assert total > 0, "the worker's cycles did not move"
    return (w1 - w0) / total


def test_worker_load_rises_with_traffic():
    tmp = tempfile.mkdtemp(prefix="fulcrum-load-")
    try:
        pcap = os.path.join(tmp, "udp.pcap")
        write_pcap(pcap)
        with Daemon(FULCRUMD, CONFIG.replace("@PCAP@", pcap), name="fulcrum-load") as d:
            # The plain listing names the cycles too (`-s`).
            text = dpip(d, "-s", "cpu")
            assert "work_cycles" in text and "idle_cycles" in text, text

            dpip(d, "link", "set", "dpdk0", "down")
            time.sleep(0.3)
            idle = window_load(d)
            dpip(d, "link", "set", "dpdk0", "up")
            time.sleep(0.3)
            busy = window_load(d)
            # Idle polls of an empty lcore cost a little; replaying takes nearly all of it. Loose bounds: the
            # machine's other work steals cycles from both windows alike.
            assert idle < 0.3, f"worker load {idle:.2f} with its only port down"
            assert busy > 0.6, f"worker load {busy:.2f} while replaying a pcap"
            assert busy > idle + 0.4, (idle, busy)
            # The last-second figure moves the same way.
            lcores = json.loads(dpip(d, "-j", "cpu"))
            assert [lc for lc in lcores if lc["role"] == "worker"][0]["load_percent"] > 50
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
