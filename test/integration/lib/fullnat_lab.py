"""The FullNAT lab: a client, the balancer (fulcrumd on two af_packet ports) and real servers behind a Linux
bridge, each in its own network namespace. test_ipvs_fullnat.py runs on it; the demo and later labs can too.

    [cli ns] c: 198.18.0.2/24 2001:db8::2/64 (+ extra client addresses 198.18.0.50.. 2001:db8::50..)
       |
      b0 = dpdk0   [bal ns: fulcrumd; VIPs 198.18.0.100 2001:db8::100 on dpdk0; 198.18.1.1/24 2001:db8:1::1/64
      b1 = dpdk1    and the FullNAT local addresses 198.18.1.10 2001:db8:1::10 (fnat-local) on dpdk1]
       |
      s0   [sw ns: bridge br0 with s0, s1, s2, s3]
       |
     s1..s3 <-> r  [rs1..rs3 ns: 198.18.1.11-13/24 2001:db8:1::11-13/64, rs_server.py on TCP 8080, UDP 5353]

The real servers need nothing for FullNAT: the balancer's local addresses are on their own /24 and /64.

The lab stays up across daemons: start_daemon(config) replaces the running fulcrumd with one on a new config
(the namespaces, the real servers and the neighbour caches stay). With balancer=False no fulcrumd runs: the
balancer's namespace holds kernel addresses on b1 instead (198.18.1.1, 2001:db8:1::1), a stand-in from which
scapy can speak for the local addresses (the real servers hold permanent neighbour entries for them), to check
the real servers and the TOA parsing without the dataplane.

Everything started here is stopped by its PID; close() deletes the namespaces (taking their veths along).
"""
import json
import os
import subprocess
import textwrap
import time

from netns_lab import FULCRUMD, IPVSADM, PYTHON, Lab, ifname, ns_run, sh, wait_for  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
RS_SERVER = os.path.join(HERE, "rs_server.py")

PORT0_MAC, PORT1_MAC = "02:00:c6:12:10:01", "02:00:c6:12:11:01"
CLIENT_MAC = "02:00:c6:12:10:02"
BAL0, BAL0_6 = "198.18.0.1", "2001:db8::1"
BAL1, BAL1_6 = "198.18.1.1", "2001:db8:1::1"
CLIENT, CLIENT6 = "198.18.0.2", "2001:db8::2"
VIP, VIP6 = "198.18.0.100", "2001:db8::100"
LADDR, LADDR6 = "198.18.1.10", "2001:db8:1::10"
RS_NAMES = ["rs1", "rs2", "rs3"]
RS4 = {"rs1": "198.18.1.11", "rs2": "198.18.1.12", "rs3": "198.18.1.13"}
RS6 = {"rs1": "2001:db8:1::11", "rs2": "2001:db8:1::12", "rs3": "2001:db8:1::13"}
RS_MAC = {"rs1": "02:00:c6:12:11:11", "rs2": "02:00:c6:12:11:12", "rs3": "02:00:c6:12:11:13"}
RS_PORT, RS_UDP_PORT = 8080, 5353
EXTRA_CLIENTS = 16
# With checker=True: a namespace on the real servers' switch with a kernel address, from which a health
# checker (keepalived) reaches the real servers, as an LVS director's own stack would.
CHECKER = "198.18.1.5"
CLIENTS4 = [f"198.18.0.{50 + i}" for i in range(EXTRA_CLIENTS)]
CLIENTS6 = [f"2001:db8::{50 + i}" for i in range(EXTRA_CLIENTS)]

# [lcores] lines by worker count. Two workers on this two-CPU machine: lcore 2 shares CPU 1 with lcore 1
# (doc/configuration.md).
WORKERS = {1: "workers = [1]", 2: 'workers = [1, 2]\ncpu_map = { "2" = 1 }'}

CONFIG = """
[eal]
memory = "no-huge"
memory_mb = @MEMORY@
file_prefix = "@PREFIX@"
[lcores]
master = 0
@WORKERS@
[polling]
mode = "idle-sleep"
idle_sleep_us = 100
[log]
level = "@LOGLEVEL@"
[ctrl]
socket = "@SOCKET@"
[netif]
mbufs = 16383
link_poll_ms = 100
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface=@B0@,qdisc_bypass=1,qpairs=@QPAIRS@"
mac = "02:00:c6:12:10:01"
[[port]]
name = "dpdk1"
vdev = "net_af_packet1,iface=@B1@,qdisc_bypass=1,qpairs=@QPAIRS@"
mac = "02:00:c6:12:11:01"
[inet]
addresses = [@ADDRESSES@]
neigh_retrans_ms = 300
"""


# ---- config ----

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def service(vip, port, scheduler="rr", servers=None, proto="tcp", laddrs=None, toa=None, flags=None,
            rs_port=None, weights=None):
    """A [[service]] as a dict. servers: names from RS_NAMES (default all), of the VIP's family; weights: one
    per server (default 1); laddrs: the local-address group (default the one local address of the family)."""
    six = ":" in vip
    servers = RS_NAMES if servers is None else servers
    weights = [1] * len(servers) if weights is None else weights
    if rs_port is None:
        rs_port = RS_UDP_PORT if proto == "udp" else RS_PORT
    s = {"proto": proto, "vip": vip, "port": port, "scheduler": scheduler,
         "local_addresses": laddrs if laddrs is not None else [LADDR6 if six else LADDR]}
    if toa is not None:
        s["toa"] = toa
    if flags:
        s["flags"] = flags
    s["real_server"] = [{"addr": (RS6 if six else RS4)[n], "port": rs_port, "weight": w}
                        for n, w in zip(servers, weights)]
    return s


def services_toml(services):
    out = []
    for s in services:
        out.append("[[service]]")
        out += [f"{k} = {toml_value(v)}" for k, v in s.items() if k != "real_server"]
        for rs in s.get("real_server", []):
            out.append("[[service.real_server]]")
            out += [f"{k} = {toml_value(v)}" for k, v in rs.items()]
    return "\n".join(out) + "\n"


def fullnat_config(b0, b1, services, ipvs=None, workers=1, memory_mb=512, log_level="info", vips=(), laddrs=(),
                   extra=""):
    """The daemon's TOML: the two ports, the balancer's own addresses, every VIP (vip flag on dpdk0) and local
    address (fnat-local on dpdk1) the services use, the [ipvs] settings and the services. `vips` and `laddrs`
    add VIP and local addresses that no configured service names (those of a [[vip_binding]], for services that
    keepalived creates later); `extra` is TOML appended at the end (such as the [[vip_binding]] tables)."""
    qpairs = workers + 1  # an RX queue per worker (one idle), and a TX queue for every worker and the master
    addrs = ["198.18.0.1/24 dev dpdk0", "2001:db8::1/64 dev dpdk0", "198.18.1.1/24 dev dpdk1",
             "2001:db8:1::1/64 dev dpdk1"]
    seen = set()
    for a in vips:
        seen.add(a)
        addrs.append(f"{a} dev dpdk0 vip")
    for a in laddrs:
        seen.add(a)
        addrs.append(f"{a} dev dpdk1 fnat-local")
    for s in services:
        if s["vip"] not in seen:
            seen.add(s["vip"])
            addrs.append(f"{s['vip']} dev dpdk0 vip")
        for la in s.get("local_addresses", []):
            if la not in seen:
                seen.add(la)
                addrs.append(f"{la} dev dpdk1 fnat-local")
    text = (CONFIG.replace("@WORKERS@", WORKERS[workers]).replace("@QPAIRS@", str(qpairs)).replace("@B0@", b0)
            .replace("@B1@", b1).replace("@MEMORY@", str(memory_mb)).replace("@LOGLEVEL@", log_level)
            .replace("@ADDRESSES@", ", ".join(json.dumps(a) for a in addrs)))
    if ipvs:
        text += "[ipvs]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in ipvs.items())
    return text + services_toml(services) + extra


# ---- scripts run inside the namespaces ----

# HTTP requests with http.client, one connection each ("Connection: close"), from the given source addresses
# in turn, `threads` at a time. Prints one JSON line: every answer's report (rs_server's JSON) with the
# client's own address and port added, or an error. After `max_errors` errors the rest are not tried (a broken
# path fails in seconds, not in count x timeout). With rst each connection ends with an RST (SO_LINGER 0).
# argv: one JSON object (see requests()).
HTTP_CLIENT = textwrap.dedent("""
    import concurrent.futures, http.client, json, socket, struct, sys, threading, time
    a = json.loads(sys.argv[1])
    errors, lock = [0], threading.Lock()
    def one(i):
        with lock:
            if errors[0] >= a["max_errors"]:
                return {"error": "not tried after earlier errors"}
        src = a["sources"][i % len(a["sources"])] if a["sources"] else None
        c = http.client.HTTPConnection(a["host"], a["port"], timeout=a["timeout"],
                                       source_address=(src, 0) if src else None)
        try:
            c.connect()
            me = list(c.sock.getsockname()[:2])
            if a["rst"]:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.request("GET", a["path"], headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            rep = json.loads(body)
            rep["client"] = me
            return rep
        except Exception as e:
            with lock:
                errors[0] += 1
            return {"error": f"{type(e).__name__}: {e}", "source": src}
        finally:
            c.close()
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a["threads"]) as ex:
        results = list(ex.map(one, range(a["count"])))
    print(json.dumps({"results": results, "seconds": time.monotonic() - t0}))
""")

# Opens `count` connections, one GET / on each, and holds them until stdin closes (or `hold` seconds pass);
# prints a JSON line after opening ({"reports": [...], "errors": [...]}) and "closed" at the end. With
# close_request the GET says "Connection: close": the server answers and closes its side, and this side stays
# open (half-closed). With rst the connections end with an RST (SO_LINGER 0) instead of a FIN.
# argv: one JSON object.
HTTP_HOLDER = textwrap.dedent("""
    import json, select, socket, struct, sys
    a = json.loads(sys.argv[1])
    conns, reports, errors = [], [], []
    def get(sock):
        extra = "Connection: close\\r\\n" if a["close_request"] else ""
        sock.sendall(f"GET / HTTP/1.1\\r\\nHost: {a['host']}\\r\\n{extra}\\r\\n".encode())
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            d = sock.recv(4096)
            if not d:
                raise RuntimeError(f"closed before the headers: {data!r}")
            data += d
        head, body = data.split(b"\\r\\n\\r\\n", 1)
        length = int([l.split(b":")[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length:")][0])
        while len(body) < length:
            d = sock.recv(4096)
            if not d:
                raise RuntimeError("closed in the body")
            body += d
        if a["close_request"] and sock.recv(1) != b"":  # the server's FIN
            raise RuntimeError("the server did not close")
        return json.loads(body)
    for i in range(a["count"]):
        src = a["sources"][i % len(a["sources"])] if a["sources"] else None
        try:
            sock = socket.create_connection((a["host"], a["port"]), timeout=a["timeout"],
                                            source_address=(src, 0) if src else None)
        except OSError as e:
            errors.append(f"{type(e).__name__}: {e}")
            continue
        try:
            rep = get(sock)
            rep["client"] = list(sock.getsockname()[:2])
            reports.append(rep)
            conns.append(sock)
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
            sock.close()
    print(json.dumps({"reports": reports, "errors": errors}), flush=True)
    select.select([sys.stdin], [], [], a["hold"])
    for sock in conns:
        if a["rst"]:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    print("closed", flush=True)
""")

# Connects and reports how the attempt ended: "connected", "refused" (an ICMP port unreachable or an RST),
# "timeout", or another error, with the seconds it took. argv: family host port timeout
CONNECT_PROBE = textwrap.dedent("""
    import json, socket, sys, time
    fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(float(sys.argv[4]))
    t0 = time.monotonic()
    try:
        s.connect((sys.argv[2], int(sys.argv[3])))
        out = "connected"
    except ConnectionRefusedError:
        out = "refused"
    except socket.timeout:
        out = "timeout"
    except OSError as e:
        out = f"{type(e).__name__}: {e}"
    print(json.dumps({"result": out, "seconds": time.monotonic() - t0}))
""")

# UDP: `count` datagrams to host:port from one connected socket (one source port) or, with new_socket, each
# from a new one (a new source port: sport + i when sport is given, else the kernel's random pick); waits for
# each answer. A connected socket learns of an ICMP port unreachable (ConnectionRefusedError).
# argv: one JSON object. Prints {"answers": [...]}.
UDP_CLIENT = textwrap.dedent("""
    import json, socket, sys
    a = json.loads(sys.argv[1])
    fam = socket.AF_INET6 if ":" in a["host"] else socket.AF_INET
    answers, s = [], None
    for i in range(a["count"]):
        if s is None or a["new_socket"]:
            if s:
                s.close()
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(a["timeout"])
            if a.get("source") or a.get("sport"):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((a.get("source") or "", (a["sport"] + i) if a.get("sport") else 0))
            s.connect((a["host"], a["port"]))
        msg = f"ping {i} {a['tag']}".encode()
        try:
            s.send(msg)
            data, peer = s.recvfrom(65535)
            name, _, rest = data.partition(b" ")
            answers.append({"server": name.decode(), "echo_ok": rest == msg, "from": list(peer[:2]),
                            "client": list(s.getsockname()[:2])})
        except OSError as e:
            answers.append({"error": f"{type(e).__name__}: {e}", "client": list(s.getsockname()[:2])})
    print(json.dumps({"answers": answers}))
""")

# A sniffer: what crosses `iface` and matches a BPF filter, one record per IP packet (TCP options parsed with
# rs_server's parser; ICMP and ICMPv6 destination-unreachable errors with the packet they quote). Prints
# "listening" once it captures, then, when stdin closes or `timeout` passes, one JSON list.
# argv: iface timeout filter
SNIFFER = textwrap.dedent("""
    import json, select, sys
    sys.path.insert(0, %r)
    from rs_server import tcp_options, toa_from_options
    from scapy.all import (AsyncSniffer, ICMP, ICMPv6DestUnreach, IP, IPerror, IPerror6, IPv6, TCP, TCPerror,
                           UDP, UDPerror)
    iface, timeout, bpf = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    def inner_dport(p):
        return p[TCPerror].dport if TCPerror in p else (p[UDPerror].dport if UDPerror in p else None)
    sn = AsyncSniffer(iface=iface, filter=bpf, store=True,
                      started_callback=lambda: print("listening", flush=True))
    sn.start()
    select.select([sys.stdin], [], [], timeout)
    out = []
    for p in sn.stop() or []:
        if IP in p:
            ip, rec = p[IP], {"family": 4, "iplen": p[IP].len}
        elif IPv6 in p:
            ip, rec = p[IPv6], {"family": 6, "iplen": p[IPv6].plen + 40}
        else:
            continue
        rec.update(src=ip.src, dst=ip.dst, time=float(p.time))
        if ICMP in p and p[ICMP].type == 3 and IPerror in p:
            e = p[IPerror]
            rec.update(proto="icmp", type=3, code=p[ICMP].code, inner_dst=e.dst, inner_proto=e.proto,
                       inner_dport=inner_dport(p))
        elif ICMPv6DestUnreach in p and IPerror6 in p:
            e = p[IPerror6]
            rec.update(proto="icmp6", type=1, code=p[ICMPv6DestUnreach].code, inner_dst=e.dst, inner_proto=e.nh,
                       inner_dport=inner_dport(p))
        elif TCP in p:
            raw = bytes(p[TCP])
            doff = (raw[12] >> 4) * 4
            opts = tcp_options(raw[20:doff])
            rec.update(proto="tcp", sport=p[TCP].sport, dport=p[TCP].dport, flags=str(p[TCP].flags),
                       seq=p[TCP].seq, ack=p[TCP].ack, payload=len(raw) - doff,
                       options=[k for k, _ in opts], toa=toa_from_options(opts))
        elif UDP in p:
            rec.update(proto="udp", sport=p[UDP].sport, dport=p[UDP].dport)
        else:
            rec.update(proto=ip.proto if IP in p else ip.nh)
        out.append(rec)
    print(json.dumps(out))
""") % HERE

# The balancer's part by hand, for the lab without a balancer: from the stand-in's b1, scapy speaks for a
# local address (src) to a real server: a SYN and the handshake's ACK carrying a TOA option (client address
# and port, the layout of doc/toa.md), then "GET /" and the answer, ACKing what comes back; an RST ends it.
# argv: iface src_mac dst_mac src dst dport toa_addr toa_port. Prints {"synack": bool, "response": text}.
STANDIN_TOA_GET = textwrap.dedent("""
    import json, random, socket, struct, sys, time
    from scapy.all import AsyncSniffer, Ether, IP, IPv6, TCP, conf, sendp, srp1
    conf.verb = 0
    iface, smac, dmac, src, dst, dport, taddr, tport = sys.argv[1:9]
    dport, tport = int(dport), int(tport)
    six = ":" in src
    l3 = (lambda: IPv6(src=src, dst=dst)) if six else (lambda: IP(src=src, dst=dst))
    fam = socket.AF_INET6 if ":" in taddr else socket.AF_INET
    packed = socket.inet_pton(fam, taddr)
    toa = (254, struct.pack("!H", tport) + packed)  # scapy writes kind, len = 2 + len(payload), payload
    sport, seq = random.randint(20000, 60000), random.randint(0, 2**31)
    eth = Ether(src=smac, dst=dmac)
    syn = eth / l3() / TCP(sport=sport, dport=dport, flags="S", seq=seq, options=[("MSS", 1400), toa])
    sa = srp1(syn, iface=iface, timeout=3)  # scapy matches the SYN-ACK to the SYN
    if sa is None or (sa[TCP].flags & 0x12) != 0x12:
        print(json.dumps({"synack": False, "response": ""}))
        sys.exit(0)
    rseq = sa[TCP].seq + 1
    seq += 1
    got = {}
    fin = []
    def on(p):
        t = p[TCP]
        data = bytes(t.payload)
        if data:
            got[t.seq] = data
        if t.flags & 0x01:
            fin.append(t.seq + len(data))
    sn = AsyncSniffer(iface=iface, store=False, prn=on,
                      lfilter=lambda p: TCP in p and p[TCP].sport == dport and p[TCP].dport == sport)
    sn.start()
    time.sleep(0.5)
    sendp(eth / l3() / TCP(sport=sport, dport=dport, flags="A", seq=seq, ack=rseq, options=[toa]), iface=iface)
    req = f"GET / HTTP/1.1\\r\\nHost: {dst}\\r\\nConnection: close\\r\\n\\r\\n".encode()
    sendp(eth / l3() / TCP(sport=sport, dport=dport, flags="PA", seq=seq, ack=rseq) / req, iface=iface)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not fin:
        time.sleep(0.05)
    sn.stop()
    body = b"".join(got[k] for k in sorted(got))
    end = fin[0] + 1 if fin else rseq + len(body)
    sendp(eth / l3() / TCP(sport=sport, dport=dport, flags="R", seq=seq + len(req), ack=end), iface=iface)
    print(json.dumps({"synack": True, "response": body.decode(errors="replace")}))
""")


class FullNatLab:
    """The namespaces, the real servers and (with balancer=True) a fulcrumd; close() undoes everything."""

    def __init__(self, tag, balancer=True, rs_lifetime=3600, checker=False):
        self.tag = tag
        self.balancer = balancer
        self.checker = checker
        self.chk = None
        self.lab = Lab(tag)
        self.daemon = None
        self.config_key = None
        self.rs_procs = {}
        try:
            self._build()
            self.start_real_servers(rs_lifetime)
        except BaseException:
            self.lab.close()
            raise

    # ---- building ----
    def _enable_ipv6(self, ns):
        ns_run(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
               "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")

    def _addr(self, ns, dev, *addrs):
        for a in addrs:
            sh("ip", "-n", ns, "addr", "add", a, "dev", dev, *(["nodad"] if ":" in a else []))

    def _build(self):
        lab, tag = self.lab, self.tag
        self.bal, self.cli, self.sw = lab.ns("bal"), lab.ns("cli"), lab.ns("sw")
        self.rs_ns = {n: lab.ns(n) for n in RS_NAMES}
        self.b0, self.c = ifname(tag, "b0"), ifname(tag, "c")
        self.b1, self.s0 = ifname(tag, "b1"), ifname(tag, "s0")
        self.rs_if = "r"  # inside each real server's own namespace

        # client <-> dpdk0
        self._enable_ipv6(self.cli)
        lab.veth(self.b0, self.bal, self.c, self.cli)
        lab.kernel_peer(self.cli, self.c)
        sh("ip", "-n", self.cli, "link", "set", self.c, "address", CLIENT_MAC)
        self._addr(self.cli, self.c, f"{CLIENT}/24", f"{CLIENT6}/64", *[f"{a}/24" for a in CLIENTS4])
        for a in CLIENTS6:  # deprecated, so that the kernel picks CLIENT6 unless a client binds one of them
            sh("ip", "-n", self.cli, "addr", "add", f"{a}/64", "dev", self.c, "nodad", "preferred_lft", "0")
        sh("ip", "-n", self.cli, "route", "add", "198.18.0.0/15", "via", BAL0)
        sh("ip", "-n", self.cli, "-6", "route", "add", "2001:db8::/32", "via", BAL0_6)

        # dpdk1 <-> the switch's bridge <-> real servers
        lab.veth(self.b1, self.bal, self.s0, self.sw)
        sh("ip", "-n", self.bal, "link", "set", self.b0, "address", PORT0_MAC)
        sh("ip", "-n", self.bal, "link", "set", self.b1, "address", PORT1_MAC)
        # No multicast snooping: the dataplane sends no MLD reports, and ND must reach it all the same.
        sh("ip", "-n", self.sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0")
        sh("ip", "-n", self.sw, "link", "set", self.s0, "master", "br0")
        lab.kernel_peer(self.sw, self.s0)
        for i, n in enumerate(RS_NAMES, 1):
            ns, sw_if = self.rs_ns[n], ifname(tag, f"s{i}")
            self._enable_ipv6(ns)
            lab.veth(sw_if, self.sw, self.rs_if, ns)
            sh("ip", "-n", self.sw, "link", "set", sw_if, "master", "br0")
            lab.kernel_peer(self.sw, sw_if)
            lab.kernel_peer(ns, self.rs_if)
            sh("ip", "-n", ns, "link", "set", self.rs_if, "address", RS_MAC[n])
            self._addr(ns, self.rs_if, f"{RS4[n]}/24", f"{RS6[n]}/64")
        if self.checker:
            self.chk = lab.ns("chk")
            sw_if = ifname(tag, "s9")
            lab.veth(sw_if, self.sw, "k", self.chk)
            sh("ip", "-n", self.sw, "link", "set", sw_if, "master", "br0")
            self._addr(self.chk, "k", f"{CHECKER}/24")
        sh("ip", "-n", self.sw, "link", "set", "br0", "up")

        if not self.balancer:
            # The stand-in: kernel addresses where the dataplane's would be, and the real servers reach the
            # local addresses (which nobody holds) at its MAC, so that scapy there can speak for them.
            self._enable_ipv6(self.bal)
            self._addr(self.bal, self.b1, f"{BAL1}/24", f"{BAL1_6}/64")
            for n in RS_NAMES:
                for la in (LADDR, LADDR6):
                    sh("ip", "-n", self.rs_ns[n], "neigh", "replace", la, "lladdr", PORT1_MAC, "dev", self.rs_if,
                       "nud", "permanent")

    def start_real_servers(self, lifetime):
        for n in RS_NAMES:
            p = subprocess.Popen(["ip", "netns", "exec", self.rs_ns[n], PYTHON, RS_SERVER, "--name", n,
                                  "--port", str(RS_PORT), "--udp-port", str(RS_UDP_PORT),
                                  "--lifetime", str(lifetime)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.lab.procs.append(p)
            self.rs_procs[n] = p
        from netns_lab import wait_listening
        for p in self.rs_procs.values():
            wait_listening(p, timeout=15)

    def kill_real_server(self, name):
        """Stops one real server's rs_server.py (its PID: `ip netns exec` execs it)."""
        p = self.rs_procs.pop(name)
        p.kill()
        p.wait(timeout=10)

    def start_real_server(self, name, lifetime=3600):
        """Starts one real server's rs_server.py again (after kill_real_server)."""
        from netns_lab import wait_listening
        p = subprocess.Popen(["ip", "netns", "exec", self.rs_ns[name], PYTHON, RS_SERVER, "--name", name,
                              "--port", str(RS_PORT), "--udp-port", str(RS_UDP_PORT), "--lifetime", str(lifetime)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lab.procs.append(p)
        self.rs_procs[name] = p
        wait_listening(p, timeout=15)

    # ---- the daemon ----
    def config(self, services, **kw):
        return fullnat_config(self.b0, self.b1, services, **kw)

    def start_daemon(self, text, key=None):
        """Stops the running fulcrumd (if any) and starts one on `text`. Returns the Daemon."""
        assert self.balancer, "a lab without a balancer has no daemon"
        self.stop_daemon()
        d = self.lab.daemon(self.bal, text, f"fulcrum-fnat-{self.tag}")
        d.start()
        self.daemon, self.config_key = d, key
        self.env = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)
        wait_for(lambda: all(l["operstate"] == "UP" for l in self.dpip_json("link", "show")), "both ports up")
        return d

    def use(self, key, make_text):
        """Runs the daemon of config `key` (made by make_text() when it is not already the one running)."""
        if self.daemon is None or self.config_key != key or not self.alive():
            self.start_daemon(make_text(), key)
        return self.daemon

    def stop_daemon(self):
        if self.daemon is not None:
            try:
                self.daemon.stop(timeout=15)
            except Exception:
                self.daemon.kill()
            self.daemon, self.config_key = None, None

    def alive(self):
        return self.daemon is not None and self.daemon.proc.poll() is None

    def log_tail(self, lines=40):
        if self.daemon is None:
            return ""
        return "\n".join(self.daemon.output().splitlines()[-lines:])

    def close(self):
        # Our scripts first, by PID, so that Lab.close() finds nothing half read.
        for p in self.lab.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for f in (p.stdin, p.stdout, p.stderr):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        self.lab.procs.clear()
        try:
            self.stop_daemon()
        finally:
            self.lab.close()

    # ---- tools ----
    def dpip(self, *args, check=True):
        from netns_lab import DPIP
        r = subprocess.run([DPIP, *map(str, args)], capture_output=True, text=True, env=self.env, timeout=30)
        if check:
            assert r.returncode == 0, f"dpip {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}"
        return r

    def dpip_json(self, *args):
        return json.loads(self.dpip("-j", *args).stdout)

    def ipvsadm(self, *args, check=True):
        r = subprocess.run([IPVSADM, *map(str, args)], capture_output=True, text=True, env=self.env, timeout=30)
        if check:
            assert r.returncode == 0, f"ipvsadm {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}"
        return r

    # ---- traffic ----
    def run_script(self, ns, script, *args, timeout=60):
        r = subprocess.run(["ip", "netns", "exec", ns, PYTHON, "-c", script, *map(str, args)],
                           capture_output=True, text=True, timeout=timeout)
        lines = r.stdout.strip().splitlines()
        if r.returncode != 0 or not lines:
            raise RuntimeError(f"script in {ns} exited {r.returncode}: {r.stderr[-2000:]}")
        return json.loads(lines[-1])

    def spawn(self, ns, script, *args):
        """A script in `ns` in the background, with a pipe to its stdin (closing it tells it to finish)."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, "-c", script, *map(str, args)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lab.procs.append(p)
        return p

    def requests(self, host, port, count, sources=None, threads=1, timeout=5.0, path="/", ns=None, max_errors=3,
                 rst=False):
        """`count` HTTP GETs from the client (or `ns`), each on its own connection; returns the reports."""
        a = {"host": host, "port": port, "count": count, "sources": sources or [], "threads": threads,
             "timeout": timeout, "path": path, "max_errors": max_errors, "rst": rst}
        budget = 3 * timeout * (max_errors + threads + 2) + count * 0.5 + 30
        return self.run_script(ns or self.cli, HTTP_CLIENT, json.dumps(a), timeout=budget)["results"]

    def hold(self, host, port, count, sources=None, hold=60.0, timeout=5.0, close_request=False, rst=False):
        """Starts HTTP_HOLDER; returns (process, its first JSON line). release(p) ends the connections."""
        a = {"host": host, "port": port, "count": count, "sources": sources or [], "hold": hold,
             "timeout": timeout, "close_request": close_request, "rst": rst}
        p = self.spawn(self.cli, HTTP_HOLDER, json.dumps(a))
        line = read_line(p, timeout * count + 20)
        return p, json.loads(line)

    def release(self, p, timeout=20):
        """Closes a holder's connections; true when it said it closed them."""
        out, _ = p.communicate(input="", timeout=timeout)
        return "closed" in out

    def connect_probe(self, host, port, timeout=3.0):
        fam = "6" if ":" in host else "4"
        return self.run_script(self.cli, CONNECT_PROBE, fam, host, port, timeout, timeout=timeout + 30)

    def udp(self, host, port, count=10, new_socket=False, source=None, timeout=2.0, tag="", ns=None, sport=None):
        a = {"host": host, "port": port, "count": count, "new_socket": new_socket, "source": source,
             "timeout": timeout, "tag": tag, "sport": sport}
        return self.run_script(ns or self.cli, UDP_CLIENT, json.dumps(a), timeout=count * timeout + 30)["answers"]

    def curl(self, url, *extra, timeout=10):
        return ns_run(self.cli, "curl", "-sS", "-g", "--max-time", timeout, *extra, url, check=False,
                      timeout=timeout + 20)

    def sniff(self, ns, iface, bpf, timeout=60):
        """Starts SNIFFER on `iface` in `ns`; stop_sniffer() returns its records."""
        p = self.spawn(ns, SNIFFER, iface, timeout, bpf)
        read_line(p, 30, expect="listening")
        return p

    def sniff_rs(self, name, timeout=60):
        """What a real server's interface carries to and from its TCP and UDP ports."""
        return self.sniff(self.rs_ns[name], self.rs_if, f"tcp port {RS_PORT} or udp port {RS_UDP_PORT}", timeout)

    def sniff_client(self, bpf, timeout=60):
        return self.sniff(self.cli, self.c, bpf, timeout)

    @staticmethod
    def stop_sniffer(p, timeout=60):
        time.sleep(0.3)  # the last packets on their way
        out, err = p.communicate(input="", timeout=timeout)
        lines = out.strip().splitlines()
        if not lines:
            raise RuntimeError(f"sniffer gave nothing (rc {p.returncode}): {err[-2000:]}")
        return json.loads(lines[-1])


def read_line(p, timeout, expect=None):
    """The next stdout line of a spawned script (skipping others until `expect`, when given)."""
    import select
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.1)
        if ready:
            line = p.stdout.readline()
            if not line:
                break
            if expect is None or line.strip() == expect:
                return line.strip()
        elif p.poll() is not None:
            break
    err = p.stderr.read() if p.poll() is not None else ""
    raise RuntimeError(f"no line{' ' + expect if expect else ''} from script (rc {p.poll()}): {err[-2000:]}")


# ---- ipvsadm's output ----

def split_addr(text):
    """"198.18.0.100:80" or "[2001:db8::100]:80" -> (address, port)."""
    if text.startswith("["):
        a, _, p = text[1:].partition("]:")
        return a, int(p)
    a, _, p = text.rpartition(":")
    return a, int(p)


def parse_stats(text):
    """`ipvsadm -Ln --stats --exact` -> {(proto, vip, port): {"conns", "inpkts", ..., "dests": {(addr, port):
    {...}}}}. The columns are read from the header line."""
    out, cols, cur = {}, None, None
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "Prot":
            cols = [c.lower() for c in f[2:]]
            continue
        if cols is None or f[0] in ("IP", "->") and (len(f) < 2 or f[1] == "RemoteAddress:Port"):
            continue
        if f[0] in ("TCP", "UDP", "SCTP"):
            a, p = split_addr(f[1])
            cur = {c: int(v) for c, v in zip(cols, f[2:])}
            cur["dests"] = {}
            out[(f[0], a, p)] = cur
        elif f[0] == "->" and cur is not None:
            a, p = split_addr(f[1])
            cur["dests"][(a, p)] = {c: int(v) for c, v in zip(cols, f[2:])}
    return out


def parse_conns(text):
    """`ipvsadm -Lnc` -> [{column: value}], the columns named by the header line ("pro", "expire", "state",
    "source", "virtual", "destination", and whatever else the tool adds, such as "local")."""
    out, cols = [], None
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0].lower() == "pro":
            cols = [c.lower() for c in f]
            continue
        if cols is None or len(f) != len(cols):
            continue
        out.append(dict(zip(cols, f)))
    return out


def expire_seconds(text):
    """ipvsadm's expire column, "mm:ss" -> seconds."""
    m, _, s = text.partition(":")
    return int(m) * 60 + int(s)



def parse_counters(text):
    """`ipvsadm --counters --per-worker` -> {"total": {name: value}, "workers": [{name: value}, ...]}."""
    total, workers = {}, []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "Counter":
            workers = [{} for _ in f[2:]]
            continue
        total[f[0]] = int(f[1])
        for w, v in zip(workers, f[2:]):
            w[f[0]] = int(v)
    return {"total": total, "workers": workers}
