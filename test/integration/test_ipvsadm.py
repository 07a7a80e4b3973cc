"""tools/ipvsadm against a running fulcrumd: stock ipvsadm's commands, words and exit codes, -S/-R, IPv6,
FullNAT local-address groups, the connection listing and the counters; and, through the preload bridge,
the same output as stock /usr/sbin/ipvsadm for the same state.

Our ipvsadm is always called by its full path: it must never stand in for /usr/sbin/ipvsadm.
"""
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from netns_lab import FULCRUMD, IPVSADM  # noqa: E402

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD)))
BRIDGE = os.environ.get("FULCRUM_BRIDGE") or os.path.join(BUILD, "ctrl", "bridge", "fulcrum-bridge")
STOCK = "/usr/sbin/ipvsadm"

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
[[service]]
proto = "tcp"
vip = "198.18.0.100"
port = 80
scheduler = "rr"
forward = "nat"
[[service.real_server]]
addr = "198.18.1.2"
weight = 2
[[service.real_server]]
addr = "198.18.1.3"
port = 8080
"""

HEAD = ("Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
CONFIGURED = ("TCP  198.18.0.100:80 rr\n"
              "  -> 198.18.1.2:80                Masq    2      0          0         \n"
              "  -> 198.18.1.3:8080              Masq    1      0          0         \n")
VERSION_LINE = "IP Virtual Server version 1.2.1 (size=4096)\n"


class Ipvsadm:
    """One ipvsadm binary (ours, or stock through the bridge) aimed at one daemon's socket."""

    def __init__(self, argv, socket):
        self.argv = argv
        self.env = dict(os.environ, FULCRUM_CTRL_SOCKET=socket)

    def __call__(self, *args, input=None):
        return subprocess.run([*self.argv, *map(str, args)], capture_output=True, text=True, env=self.env,
                              input=input, timeout=30)

    def ok(self, *args, input=None):
        r = self(*args, input=input)
        assert r.returncode == 0, f"ipvsadm {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}"
        return r.stdout

    def refused(self, rc, stderr, *args):
        r = self(*args)
        assert (r.returncode, r.stderr) == (rc, stderr), f"ipvsadm {' '.join(map(str, args))}: {r}"
        assert r.stdout == ""


@pytest.fixture
def daemon():
    if not os.path.exists(IPVSADM):
        pytest.fail(f"{IPVSADM} is not built")
    d = Daemon(FULCRUMD, CONFIG, "fulcrum-ipvsadm")
    d.start()
    yield d
    d.kill()


@pytest.fixture
def ipvsadm(daemon):
    return Ipvsadm([IPVSADM], daemon.socket)


def listing(ipvsadm, *extra):
    out = ipvsadm.ok("-Ln", *extra)
    assert out.startswith(VERSION_LINE), out
    return out[len(VERSION_LINE):]


def test_the_configured_service_lists_as_stock_ipvsadm_prints_it(ipvsadm):
    assert listing(ipvsadm) == HEAD + CONFIGURED
    assert ipvsadm.ok("-Ln", "-t", "198.18.0.100:80") == HEAD + CONFIGURED
    assert ipvsadm.ok("-l", "-n", "--sort") == VERSION_LINE + HEAD + CONFIGURED


def test_services_and_real_servers_are_added_changed_and_deleted(ipvsadm):
    ipvsadm.ok("-A", "-t", "198.18.0.101:443", "-s", "wlc", "-p", "600", "-M", "255.255.255.0")
    ipvsadm.ok("-a", "-t", "198.18.0.101:443", "-r", "198.18.1.4", "-g", "-w", "5")
    ipvsadm.ok("-a", "-t", "198.18.0.101:443", "-r", "198.18.1.5:4443", "-m", "-x", "100", "-y", "50")
    ipvsadm.ok("-A", "-u", "198.18.0.101:53", "-s", "sh", "-b", "sh-port", "-o")
    ipvsadm.ok("-a", "-u", "198.18.0.101:53", "-r", "198.18.1.6", "-i", "-w", "0")
    assert listing(ipvsadm) == HEAD + CONFIGURED + (
        "TCP  198.18.0.101:443 wlc persistent 600 mask 255.255.255.0\n"
        "  -> 198.18.1.4:443               Route   5      0          0         \n"
        "  -> 198.18.1.5:4443              Masq    1      0          0         \n"
        "UDP  198.18.0.101:53 sh (sh-port) ops\n"
        "  -> 198.18.1.6:53                Tunnel  0      0          0         \n")
    assert listing(ipvsadm, "--thresholds").endswith(
        "  -> 198.18.1.5:4443              100        50         0          0         \n"
        "UDP  198.18.0.101:53 sh (sh-port) ops\n"
        "  -> 198.18.1.6:53                0          0          0          0         \n")

    # -E replaces every setting: without -p the service stops being persistent.
    ipvsadm.ok("-E", "-t", "198.18.0.101:443", "-s", "lc")
    ipvsadm.ok("-e", "-t", "198.18.0.101:443", "-r", "198.18.1.4", "-g", "-w", "7")
    ipvsadm.ok("-d", "-t", "198.18.0.101:443", "-r", "198.18.1.5:4443")
    assert ipvsadm.ok("-Ln", "-t", "198.18.0.101:443") == HEAD + (
        "TCP  198.18.0.101:443 lc\n"
        "  -> 198.18.1.4:443               Route   7      0          0         \n")
    ipvsadm.ok("-D", "-t", "198.18.0.101:443")
    ipvsadm.ok("-D", "-u", "198.18.0.101:53")
    assert listing(ipvsadm) == HEAD + CONFIGURED
    ipvsadm.ok("-C")
    assert listing(ipvsadm) == HEAD


def test_refusals_have_stock_words_and_exit_codes(ipvsadm):
    svc = "198.18.0.100:80"
    ipvsadm.refused(255, "Service already exists\n", "-A", "-t", svc, "-s", "rr")
    ipvsadm.refused(255, "Scheduler or persistence engine not found\n", "-A", "-t", "198.18.0.101:80", "-s", "nosuch")
    ipvsadm.refused(255, "Scheduler or persistence engine not found\n", "-E", "-t", svc, "-s", "nosuch")
    ipvsadm.refused(255, "No such service\n", "-D", "-t", "198.18.0.102:80")
    ipvsadm.refused(255, "No such service\n", "-E", "-t", "198.18.0.102:80", "-s", "rr")
    ipvsadm.refused(255, "No such service\n", "-Z", "-t", "198.18.0.102:80")
    ipvsadm.refused(1, "No such service\n", "-Ln", "-t", "198.18.0.102:80")
    ipvsadm.refused(255, "Service not defined\n", "-a", "-t", "198.18.0.102:80", "-r", "198.18.1.2", "-m")
    ipvsadm.refused(255, "Destination already exists\n", "-a", "-t", svc, "-r", "198.18.1.2:80", "-m")
    ipvsadm.refused(255, "No such destination\n", "-d", "-t", svc, "-r", "198.18.1.9:80")
    ipvsadm.refused(255, "No such destination\n", "-e", "-t", svc, "-r", "198.18.1.9:80", "-m")
    ipvsadm.refused(2, "illegal weight specified\n", "-a", "-t", svc, "-r", "198.18.1.4", "-w", "-1")
    ipvsadm.refused(2, "Zero port specified for non-persistent service\n", "-A", "-t", "198.18.0.101", "-s", "rr")
    ipvsadm.refused(2, "Illegal 'weight' option with the 'add-service' command\n", "-A", "-t", svc, "-w", "1")
    ipvsadm.refused(2, "options conflicts in the list command\n", "-L", "-c", "--stats")
    ipvsadm.refused(255, f"Try `{IPVSADM} -h' or '{IPVSADM} --help' for more information.\n", "-n", "-L")
    # Where stock's words are generic, fulcrumd's reason follows on a line of its own.
    r = ipvsadm("-a", "-t", svc, "-r", "198.18.1.4", "-m", "-x", "10", "-y", "20")
    assert r.returncode == 255
    assert r.stderr.startswith("Numerical result out of range\nfulcrumd: "), r.stderr
    r = ipvsadm("-a", "-t", svc, "-r", "0.0.0.0", "-m")
    assert r.returncode == 255
    assert r.stderr.startswith("Invalid operation.  Possibly wrong module version, address not unicast, ...\n"
                               "fulcrumd: "), r.stderr
    # Nothing changed.
    assert listing(ipvsadm) == HEAD + CONFIGURED


def test_what_fulcrumd_has_not_is_refused_by_name(ipvsadm):
    ipvsadm.refused(2, "-f 7: fwmark services are not supported by fulcrumd (use -t, -u or --sctp-service)\n",
                    "-A", "-f", "7", "-s", "rr")
    ipvsadm.refused(2, "--pe sip: persistence engines are not supported by fulcrumd\n",
                    "-A", "-t", "198.18.0.101:80", "--pe", "sip")


def test_zero_stats_and_rates(ipvsadm):
    ipvsadm.ok("-Z")
    ipvsadm.ok("-Z", "-t", "198.18.0.100:80")
    zeros = "        0" * 5 + "\n"
    assert listing(ipvsadm, "--stats") == (
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n"
        f"{'TCP  198.18.0.100:80':<33}" + zeros +
        f"  -> {'198.18.1.2:80':<28}" + zeros +
        f"  -> {'198.18.1.3:8080':<28}" + zeros)
    assert listing(ipvsadm, "--stats", "--exact") == listing(ipvsadm, "--stats")
    assert listing(ipvsadm, "--rate").startswith(
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n")


def test_ipv6_services(ipvsadm):
    svc = "[2001:db8::100]:443"
    ipvsadm.ok("-A", "-t", svc, "-s", "wlc", "-p", "300", "-M", "64")
    ipvsadm.ok("-a", "-t", svc, "-r", "[2001:db8::2]:8443", "-m", "-w", "3")
    ipvsadm.ok("-a", "-t", svc, "-r", "2001:db8::3", "-b")
    ipvsadm.refused(2, "Different address family is allowed only for tunneling servers\n",
                    "-a", "-t", svc, "-r", "198.18.1.2", "-m")
    assert ipvsadm.ok("-Ln", "-t", svc) == HEAD + (
        "TCP  [2001:db8::100]:443 wlc persistent 300 mask 64\n"
        "  -> [2001:db8::2]:8443           Masq    3      0          0         \n"
        "  -> [2001:db8::3]:443            FullNat 1      0          0         \n")
    # After the IPv4 services, as stock sorts families.
    assert listing(ipvsadm).startswith(HEAD + CONFIGURED + "TCP  [2001:db8::100]:443 wlc")
    ipvsadm.ok("-d", "-t", svc, "-r", "[2001:db8::2]:8443")
    ipvsadm.ok("-D", "-t", svc)
    assert listing(ipvsadm) == HEAD + CONFIGURED


def test_save_and_restore_round_trip(ipvsadm):
    ipvsadm.ok("-A", "-t", "[2001:db8::100]:80", "-s", "mh", "-b", "mh-port", "--fullnat", "--no-toa")
    ipvsadm.ok("-a", "-t", "[2001:db8::100]:80", "-r", "[2001:db8::2]:8080", "-b", "-w", "4")
    ipvsadm.ok("-P", "-t", "[2001:db8::100]:80", "-z", "2001:db8:2::1")
    ipvsadm.ok("-A", "-u", "198.18.0.101:53", "-s", "rr", "-p", "30", "-M", "255.255.0.0", "-o")
    ipvsadm.ok("-a", "-u", "198.18.0.101:53", "-r", "198.18.1.6", "-i")
    saved = ipvsadm.ok("-S", "-n")
    assert saved == (
        "-A -t 198.18.0.100:80 -s rr\n"
        "-a -t 198.18.0.100:80 -r 198.18.1.2:80 -m -w 2\n"
        "-a -t 198.18.0.100:80 -r 198.18.1.3:8080 -m -w 1\n"
        "-A -u 198.18.0.101:53 -s rr -p 30 -M 255.255.0.0 -o\n"
        "-a -u 198.18.0.101:53 -r 198.18.1.6:53 -i -w 1 --tun-type ipip\n"
        "-A -t [2001:db8::100]:80 -s mh -b mh-port --fullnat --no-toa\n"
        "-a -t [2001:db8::100]:80 -r [2001:db8::2]:8080 -b -w 4\n"
        "-P -t [2001:db8::100]:80 -z 2001:db8:2::1\n")
    ipvsadm.ok("-C")
    assert ipvsadm.ok("-S", "-n") == ""
    ipvsadm.ok("-R", input=saved)
    assert ipvsadm.ok("-S", "-n") == saved
    # With names (-S without -n) too, and "ipvsadm" words, comments and blank lines in the input.
    named = ipvsadm.ok("-S")
    ipvsadm.ok("-C")
    ipvsadm.ok("-R", input="# saved\n\n" + "".join("ipvsadm " + line + "\n" for line in named.splitlines()))
    assert ipvsadm.ok("-S", "-n") == saved


def test_restore_stops_at_a_bad_line_and_goes_on_after_a_refused_one(ipvsadm):
    r = ipvsadm("-R", input="-A -t 198.18.0.101:80 -s rr\n-A -t 198.18.0.101:80 -s rr\n-A -t 198.18.0.102:80 -s rr\n")
    assert (r.returncode, r.stderr) == (255, "Service already exists\n")
    r = ipvsadm("-R", input="-A -t 198.18.0.103:80 -s rr\n-a -t 198.18.0.103:80 -r 198.18.1.2 -w -1\n"
                            "-A -t 198.18.0.104:80 -s rr\n")
    assert (r.returncode, r.stderr) == (2, "illegal weight specified\n")
    r = ipvsadm("-R", input="-R\n")
    assert r.returncode == 255
    assert [l.split()[1] for l in listing(ipvsadm).splitlines() if l.startswith("TCP")] == \
        ["198.18.0.100:80", "198.18.0.101:80", "198.18.0.102:80", "198.18.0.103:80"]


def test_connection_listing(ipvsadm):
    assert ipvsadm.ok("-Lnc") == (
        "IPVS connection entries\n"
        "pro expire state       source             virtual            destination\n")
    assert ipvsadm.ok("-L", "-n", "-c", "--fullnat-conn") == (
        "IPVS connection entries\n"
        "pro expire state       source             virtual            local              destination\n")


def test_local_address_groups(ipvsadm):
    svc = "198.18.0.100:80"
    ipvsadm.ok("-P", "-t", svc, "-z", "198.18.2.1")
    ipvsadm.ok("--add-laddr", "-t", svc, "--laddr", "198.18.2.2")
    ipvsadm.refused(255, "Local address already exists\n", "-P", "-t", svc, "-z", "198.18.2.1")
    ipvsadm.refused(255, "Service not defined\n", "-P", "-t", "198.18.0.102:80", "-z", "198.18.2.1")
    ipvsadm.refused(255, "Operation not supported with specified address family\n",
                    "-P", "-t", svc, "-z", "2001:db8:2::1")
    out = ipvsadm.ok("-G")
    lines = out.splitlines()
    assert lines[:3] == ["Prot LocalAddress:Port            Forward LocalAddresses",
                         "  -> LocalAddress                 Ports      FreePorts  Services",
                         "TCP  198.18.0.100:80              -       2"]
    assert [l.split()[1] for l in lines[3:5]] == ["198.18.2.1", "198.18.2.2"]
    ports = [int(l.split()[2]) for l in lines[3:5]]
    assert all(p > 0 for p in ports), out
    per_worker = ipvsadm.ok("-G", "-t", svc, "--per-worker")
    assert re.search(r"^     0 +\d+ +\d+$", per_worker, re.M), per_worker
    ipvsadm.ok("-Q", "-t", svc, "-z", "198.18.2.1")
    ipvsadm.refused(255, "No such local address\n", "-Q", "-t", svc, "-z", "198.18.2.1")
    assert ipvsadm.ok("-G", "-t", svc).splitlines()[2:] == ["TCP  198.18.0.100:80              -       1",
                                                          ipvsadm.ok("-G").splitlines()[3]]


def test_timeouts_and_the_sync_daemon(ipvsadm):
    ipvsadm.ok("--set", "900", "120", "300")
    assert ipvsadm.ok("-L", "--timeout") == "Timeout (tcp tcpfin udp): 900 120 300\n"
    ipvsadm.ok("--set", "3600", "60", "0")  # 0 keeps the timeout as it is, as in the kernel
    assert ipvsadm.ok("-L", "--timeout") == "Timeout (tcp tcpfin udp): 3600 60 300\n"
    # Fulcrum has no connection synchronisation: fulcrumd refuses the sync daemon (ENOSYS) and says why.
    assert ipvsadm.ok("-L", "--daemon") == ""
    r = ipvsadm("--start-daemon", "master", "--syncid", "5")
    assert r.returncode == 255
    assert r.stderr.startswith("Function not implemented\nfulcrumd: "), r.stderr
    assert ipvsadm.ok("-L", "--daemon") == ""
    ipvsadm.refused(255, "No daemon is running\n", "--stop-daemon", "master")


def test_counters(ipvsadm):
    out = ipvsadm.ok("--counters").splitlines()
    assert re.match(r"^Counter +Total$", out[0]), out
    names = [l.split()[0] for l in out[1:]]
    assert "conn_created" in names, out
    per = ipvsadm.ok("--counters", "--per-worker").splitlines()
    assert re.match(r"^Counter +Total +Worker0$", per[0]), per
    assert [l.split()[0] for l in per[1:]] == names


def test_a_daemon_that_is_not_there(tmp_path):
    r = Ipvsadm([IPVSADM], str(tmp_path / "none.sock"))("-Ln")
    assert r.returncode == 2
    assert r.stderr.startswith("Can't initialize ipvs: Protocol not available\n"), r.stderr
    assert "none.sock" in r.stderr
    assert r.stdout == ""


def test_only_root_gets_through(daemon):
    # The socket is root's (0600): anyone else reads stock's words for EPERM.
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IPVSADM, "-Ln"],
                       capture_output=True, text=True, env=dict(os.environ, FULCRUM_CTRL_SOCKET=daemon.socket),
                       timeout=30)
    if r.returncode == 126 or "Permission denied" in r.stderr and "Can't initialize" not in r.stderr:
        pytest.skip(f"{IPVSADM} cannot be run as nobody here: {r.stderr.strip()}")
    assert r.returncode == 2
    assert r.stderr.startswith("Can't initialize ipvs: Permission denied (you must be root)\n"), r.stderr


# ---- the same as stock ipvsadm, through the preload bridge ----

def stock_or_skip(socket):
    if not os.path.exists(BRIDGE):
        pytest.skip(f"the preload bridge ({BRIDGE}) is not built yet: no comparison with stock ipvsadm")
    if not os.path.exists(STOCK):
        pytest.skip(f"{STOCK} is not installed (scripts/install-deps.sh installs it)")
    return Ipvsadm([BRIDGE, STOCK], socket)


def same(ours, stock, *args):
    a, b = ours(*args), stock(*args)
    norm = lambda r, prog: (r.returncode, r.stdout, r.stderr.replace(prog, "PROG"))  # noqa: E731
    assert norm(a, IPVSADM) == norm(b, STOCK), f"ipvsadm {' '.join(map(str, args))}"
    return a


SCRIPT = [
    ("-A", "-t", "198.18.0.101:443", "-s", "wlc", "-p", "600", "-M", "255.255.255.0"),
    ("-a", "-t", "198.18.0.101:443", "-r", "198.18.1.4", "-g", "-w", "5"),
    ("-a", "-t", "198.18.0.101:443", "-r", "198.18.1.5:4443", "-m", "-x", "100", "-y", "50"),
    ("-A", "-u", "198.18.0.101:53", "-s", "sh", "-b", "sh-port,sh-fallback", "-o"),
    ("-a", "-u", "198.18.0.101:53", "-r", "198.18.1.6", "-i", "-w", "0"),
    ("-A", "-t", "10.0.0.1:80", "-s", "mh"),
    ("-A", "-t", "200.0.0.1:80", "-s", "lc", "-p"),
    ("-a", "-t", "200.0.0.1:80", "-r", "198.18.1.9", "-m", "-w", "65535"),
    ("-e", "-t", "198.18.0.100:80", "-r", "198.18.1.2", "-m", "-w", "9"),
    ("-E", "-t", "198.18.0.101:443", "-s", "rr", "-p", "60"),
    ("-d", "-t", "198.18.0.101:443", "-r", "198.18.1.4"),
    ("-D", "-t", "10.0.0.1:80"),
    ("--set", "1800", "60", "600"),
    ("-Z",),
]

BAD = [
    ("-A", "-t", "198.18.0.110:80", "-s", "nosuch"),
    ("-D", "-t", "198.18.0.111:80"),
    ("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.7", "-m", "-w", "-1"),
    ("-A", "-t", "198.18.0.100:80", "-s", "rr"),
    ("-a", "-t", "198.18.0.111:80", "-r", "198.18.1.2", "-m"),
    ("-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2", "-m"),
    ("-d", "-t", "198.18.0.100:80", "-r", "198.18.1.99"),
    ("-e", "-t", "198.18.0.100:80", "-r", "198.18.1.99", "-m"),
    ("-Z", "-t", "198.18.0.111:80"),
    ("-Ln", "-t", "198.18.0.111:80"),
    ("-A", "-t", "198.18.0.112", "-s", "rr"),
    ("-A", "-t", "198.18.0.112:80", "-w", "1"),
    ("-L", "-c", "--stats"),
    ("--set", "1", "2"),
    ("-A", "-t", "198.18.0.112:80", "-s", "rr", "-b", "sh-port"),
    ("-n", "-L"),
    ("-A", "--bogus"),
    ("--stop-daemon", "master"),
]

VIEWS = [("-Ln",), ("-Ln", "--stats"), ("-Ln", "--rate"), ("-Ln", "--stats", "--exact"), ("-Ln", "--thresholds"),
         ("-Ln", "--persistent-conn"), ("-Ln", "--tun-info"), ("-Ln", "--nosort"), ("-S", "-n"), ("-L", "--timeout"),
         ("-L", "--daemon"), ("-Ln", "-t", "198.18.0.100:80")]


def test_the_same_output_as_stock_ipvsadm_for_the_same_state(daemon, ipvsadm):
    stock = stock_or_skip(daemon.socket)
    for view in VIEWS:
        same(ipvsadm, stock, *view)
    for step in SCRIPT:
        ipvsadm.ok(*step)
        for view in VIEWS:
            same(ipvsadm, stock, *view)
    for bad in BAD:
        same(ipvsadm, stock, *bad)


def test_a_script_run_by_stock_and_by_ours_leaves_the_same_table():
    with Daemon(FULCRUMD, CONFIG, "fulcrum-ipvsadm-a") as a, Daemon(FULCRUMD, CONFIG, "fulcrum-ipvsadm-b") as b:
        ours = Ipvsadm([IPVSADM], a.socket)
        stock = stock_or_skip(b.socket)
        for step in SCRIPT:
            ra, rb = ours(*step), stock(*step)
            assert (ra.returncode, ra.stdout, ra.stderr) == (rb.returncode, rb.stdout, rb.stderr), step
        for bad in BAD:
            ra, rb = ours(*bad), stock(*bad)
            assert (ra.returncode, ra.stderr.replace(IPVSADM, "PROG")) == \
                (rb.returncode, rb.stderr.replace(STOCK, "PROG")), bad
        for view in VIEWS:
            assert ours.ok(*view) == Ipvsadm([IPVSADM], b.socket).ok(*view), view
