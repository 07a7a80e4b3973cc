"""Pieces shared by the netns labs of the netif tests: namespaces and veth pairs named after the test's pid
(and removed even when a test fails), a fulcrumd that runs inside a namespace, dpip over its control socket,
scapy senders, and small kernel TCP/UDP peers with bounded run times.

Everything here that starts a process remembers its PID and stops only that PID.
"""
import json
import os
import subprocess
import sys
import textwrap
import time

from daemon import Daemon

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")
DPIP = os.environ.get("DPIP") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))),
                                              "tools", "dpip", "dpip")
IPVSADM = os.environ.get("IPVSADM") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))),
                                                    "tools", "ipvsadm", "ipvsadm")
PYTHON = sys.executable  # Debian's python3 (CMakeLists.txt): the one with scapy
PID = os.getpid()
NOBODY_ETHERTYPE = 0x88B5  # IEEE "local experimental": no layer handles it

# [eal] .. [netif] for a lab daemon on this 2-CPU machine: one worker, idle-sleep, fast link polling.
BASE_CONFIG = """
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
[netif]
mbufs = 16383
link_poll_ms = 100
"""


def sh(*args, check=True, timeout=20):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {r.returncode}: {r.stderr.strip()}")
    return r


def ns_run(ns, *args, check=True, timeout=20):
    return sh("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)


def ifname(tag, role):
    """A kernel interface name unique to this test process: at most 15 characters."""
    name = f"f{PID}{tag}{role}"
    assert len(name) <= 15, name
    return name


def wait_for(predicate, what, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Lab:
    """Network namespaces (and the veths inside them) of one test module. close() stops what the lab started,
    by PID, and deletes the namespaces, which takes their veths and the peers of those veths along."""

    def __init__(self, tag):
        self.tag = tag
        self.namespaces = []
        self.procs = []
        self.daemons = []

    def ns(self, role, forwarding=False):
        name = f"fl-{PID}-{self.tag}-{role}"
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        # No IPv6 (router solicitations, DAD): nothing but the test's own traffic crosses the wires.
        ns_run(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
               f"net.ipv4.ip_forward={1 if forwarding else 0}")
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def veth(self, a, ns_a, b, ns_b):
        sh("ip", "link", "add", a, "netns", ns_a, "type", "veth", "peer", "name", b, "netns", ns_b)
        for ns, dev in ((ns_a, a), (ns_b, b)):
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def kernel_peer(self, ns, dev):
        """A kernel endpoint that faces DPDK: full checksums and no TSO (lab.md), or af_packet passes on
        partial checksums that the far end drops."""
        ns_run(ns, "ethtool", "-K", dev, "tx", "off")

    def seal_dpdk_side(self, ns, *devs):
        """In the balancer's namespace the kernel has an address (on the kni) while it also sees, on the
        DPDK-owned veths, every frame af_packet sees. Keep it from answering those frames itself, so that what
        reaches the kernel came up the kni: no ARP replies on interfaces without the address (arp_ignore=1),
        and strict reverse-path filtering drops IP that arrives on a veth when the route back is the kni."""
        keys = ["net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.default.rp_filter=1",
                "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.default.arp_ignore=1"]
        for d in devs:
            keys += [f"net.ipv4.conf.{d}.rp_filter=1", f"net.ipv4.conf.{d}.arp_ignore=1"]
        ns_run(ns, "sysctl", "-qw", *keys)

    def daemon(self, ns, config_text, name="fulcrum-netif"):
        """A fulcrumd inside `ns` (not yet started): a wrapper execs `ip netns exec`, which execs fulcrumd, so
        the PID the Daemon holds (and kills) is fulcrumd's own."""
        d = Daemon(FULCRUMD, config_text, name)
        wrapper = os.path.join(d.dir, "fulcrumd-in-netns")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec ip netns exec {ns} {os.path.abspath(FULCRUMD)} "$@"\n')
        os.chmod(wrapper, 0o755)
        d.fulcrumd = wrapper
        self.daemons.append(d)
        return d

    def spawn(self, ns, script, *args):
        """A Python script in `ns` in the background (`ip netns exec` execs it: the PID is the script's)."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, "-c", script, *map(str, args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.communicate(timeout=10)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass  # already read to the end by finish(), or stuck: it was killed above either way
        for d in self.daemons:
            d.kill()
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.namespaces.clear()


class Dpip:
    def __init__(self, socket):
        self.env = dict(os.environ, FULCRUM_CTRL_SOCKET=socket)

    def __call__(self, *args, check=True):
        r = subprocess.run([DPIP, *map(str, args)], capture_output=True, text=True, env=self.env, timeout=20)
        if check:
            assert r.returncode == 0, f"dpip {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}"
        return r

    def links(self):
        return {l["ifname"]: l for l in json.loads(self("-s", "-s", "-j", "link", "show").stdout)}

    def link(self, dev):
        return json.loads(self("-s", "-s", "-j", "link", "show", dev).stdout)[0]

    def stats(self, dev):
        return self.link(dev)["stats64"]


def delta(after, before):
    """Differences of two stats64 records, as a flat dict: rx_packets, tx_packets, drop_<reason>, ..."""
    out = {}
    for side in ("rx", "tx"):
        for k in ("packets", "bytes"):
            out[f"{side}_{k}"] = after[side][k] - before[side][k]
    for k, v in after["drops"].items():
        out[f"drop_{k}"] = v - before["drops"][k]
    return out


def scapy_send(ns, iface, frame, count, imports="Ether, Raw", check=True):
    """Sends `count` copies of `frame` (a scapy expression) from `iface` in `ns`, in one scapy run."""
    script = (f"from scapy.all import sendp, {imports}\n"
              f"f = {frame}\n"
              f"sendp([f] * {count}, iface='{iface}', verbose=False)\n")
    r = subprocess.run(["ip", "netns", "exec", ns, PYTHON, "-c", script], capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r


def send_frames(ns, iface, dst, src, count, ethertype=NOBODY_ETHERTYPE, check=True):
    return scapy_send(ns, iface, f"Ether(dst='{dst}', src='{src}', type={ethertype}) / Raw(b'p' * 46)", count,
                      check=check)


def send_tagged(ns, iface, dst, src, vid, count, ethertype=NOBODY_ETHERTYPE):
    return scapy_send(ns, iface,
                      f"Ether(dst='{dst}', src='{src}') / Dot1Q(vlan={vid}, type={ethertype}) / Raw(b'q' * 46)",
                      count, imports="Ether, Dot1Q, Raw")


# A TCP echo server for the kernel side: every connection gets back what it sends, until the peer closes.
# Exits on its own after `lifetime` seconds. argv: address port lifetime
ECHO_SERVER = textwrap.dedent("""
    import socket, sys, threading, time
    addr, port, lifetime = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    print("listening", flush=True)
    s.settimeout(0.5)
    def serve(c):
        c.settimeout(30)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()
""")

# A TCP client: `connections` connections, each sends `size` bytes in chunks and reads them back, checking
# every byte. Prints one JSON line. argv: address port size connections timeout
ECHO_CLIENT = textwrap.dedent("""
    import json, os, socket, sys, time
    addr, port, size, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    timeout = float(sys.argv[5])
    done, error, t0 = 0, None, time.monotonic()
    try:
        for i in range(conns):
            data = os.urandom(size)
            with socket.create_connection((addr, port), timeout=timeout) as c:
                got = b""
                for off in range(0, size, 16384):
                    c.sendall(data[off:off + 16384])
                    want = min(size, off + 16384)
                    while len(got) < want:
                        d = c.recv(65536)
                        if not d:
                            raise RuntimeError("connection closed early")
                        got += d
                if got != data:
                    raise RuntimeError("echo differs")
            done += 1
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    print(json.dumps({"done": done, "error": error, "seconds": time.monotonic() - t0}))
""")

# One long TCP connection that exchanges a small message every `interval` seconds for `duration` seconds,
# riding out a gap of up to `stall` seconds (TCP retransmits across it). Prints one JSON line with the
# monotonic time of every answered exchange. argv: address port duration interval stall
PINGER = textwrap.dedent("""
    import json, socket, sys, time
    addr, port = sys.argv[1], int(sys.argv[2])
    duration, interval, stall = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    answered, error = [], None
    try:
        c = socket.create_connection((addr, port), timeout=5)
        c.settimeout(stall)
        print("connected", flush=True)
        end = time.monotonic() + duration
        n = 0
        while time.monotonic() < end:
            msg = b"%08d" % n
            c.sendall(msg)
            got = b""
            while len(got) < len(msg):
                d = c.recv(64)
                if not d:
                    raise RuntimeError("connection closed")
                got += d
            if got != msg:
                raise RuntimeError(f"echo {got!r} for {msg!r}")
            answered.append(time.monotonic())
            n += 1
            time.sleep(interval)
        c.close()
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    print(json.dumps({"answered": answered, "error": error}))
""")

# Counts UDP datagrams to address:port until `quiet` seconds pass without one (or `lifetime` ends).
# argv: address port lifetime quiet
UDP_COUNTER = textwrap.dedent("""
    import json, socket, sys, time
    addr, port, lifetime, quiet = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    s.settimeout(0.2)
    n, last, end = 0, None, time.monotonic() + lifetime
    while time.monotonic() < end and (last is None or time.monotonic() - last < quiet):
        try:
            s.recv(2048)
        except socket.timeout:
            continue
        n += 1
        last = time.monotonic()
    print(json.dumps({"received": n}))
""")


def wait_listening(proc, timeout=10.0):
    """Waits for a spawned server's "listening" line."""
    import select
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {proc.stderr.read()}")
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if line.strip() in ("listening", "connected"):
                return
    raise RuntimeError("server did not start listening")


def tcp_echo(ns, addr, port, size=65536, connections=1, timeout=5.0, check=True):
    """Runs ECHO_CLIENT in `ns`; returns its JSON result. With check, every connection must have passed."""
    r = subprocess.run(["ip", "netns", "exec", ns, PYTHON, "-c", ECHO_CLIENT, addr, str(port), str(size),
                        str(connections), str(timeout)],
                       capture_output=True, text=True, timeout=timeout * (connections + 2) + 30)
    result = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"done": 0, "error": r.stderr}
    if check:
        assert result["done"] == connections and result["error"] is None, \
            f"TCP echo from {ns} to {addr}:{port}: {result}"
    return result


def finish(proc, timeout):
    """Waits for a spawned script and returns its last stdout line as JSON."""
    out, err = proc.communicate(timeout=timeout)
    lines = out.strip().splitlines()
    if not lines:
        raise RuntimeError(f"no result (rc {proc.returncode}): {err}")
    return json.loads(lines[-1])
