"""Stock ipvsadm and keepalived (Debian's, unmodified) driving fulcrumd through the preload bridge
(fulcrum-bridge, libfulcrum-bridge.so): every command family, the tools' error messages, the daemon being
down, a process that forks and dup2s over the bridge's connection, an unprivileged caller, and keepalived's
health checks adding and removing real servers.

No traffic goes through the balancer here: what is checked is the control path, as the tools print it.
"""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from netns_lab import PYTHON, Lab, ns_run, wait_for  # noqa: E402

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")
BRIDGE = os.environ.get("FULCRUM_BRIDGE") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))), "ctrl", "bridge", "fulcrum-bridge")
IPVSADM = "/usr/sbin/ipvsadm"
KEEPALIVED = "/usr/sbin/keepalived"

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
[ipvs]
conn_max = 4096
"""

HEAD = ("IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
NO_IPVS = ("Can't initialize ipvs: Protocol not available\n"
           "Are you sure that IP Virtual Server is built in the kernel or as module?\n")

pytestmark = pytest.mark.skipif(not (os.path.exists(IPVSADM) and os.path.exists(KEEPALIVED)),
                                reason="stock ipvsadm and keepalived are not installed (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def daemon():
    d = Daemon(FULCRUMD, CONFIG, "fulcrum-bridge")
    d.start()
    yield d
    d.kill()


def run(socket_path, *args, env=None, timeout=20, prefix=()):
    e = dict(os.environ, FULCRUM_CTRL_SOCKET=socket_path)
    e.update(env or {})
    return subprocess.run([*prefix, BRIDGE, *map(str, args)], capture_output=True, text=True, env=e, timeout=timeout)


class Ipvsadm:
    def __init__(self, socket_path):
        self.socket = socket_path

    def __call__(self, *args, rc=0, **kw):
        r = run(self.socket, IPVSADM, *args, **kw)
        assert r.returncode == rc, f"ipvsadm {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr}"
        return r

    def ln(self, *args):
        return self("-Ln", *args).stdout


@pytest.fixture
def ipvsadm(daemon):
    tool = Ipvsadm(daemon.socket)
    tool("-C")
    yield tool
    tool("-C")
    tool("--set", 900, 120, 300)


def test_add_edit_delete_and_list(ipvsadm):
    ipvsadm("-A", "-t", "198.18.0.100:80", "-s", "rr")
    ipvsadm("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2:80", "-m", "-w", 2)
    ipvsadm("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.3:80", "-g", "-w", 1)
    ipvsadm("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.4:80", "-i", "-w", 0)
    ipvsadm("-A", "-u", "198.18.0.100:53", "-s", "wlc", "-p", 300)
    assert ipvsadm.ln() == HEAD + (
        "TCP  198.18.0.100:80 rr\n"
        "  -> 198.18.1.2:80                Masq    2      0          0         \n"
        "  -> 198.18.1.3:80                Route   1      0          0         \n"
        "  -> 198.18.1.4:80                Tunnel  0      0          0         \n"
        "UDP  198.18.0.100:53 wlc persistent 300\n")

    ipvsadm("-E", "-t", "198.18.0.100:80", "-s", "wrr", "-p", 60, "-M", "255.255.255.0")
    ipvsadm("-e", "-t", "198.18.0.100:80", "-r", "198.18.1.2:80", "-m", "-w", 5, "-x", 100, "-y", 50)
    ipvsadm("-d", "-t", "198.18.0.100:80", "-r", "198.18.1.4:80")
    ipvsadm("-D", "-u", "198.18.0.100:53")
    assert ipvsadm.ln() == HEAD + (
        "TCP  198.18.0.100:80 wrr persistent 60 mask 255.255.255.0\n"
        "  -> 198.18.1.2:80                Masq    5      0          0         \n"
        "  -> 198.18.1.3:80                Route   1      0          0         \n")
    thresholds = [l.split() for l in ipvsadm.ln("--thresholds").splitlines()]
    assert thresholds[-2:] == [["->", "198.18.1.2:80", "100", "50", "0", "0"], ["->", "198.18.1.3:80", "0", "0", "0", "0"]]
    # -L of one service: GET_SERVICE and GET_DESTS.
    assert ipvsadm.ln("-t", "198.18.0.100:80").endswith("  -> 198.18.1.3:80                Route   1      0          0         \n")
    assert ipvsadm("-S", "-n").stdout == (
        "-A -t 198.18.0.100:80 -s wrr -p 60 -M 255.255.255.0\n"
        "-a -t 198.18.0.100:80 -r 198.18.1.2:80 -m -w 5\n"
        "-a -t 198.18.0.100:80 -r 198.18.1.3:80 -g -w 1\n")

    ipvsadm("-C")
    assert ipvsadm.ln() == HEAD


def test_restore_many_services_and_sorted_listing(ipvsadm):
    rules = "".join(f"-A -t 198.18.0.{100 + i}:80 -s rr\n-a -t 198.18.0.{100 + i}:80 -r 198.18.1.2:80 -m\n"
                    for i in range(40))
    r = subprocess.run([BRIDGE, IPVSADM, "-R"], input=rules, capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, FULCRUM_CTRL_SOCKET=ipvsadm.socket))
    assert r.returncode == 0, r.stderr
    out = ipvsadm.ln()
    assert out.count("TCP  198.18.0.") == 40
    assert out.count("-> 198.18.1.2:80") == 40


def test_stats_rate_zero_and_timeouts(ipvsadm):
    ipvsadm("-A", "-t", "198.18.0.100:80", "-s", "rr")
    ipvsadm("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2:80", "-m")
    assert ipvsadm.ln("--stats") == (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n"
        "TCP  198.18.0.100:80                     0        0        0        0        0\n"
        "  -> 198.18.1.2:80                       0        0        0        0        0\n")
    assert ipvsadm.ln("--rate") == (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
        "  -> RemoteAddress:Port\n"
        "TCP  198.18.0.100:80                     0        0        0        0        0\n"
        "  -> 198.18.1.2:80                       0        0        0        0        0\n")
    ipvsadm("-Z")
    ipvsadm("-Z", "-t", "198.18.0.100:80")
    assert ipvsadm.ln("--timeout") == "Timeout (tcp tcpfin udp): 900 120 300\n"
    ipvsadm("--set", 7200, 0, 60)
    assert ipvsadm.ln("--timeout") == "Timeout (tcp tcpfin udp): 7200 120 60\n"


@pytest.mark.parametrize("args, message", [
    (["-D", "-t", "198.18.0.9:80"], "No such service"),
    (["-E", "-t", "198.18.0.9:80", "-s", "rr"], "No such service"),
    (["-A", "-t", "198.18.0.100:80"], "Service already exists"),
    (["-A", "-t", "198.18.0.101:80", "-s", "nosuch"], "Scheduler or persistence engine not found"),
    (["-a", "-t", "198.18.0.9:80", "-r", "198.18.1.2:80"], "Service not defined"),
    (["-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2:80"], "Destination already exists"),
    (["-e", "-t", "198.18.0.100:80", "-r", "198.18.1.9:80"], "No such destination"),
    (["-d", "-t", "198.18.0.100:80", "-r", "198.18.1.9:80"], "No such destination"),
    (["-Z", "-t", "198.18.0.9:80"], "No such service"),
    (["--start-daemon", "master"], "Function not implemented"),
    (["--stop-daemon", "master"], "No daemon is running"),
    (["-A", "-t", "[2001:db8::1]:80"], "Operation not supported with specified address family"),
])
def test_errors_read_as_on_the_kernel(ipvsadm, args, message):
    ipvsadm("-A", "-t", "198.18.0.100:80")
    ipvsadm("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2:80")
    r = ipvsadm(*args, rc=255)
    assert r.stderr == message + "\n"
    assert r.stdout == ""


def test_no_sync_daemon_is_reported(ipvsadm):
    assert ipvsadm.ln("--daemon") == ""


def test_daemon_down_reads_as_no_ipvs_and_modprobe_is_refused(tmp_path):
    r = run(str(tmp_path / "nobody-listens.sock"), IPVSADM, "-Ln", env={"FULCRUM_BRIDGE_DEBUG": "1"})
    assert r.returncode == 2
    lines = r.stderr.splitlines(keepends=True)
    assert "".join(l for l in lines if not l.startswith("fulcrum-bridge[")) == NO_IPVS
    assert any("refused exec of /sbin/modprobe for ip_vs" in l for l in lines), r.stderr
    assert any("genl lookup of the IPVS family" in l for l in lines), r.stderr
    # Without the debug switch the tool's output is exactly what it prints on a kernel without IPVS.
    r = run(str(tmp_path / "nobody-listens.sock"), IPVSADM, "-Ln")
    assert (r.returncode, r.stdout, r.stderr) == (2, "", NO_IPVS)


def test_unprivileged_caller_is_refused_like_the_kernel_refuses_it(daemon, ipvsadm):
    # uid 65534 without CAP_NET_RAW: the raw socket fails and a placeholder stands in; the control socket
    # (0600, root's) is refused, which the tools see as the kernel's EPERM.
    r = run(daemon.socket, IPVSADM, "-A", "-t", "198.18.0.100:80",
            prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("Can't initialize ipvs: Permission denied (you must be root)")
    assert ipvsadm.ln() == HEAD


def test_capability_in_a_user_namespace_of_its_own_does_not_pass():
    """uid 65534 in a user namespace it created holds every capability there (CapEff all ones); the kernel
    would not count them for IPVS, and neither does fulcrumd, even on a socket left open to everyone."""
    d = Daemon(FULCRUMD, CONFIG, "fulcrum-bridge-userns")
    d.start()
    try:
        os.chmod(d.dir, 0o755)
        os.chmod(d.socket, 0o666)
        r = run(d.socket, IPVSADM, "-Ln",
                prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "unshare", "-Ur"))
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stderr.startswith("Can't initialize ipvs: Permission denied (you must be root)")
        assert "lacks CAP_NET_ADMIN" in d.output()
    finally:
        d.kill()


# Runs under the bridge: GET_INFO, then a fork whose child adds services while the parent reads versions
# (one connection each, or replies would cross), then dup2 over the bridge's fd, then close_range.
FORK_DUP2 = textwrap.dedent(r"""
    import ctypes, os, socket, stat, struct, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    def info():
        return struct.unpack("=III", s.getsockopt(0, 1153, 12))[2]
    def version():
        return s.getsockopt(0, 1152, 64).rstrip(b"\0").decode()
    def add(port):
        svc = struct.pack("=H2x4s2s2xI16sIII", 6, socket.inet_aton("198.18.5.1"), struct.pack(">H", port), 0,
                          b"rr", 0, 0, 0xffffffff)
        s.setsockopt(0, 1154, svc)
    def bridge_fds():
        out = []
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            try:
                if fd >= 100 and stat.S_ISSOCK(os.fstat(fd).st_mode):
                    out.append(fd)
            except OSError:
                pass
        return out
    base = info()
    fds = bridge_fds()
    assert len(fds) == 1, fds
    bfd = fds[0]
    assert not os.get_inheritable(bfd), "the bridge's fd is not close-on-exec"
    want = version()
    assert want.startswith("IP Virtual Server version 1.2.1"), want
    pid = os.fork()
    if pid == 0:
        ok = True
        try:
            for i in range(200):
                add(2000 + i)
                ok = ok and info() == base + i + 1
        except Exception as e:
            print("child:", e, file=sys.stderr)
            ok = False
        os._exit(0 if ok else 1)
    for _ in range(1000):
        assert version() == want
    _, status = os.waitpid(pid, 0)
    assert status == 0, f"child failed: {status}"
    assert info() == base + 200
    # dup2 of a socket of the program's over the bridge's fd: the number is the program's now (a socket, as
    # the bridge's was); the bridge must leave it alone and open another connection.
    mine, peer = socket.socketpair()
    os.dup2(mine.fileno(), bfd)
    assert info() == base + 200
    peer.setblocking(False)
    try:
        leaked = peer.recv(100)
    except BlockingIOError:
        leaked = b""
    assert leaked == b"", f"the bridge wrote into the program's fd: {leaked!r}"
    os.write(bfd, b"x")
    assert peer.recv(1) == b"x"
    # close_range of everything above stderr, the bridge's connection and our socket included.
    s.detach()  # the Python object must not close a number close_range freed
    assert ctypes.CDLL(None, use_errno=True).close_range(3, 0xffffffff, 0) == 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert info() == base + 200
    print("ok")
""")


def test_fork_dup2_and_close_range_keep_replies_apart(daemon, ipvsadm):
    r = run(daemon.socket, PYTHON, "-c", FORK_DUP2, timeout=60)
    assert r.returncode == 0 and r.stdout == "ok\n", r.stdout + r.stderr
    assert ipvsadm.ln().count("TCP  198.18.5.1:") == 200


def test_daemon_restart_is_picked_up_by_a_running_process(tmp_path):
    """A process that keeps running (keepalived) finds the daemon gone and back: ENOPROTOOPT while it is down,
    answers again when it is back, on a new connection."""
    d = Daemon(FULCRUMD, CONFIG, "fulcrum-bridge-restart")
    d.start()
    script = textwrap.dedent("""
        import socket, struct, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        def info():
            try:
                return struct.unpack("=III", s.getsockopt(0, 1153, 12))[1]
            except OSError as e:
                return e.errno
        print(info(), flush=True)
        sys.stdin.readline()
        print(info(), flush=True)
        sys.stdin.readline()
        print(info(), flush=True)
    """)
    e = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)
    p = subprocess.Popen([BRIDGE, PYTHON, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=e)
    try:
        assert p.stdout.readline() == "4096\n"
        d.stop()
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline() == "92\n"  # ENOPROTOOPT
        d.start()
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline() == "4096\n"
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        d.kill()


# ---- keepalived ----

KEEPALIVED_CONF = """
global_defs {
    router_id fulcrum_bridge_test
    lvs_timeouts tcp 7200 tcpfin 120 udp 300
}
virtual_server 198.18.0.100 80 {
    delay_loop 1
    lb_algo @ALGO@
    lb_kind NAT
    protocol TCP
    real_server 198.18.1.2 80 {
        weight @WEIGHT@
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 198.18.1.3 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
"""

# A listener that accepts and closes, for TCP_CHECK; it ends on its own. argv: address port lifetime
LISTENER = textwrap.dedent("""
    import socket, sys, time
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(16)
    print("listening", flush=True)
    s.settimeout(0.2)
    end = time.monotonic() + float(sys.argv[3])
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
            c.close()
        except socket.timeout:
            pass
""")


def dests(ipvsadm):
    """{real server: (forward, weight)} of 198.18.0.100:80, or None when there is no such service."""
    r = run(ipvsadm.socket, IPVSADM, "-Ln", "-t", "198.18.0.100:80")
    if r.returncode != 0:
        return None
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith("  -> 198."):
            f = line.split()
            out[f[1]] = (f[2], int(f[3]))
    return out


@pytest.fixture
def lab():
    lab = Lab("br")
    yield lab
    lab.close()


def test_keepalived_adds_and_removes_real_servers(daemon, ipvsadm, lab):
    ns = lab.ns("ka")
    for a in ("198.18.1.2", "198.18.1.3"):
        ns_run(ns, "ip", "addr", "add", f"{a}/32", "dev", "lo")
    up2 = lab.spawn(ns, LISTENER, "198.18.1.2", 80, 90)
    assert up2.stdout.readline() == "listening\n"

    work = tempfile.mkdtemp(prefix="fulcrum-ka-")
    conf = os.path.join(work, "keepalived.conf")
    with open(conf, "w") as f:
        f.write(KEEPALIVED_CONF.replace("@ALGO@", "wrr").replace("@WEIGHT@", "2"))
    pids = {k: os.path.join(work, f"{k}.pid") for k in ("main", "checkers", "vrrp", "bfd")}
    log = open(os.path.join(work, "keepalived.log"), "w")
    env = dict(os.environ, FULCRUM_CTRL_SOCKET=daemon.socket)
    ka = subprocess.Popen(["ip", "netns", "exec", ns, BRIDGE, KEEPALIVED, "-n", "-l", "-D", "-G", "-C", "-f", conf,
                           "-p", pids["main"], "-c", pids["checkers"], "-r", pids["vrrp"], "-b", pids["bfd"]],
                          stdout=log, stderr=subprocess.STDOUT, env=env)
    lab.procs.append(ka)
    try:
        # Start: the service, both real servers assumed up, then .3 fails its check and goes.
        wait_for(lambda: dests(ipvsadm) == {"198.18.1.2:80": ("Masq", 2)}, "keepalived's service with .2 only",
                 timeout=15)
        assert ipvsadm.ln("--timeout") == "Timeout (tcp tcpfin udp): 7200 120 300\n"
        # .3 comes up: re-added.
        up3 = lab.spawn(ns, LISTENER, "198.18.1.3", 80, 60)
        assert up3.stdout.readline() == "listening\n"
        wait_for(lambda: dests(ipvsadm) == {"198.18.1.2:80": ("Masq", 2), "198.18.1.3:80": ("Masq", 1)},
                 ".3 re-added after its check passed", timeout=10)
        # .2 dies: removed within delay_loop + connect_timeout (and a little).
        up2.kill()
        up2.wait()
        t0 = time.monotonic()
        wait_for(lambda: dests(ipvsadm) == {"198.18.1.3:80": ("Masq", 1)}, ".2 removed after its check failed",
                 timeout=10)
        removal_s = time.monotonic() - t0
        assert removal_s < 5, f".2 was removed {removal_s:.1f} s after it died"
        # SIGHUP: a new algorithm and weight, applied as SET_EDIT and SET_EDITDEST/ADDDEST.
        with open(conf, "w") as f:
            f.write(KEEPALIVED_CONF.replace("@ALGO@", "wlc").replace("@WEIGHT@", "5"))
        up2 = lab.spawn(ns, LISTENER, "198.18.1.2", 80, 60)
        assert up2.stdout.readline() == "listening\n"
        with open(pids["main"]) as f:
            main_pid = int(f.read())
        os.kill(main_pid, signal.SIGHUP)
        wait_for(lambda: dests(ipvsadm) == {"198.18.1.2:80": ("Masq", 5), "198.18.1.3:80": ("Masq", 1)},
                 "the reload's weight", timeout=10)
        assert "TCP  198.18.0.100:80 wlc" in ipvsadm.ln()
        # SIGTERM: keepalived removes what it added and puts the timeouts back.
        os.kill(main_pid, signal.SIGTERM)
        assert ka.wait(timeout=15) == 0
        assert dests(ipvsadm) is None
        assert ipvsadm.ln("--timeout") == "Timeout (tcp tcpfin udp): 900 120 300\n"
    finally:
        if ka.poll() is None:
            ka.kill()
            ka.wait()
        log.close()
        with open(os.path.join(work, "keepalived.log")) as f:
            print(f.read())


def test_keepalived_without_the_daemon_stops_as_on_a_kernel_without_ipvs(tmp_path):
    conf = tmp_path / "keepalived.conf"
    conf.write_text(KEEPALIVED_CONF.replace("@ALGO@", "rr").replace("@WEIGHT@", "1"))
    pids = [str(tmp_path / f"{k}.pid") for k in ("main", "checkers", "vrrp", "bfd")]
    r = run(str(tmp_path / "nobody-listens.sock"), KEEPALIVED, "-n", "-l", "-G", "-C", "-f", conf,
            "-p", pids[0], "-c", pids[1], "-r", pids[2], "-b", pids[3], timeout=30)
    assert "IPVS: Can't initialize ipvs" in r.stdout + r.stderr
    assert "Stopped Keepalived" in r.stdout + r.stderr
