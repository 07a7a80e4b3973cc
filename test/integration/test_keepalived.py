"""Stock keepalived (Debian's, unmodified) driving fulcrumd through the preload bridge, with traffic: the FullNAT
lab (lib/fullnat_lab.py) with a checker namespace on the real servers' switch, where keepalived runs its health
checks from, and a [[vip_binding]] that makes keepalived's `lb_kind NAT` service FullNAT.

What is shown: keepalived's service appears and carries traffic as FullNAT (the real servers see the local
address as the peer and the client in TOA); a killed real server is removed within delay_loop + connect_timeout
while a client loop over the VIP sees failures only until the removal; the server coming back is re-added;
SIGHUP applies a weight change; SIGTERM removes keepalived's service, and a new keepalived gets the binding
again. Also: the sample configs of keepalived/samples parse (keepalived -t, fulcrumd --check).
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from fullnat_lab import CLIENT, LADDR, RS4, RS_PORT, VIP, FullNatLab, read_line  # noqa: E402
from netns_lab import FULCRUMD, wait_for  # noqa: E402

BRIDGE = os.environ.get("FULCRUM_BRIDGE") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))), "ctrl", "bridge", "fulcrum-bridge")
STOCK_IPVSADM = "/usr/sbin/ipvsadm"
KEEPALIVED = "/usr/sbin/keepalived"
SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "keepalived", "samples")

pytestmark = pytest.mark.skipif(not (os.path.exists(STOCK_IPVSADM) and os.path.exists(KEEPALIVED)),
                                reason="stock ipvsadm and keepalived are not installed (scripts/install-deps.sh)")

DELAY_LOOP, CONNECT_TIMEOUT = 2, 1
BINDING = f"""
[[vip_binding]]
vip = "{VIP}"
forward = "fullnat"
local_addresses = ["{LADDR}"]
"""

# rs1 and rs2 by TCP_CHECK, rs3 by HTTP_GET. No `lvs_timeouts`: the lab's [ipvs] timeouts stay.
KEEPALIVED_CONF = """
global_defs {
    router_id fulcrum_keepalived_test
}
virtual_server @VIP@ 80 {
    delay_loop @DELAY@
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server @RS1@ @PORT@ {
        weight 1
        TCP_CHECK {
            connect_timeout @CT@
            retry 0
        }
    }
    real_server @RS2@ @PORT@ {
        weight @W2@
        TCP_CHECK {
            connect_timeout @CT@
            retry 0
        }
    }
    real_server @RS3@ @PORT@ {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout @CT@
            retry 0
        }
    }
}
"""

# GETs over the VIP, one connection each, one every `interval` seconds, until stdin closes (or max_seconds).
# Prints "started", then one JSON list: {"t0", "t1", "server" or "error"} per request (time.time(), the same
# clock as the test's).
CLIENT_LOOP = textwrap.dedent("""
    import http.client, json, select, sys, time
    a = json.loads(sys.argv[1])
    out = []
    print("started", flush=True)
    end = time.time() + a["max_seconds"]
    while time.time() < end and not select.select([sys.stdin], [], [], 0)[0]:
        t0 = time.time()
        rec = {"t0": t0}
        c = http.client.HTTPConnection(a["host"], a["port"], timeout=a["timeout"])
        try:
            c.request("GET", "/", headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            rec["server"] = json.loads(body)["server"]
        except Exception as e:
            rec["error"] = f"{type(e).__name__}: {e}"
        finally:
            c.close()
        rec["t1"] = time.time()
        out.append(rec)
        time.sleep(max(0.0, a["interval"] - (rec["t1"] - t0)))
    print(json.dumps(out), flush=True)
""")


def keepalived_conf(w2=1):
    text = KEEPALIVED_CONF
    for k, v in {"@VIP@": VIP, "@DELAY@": DELAY_LOOP, "@CT@": CONNECT_TIMEOUT, "@PORT@": RS_PORT, "@W2@": w2,
                 "@RS1@": RS4["rs1"], "@RS2@": RS4["rs2"], "@RS3@": RS4["rs3"]}.items():
        text = text.replace(k, str(v))
    return text


def stock_dests(socket_path):
    """{real server: (forward, weight)} of VIP:80 as stock ipvsadm (through the bridge) lists it; None when
    there is no such service."""
    r = subprocess.run([BRIDGE, STOCK_IPVSADM, "-Ln", "-t", f"{VIP}:80"], capture_output=True, text=True,
                       env=dict(os.environ, FULCRUM_CTRL_SOCKET=socket_path), timeout=20)
    if r.returncode != 0:
        return None
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith("  -> 198."):
            f = line.split()
            out[f[1]] = (f[2], int(f[3]))
    return out


def fulcrum_dests(lab):
    """The same from Fulcrum's ipvsadm, which names FullNAT."""
    r = lab.ipvsadm("-Ln", "-t", f"{VIP}:80", check=False)
    if r.returncode != 0:
        return None
    return {l.split()[1]: (l.split()[2], int(l.split()[3])) for l in r.stdout.splitlines()
            if l.startswith("  -> 198.")}


def rs(name):
    return f"{RS4[name]}:{RS_PORT}"


class Keepalived:
    """Stock keepalived (checker only) in the lab's checker namespace, through fulcrum-bridge; stopped by PID."""

    def __init__(self, lab, work):
        self.lab, self.work = lab, work
        self.conf = os.path.join(work, "keepalived.conf")
        self.pids = {k: os.path.join(work, f"{k}.pid") for k in ("main", "checkers", "vrrp", "bfd")}
        self.log_path = os.path.join(work, "keepalived.log")
        self.proc = None

    def write(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        self.log = open(self.log_path, "a")
        env = dict(os.environ, FULCRUM_CTRL_SOCKET=self.lab.daemon.socket)
        # ip netns exec execs the wrapper, which execs keepalived: the PID is keepalived's main process.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.chk, BRIDGE, KEEPALIVED, "-n", "-l", "-D", "-C", "-f", self.conf,
             "-p", self.pids["main"], "-c", self.pids["checkers"], "-r", self.pids["vrrp"], "-b", self.pids["bfd"]],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.log.close()

    def output(self):
        with open(self.log_path) as f:
            return f.read()


@pytest.fixture(scope="module")
def lab():
    lab = FullNatLab("K", checker=True)
    try:
        lab.start_daemon(lab.config([], ipvs={"conn_max": 65536}, vips=[VIP], laddrs=[LADDR], extra=BINDING))
        yield lab
    finally:
        lab.close()


@pytest.fixture
def keepalived(lab, tmp_path):
    ka = Keepalived(lab, str(tmp_path))
    try:
        yield ka
    finally:
        ka.stop()
        print(ka.output()[-6000:])


def start_loop(lab, interval=0.05, timeout=5.0):
    a = {"host": VIP, "port": 80, "interval": interval, "timeout": timeout, "max_seconds": 120}
    p = lab.spawn(lab.cli, CLIENT_LOOP, json.dumps(a))
    read_line(p, 20, expect="started")
    return p


def stop_loop(p):
    out, err = p.communicate(input="", timeout=30)
    lines = out.strip().splitlines()
    assert lines, f"the client loop printed nothing: {err[-2000:]}"
    return json.loads(lines[-1])


def test_keepalived_nat_service_runs_as_fullnat_with_health_checks_reload_and_stop(lab, keepalived):
    sock = lab.daemon.socket
    all3 = {rs("rs1"), rs("rs2"), rs("rs3")}
    keepalived.write(keepalived_conf())
    keepalived.start()

    # Start: SET_ADD (masq, no method at all) and three ADDDEST with masq; the binding makes them FullNAT.
    wait_for(lambda: set(stock_dests(sock) or {}) == all3, "keepalived's service with three real servers",
             timeout=20)
    assert all(f == "Masq" for f, _ in stock_dests(sock).values())  # what the kernel's struct can say
    assert all(f == "FullNat" for f, _ in fulcrum_dests(lab).values())
    groups = lab.ipvsadm("-G", "-n").stdout
    assert f"TCP  {VIP}:80" in groups and LADDR in groups, groups
    bindings = lab.ipvsadm("--list-bindings").stdout.splitlines()
    assert bindings[1:] == [f"{VIP:<40} FullNat on   {LADDR}"], bindings

    # Traffic through the VIP: every real server, reached from the local address, the client in TOA.
    reports = lab.requests(VIP, 80, 30)
    assert all("error" not in r for r in reports), reports
    assert {r["server"] for r in reports} == {"rs1", "rs2", "rs3"}
    assert {r["peer"][0] for r in reports} == {LADDR}
    assert all(r["toa"] and r["toa"]["addr"] == CLIENT and r["toa"]["port"] == r["client"][1] for r in reports)

    # rs1 (TCP_CHECK) dies under a client loop: removed within delay_loop + connect_timeout; the loop fails
    # only for what went to rs1 before the removal, and not at all after it.
    loop = start_loop(lab)
    time.sleep(1.5)
    t_kill = time.time()  # before the signal: what the loop sees of the death can not precede it
    lab.kill_real_server("rs1")
    wait_for(lambda: set(stock_dests(sock) or {}) == {rs("rs2"), rs("rs3")}, "rs1 removed by its TCP_CHECK",
             timeout=15, interval=0.05)
    t_removed = time.time()
    removal_s = t_removed - t_kill
    time.sleep(3)
    results = stop_loop(loop)
    print(f"rs1 removed {removal_s:.2f} s after it was killed; {len(results)} requests in the loop")
    assert removal_s <= DELAY_LOOP + CONNECT_TIMEOUT, f"removed after {removal_s:.2f} s"
    failed = [r for r in results if "error" in r]
    before = [r for r in results if r["t1"] < t_kill]
    during = [r for r in results if r["t1"] >= t_kill and r["t0"] <= t_removed]
    after = [r for r in results if r["t0"] > t_removed]
    print(f"loop: {len(before)} before the kill, {len(during)} until the removal ({len(failed)} failed), "
          f"{len(after)} after it")
    assert len(before) >= 10 and len(after) >= 20, (len(before), len(after))
    assert not [r for r in failed if r["t1"] < t_kill], "failures before the kill"
    assert not [r for r in after if "error" in r], [r for r in after if "error" in r]
    # During the window the other two real servers kept answering: at most rs1's share (one in three, rr) failed.
    ok_during = [r for r in during if "error" not in r]
    assert len(failed) <= len(during) // 3 + 2, (len(failed), len(during))
    assert {r["server"] for r in ok_during} <= {"rs2", "rs3"}
    assert {r["server"] for r in after} == {"rs2", "rs3"}

    # rs1 comes back: its check passes and keepalived adds it again; traffic reaches it.
    lab.start_real_server("rs1")
    t_back = time.time()
    wait_for(lambda: set(stock_dests(sock) or {}) == all3, "rs1 re-added", timeout=15, interval=0.05)
    print(f"rs1 re-added {time.time() - t_back:.2f} s after it came back")
    assert fulcrum_dests(lab)[rs("rs1")] == ("FullNat", 1)
    reports = lab.requests(VIP, 80, 12)
    assert all("error" not in r for r in reports), reports
    assert {r["server"] for r in reports} == {"rs1", "rs2", "rs3"}

    # rs3 (HTTP_GET) dies: removed as well, and re-added.
    t_kill = time.time()
    lab.kill_real_server("rs3")
    wait_for(lambda: set(stock_dests(sock) or {}) == {rs("rs1"), rs("rs2")}, "rs3 removed by its HTTP_GET",
             timeout=15, interval=0.05)
    removal3_s = time.time() - t_kill
    print(f"rs3 removed {removal3_s:.2f} s after it was killed")
    assert removal3_s <= DELAY_LOOP + CONNECT_TIMEOUT, f"removed after {removal3_s:.2f} s"
    lab.start_real_server("rs3")
    wait_for(lambda: set(stock_dests(sock) or {}) == all3, "rs3 re-added", timeout=15, interval=0.05)

    # SIGHUP: rs2's weight 1 -> 3, sent as EDITDEST; the service stays FullNAT.
    keepalived.write(keepalived_conf(w2=3))
    keepalived.signal(signal.SIGHUP)
    wait_for(lambda: (stock_dests(sock) or {}).get(rs("rs2")) == ("Masq", 3), "the reload's weight", timeout=15)
    assert fulcrum_dests(lab) == {rs("rs1"): ("FullNat", 1), rs("rs2"): ("FullNat", 3), rs("rs3"): ("FullNat", 1)}
    reports = lab.requests(VIP, 80, 10)
    assert all("error" not in r for r in reports), reports

    # SIGTERM: keepalived deletes its service; the VIP then has none.
    keepalived.signal(signal.SIGTERM)
    assert keepalived.proc.wait(timeout=20) == 0
    assert stock_dests(sock) is None
    assert lab.connect_probe(VIP, 80)["result"] != "connected"

    # The binding outlives the service: the next keepalived's service is FullNAT again, with the group.
    keepalived.log.close()
    keepalived.start()
    wait_for(lambda: set(fulcrum_dests(lab) or {}) == all3, "the second keepalived's service", timeout=20)
    assert all(f == "FullNat" for f, _ in fulcrum_dests(lab).values())
    reports = lab.requests(VIP, 80, 6)
    assert all("error" not in r for r in reports) and {r["peer"][0] for r in reports} == {LADDR}, reports
    keepalived.signal(signal.SIGTERM)
    assert keepalived.proc.wait(timeout=20) == 0
    assert stock_dests(sock) is None


# ---- the sample configs ----

def keepalived_samples():
    return sorted(glob.glob(os.path.join(SAMPLES, "*.conf")))


@pytest.mark.parametrize("conf", keepalived_samples(), ids=os.path.basename)
def test_keepalived_sample_parses(conf, tmp_path):
    # -t checks the config and exits: 0 when it is sound (it reports what it refuses on stderr).
    r = subprocess.run([KEEPALIVED, "-t", "-f", conf], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("toml", sorted(glob.glob(os.path.join(SAMPLES, "*.fulcrum.toml"))), ids=os.path.basename)
def test_fulcrumd_sample_passes_check(toml):
    r = subprocess.run([FULCRUMD, "-c", toml, "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_samples_exist():
    names = {os.path.basename(p) for p in keepalived_samples()}
    assert {"nat.conf", "dr.conf", "fullnat-binding.conf"} <= names
    assert os.path.exists(os.path.join(SAMPLES, "fullnat-binding.fulcrum.toml"))
    assert shutil.which(KEEPALIVED)


def test_systemd_units_are_configured():
    """conf/systemd/fulcrumd.service and keepalived's drop-in, as the build configured them for cmake --install:
    every placeholder filled, keepalived started through the bridge after fulcrumd."""
    unit_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))), "conf", "systemd")
    with open(os.path.join(unit_dir, "fulcrumd.service")) as f:
        fulcrumd = f.read()
    with open(os.path.join(unit_dir, "keepalived.service.d", "fulcrum.conf")) as f:
        dropin = f.read()
    assert "@" not in fulcrumd and "@" not in dropin
    exec_start = [l for l in fulcrumd.splitlines() if l.startswith("ExecStart=")]
    assert len(exec_start) == 1 and exec_start[0].split("=", 1)[1].split()[0].endswith("/fulcrumd"), exec_start
    assert "RuntimeDirectory=fulcrum" in fulcrumd
    lines = dropin.splitlines()
    assert "After=fulcrumd.service" in lines and "Requires=fulcrumd.service" in lines
    starts = [l for l in lines if l.startswith("ExecStart=")]
    # The first empties Debian's ExecStart, the second replaces it.
    assert starts[0] == "ExecStart=" and len(starts) == 2
    cmd = starts[1].split("=", 1)[1].split()
    assert cmd[0].endswith("/fulcrum-bridge") and cmd[1] == KEEPALIVED and "--dont-fork" in cmd
