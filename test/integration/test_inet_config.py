"""[inet], [ipv4] and [ipv6] at start: static addresses, routes and neighbours are in force before the first
packet; a bad line stops the daemon naming the key, the element and the word (exit 2 when the line does not
parse, exit 1 when it names what does not exist: devices come from [[port]] and are known only at start)."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from netns_lab import FULCRUMD  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import DPIP  # noqa: E402

BASE = """
[eal]
memory = "no-huge"
memory_mb = 512
file_prefix = "@PREFIX@"
[lcores]
master = 0
workers = [1]
[ctrl]
socket = "@SOCKET@"
[[port]]
name = "dpdk0"
vdev = "net_null0,no-rx=1"
[[port]]
name = "dpdk1"
vdev = "net_null1,no-rx=1"
"""


def run(tmp_path, text):
    path = tmp_path / "inet.conf"
    path.write_text((BASE + text).replace("@PREFIX@", f"fl-inet-cfg-{os.getpid()}")
                    .replace("@SOCKET@", str(tmp_path / "ctrl.sock")))
    return subprocess.run([FULCRUMD, "-c", str(path)], capture_output=True, text=True, timeout=60)


def test_static_entries_are_in_force_at_start(tmp_path):
    d = Daemon(FULCRUMD, BASE + """
[inet]
addresses = ["198.18.0.1/24 dev dpdk0", "2001:db8::1/64 dev dpdk0", "198.18.0.10 dev dpdk0 vip",
             "198.18.1.1/24 dev dpdk1"]
routes = ["default via 198.18.1.254", "198.18.7.0/24 dev dpdk0", "2001:db8:9::/48 via 2001:db8::fe"]
neighbours = ["198.18.0.9 lladdr 02:00:00:00:00:09 dev dpdk0"]
[ipv4]
forwarding = true
ttl = 32
""", "fulcrum-inet-cfg")
    with d:
        env = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)

        def dpip(*args, check=True):
            r = subprocess.run([DPIP, *args], capture_output=True, text=True, env=env, timeout=20)
            assert not check or r.returncode == 0, r.stderr
            return r

        routes = dpip("route").stdout
        assert "default via 198.18.1.254 dev dpdk1 proto static" in routes, routes
        assert "198.18.7.0/24 dev dpdk0 proto static" in routes, routes
        assert "2001:db8:9::/48 via 2001:db8::fe dev dpdk0 proto static" in dpip("-6", "route").stdout
        assert "inet 198.18.0.10/32 scope global vip dpdk0" in dpip("addr").stdout
        assert "198.18.0.9 dev dpdk0 lladdr 02:00:00:00:00:09 PERMANENT" in dpip("neigh").stdout
        settings = json.loads(dpip("-j", "ipv4").stdout)
        assert settings["forwarding"] is True and settings["ttl"] == 32
        assert json.loads(dpip("-j", "ipv6").stdout)["forwarding"] is False
        got = json.loads(dpip("-j", "route", "get", "8.8.8.8").stdout)
        assert got[0]["gateway"] == "198.18.1.254" and got[0]["prefsrc"] == "198.18.1.1", got
        assert d.stop() == 0


@pytest.mark.parametrize("text, code, words", [
    ('[inet]\naddresses = ["198.18.0.1/24 dev dpdk7"]\n', 1,
     ['inet.addresses[0]: cannot find device "dpdk7"']),
    ('[inet]\naddresses = ["198.18.0.1/24 dev dpdk0", "198.18.0.1/24 dev dpdk1"]\n', 1,
     ["inet.addresses[1]", "198.18.0.1 is already on dpdk0"]),
    ('[inet]\nroutes = ["198.18.9.0/24 via 198.18.7.1"]\n', 1,
     ["inet.routes[0]", "gateway 198.18.7.1 is not on a connected network"]),
    ('[inet]\nneighbours = ["198.18.0.9 lladdr 01:00:00:00:00:09 dev dpdk0"]\n', 1,
     ["inet.neighbours[0]", "unicast MAC"]),
    ('[inet]\naddresses = ["198.18.0.1/40 dev dpdk0"]\n', 2, ["'inet.addresses[0]'", "198.18.0.1/40"]),
    ('[inet]\nroutes = ["10.0.0.0/8 via"]\n', 2, ["'inet.routes[0]'", '"via" needs a value']),
    ('[inet]\nneigh_probes = 0\n', 2, ["'inet.neigh_probes' = 0"]),
    ('[inet]\nreassembly = "yes"\n', 2, ["'inet.reassembly'"]),
    ('[ipv6]\nhop_limit = 300\n', 2, ["'ipv6.hop_limit' = 300"]),
    ('[inet]\nmax_routez = 10\n', 2, ["inet.max_routez"]),
])
def test_bad_config_names_the_key_and_the_word(tmp_path, text, code, words):
    r = run(tmp_path, text)
    assert r.returncode == code, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
