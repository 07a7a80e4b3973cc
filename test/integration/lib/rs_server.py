#!/usr/bin/env python3
"""A real server for the FullNAT labs: one process in a real server's namespace, standard library only.

HTTP/1.1 (threaded, keep-alive) on IPv4 and IPv6 (two listeners, the IPv6 one v6-only):
  GET /                 a JSON report: this server's name, the local and peer address:port it sees (with
                        FullNAT the peer is the balancer's local address), and the client address:port it reads
                        from the TOA option of the connection's SYN (null when the SYN carried none)
  GET /blob?size=N[&seed=S]
                        N deterministic bytes (blob_chunks below), for large downloads checked by sha256
  GET /connections      the last connections accepted (peer, TOA), as a JSON list, oldest first
UDP echo on --udp-port (both families): each datagram comes back as b"<name> " + the datagram.

TOA is read without a kernel module: TCP_SAVE_SYN on the listener makes the kernel keep each connection's SYN
(from the IP header on), and TCP_SAVED_SYN on the accepted socket returns it once; the options are parsed
here. doc/toa.md describes the option and this technique.

Prints "listening" once every socket is bound; exits by itself after --lifetime seconds.

    rs_server.py --name rs1 [--port 8080] [--udp-port 5353] [--lifetime 3600]
"""
import argparse
import collections
import json
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TCP_SAVE_SYN = 27   # <linux/tcp.h>: keep the SYN of each connection accepted on this listener
TCP_SAVED_SYN = 28  # read it (once) from the accepted socket
TOA_KIND = 254      # DPVS's and Jupiter's TCP option kind
TOA_LEN_V4 = 8      # kind, len, port(2), IPv4 address(4)
TOA_LEN_V6 = 20     # kind, len, port(2), IPv6 address(16)

BLOB_CHUNK = 1 << 20
MAX_BLOB = 1 << 30


# ---- parsing a saved SYN (shared with the tests) ----

def tcp_options(opts):
    """[(kind, payload bytes)] of a TCP option block; stops at End of Options or a malformed length."""
    out, i = [], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2 or i + opts[i + 1] > len(opts):
            out.append((kind, None))  # malformed: keep the kind, stop
            break
        out.append((kind, bytes(opts[i + 2:i + opts[i + 1]])))
        i += opts[i + 1]
    return out


def toa_from_options(options):
    """The TOA option's {"addr", "port"}, or None. A kind-254 option of another length is not TOA."""
    for kind, payload in options:
        if kind != TOA_KIND or payload is None:
            continue
        if len(payload) == TOA_LEN_V4 - 2:
            return {"addr": socket.inet_ntop(socket.AF_INET, payload[2:6]),
                    "port": struct.unpack("!H", payload[0:2])[0], "family": 4}
        if len(payload) == TOA_LEN_V6 - 2:
            return {"addr": socket.inet_ntop(socket.AF_INET6, payload[2:18]),
                    "port": struct.unpack("!H", payload[0:2])[0], "family": 6}
    return None


def parse_saved_syn(raw):
    """Parses what TCP_SAVED_SYN returns (IP header, IPv6 extension headers, TCP header with options).
    Returns {"family", "src", "dst", "sport", "dport", "options": [[kind, hex]], "toa"} or None."""
    if not raw:
        return None
    version = raw[0] >> 4
    if version == 4:
        ihl = (raw[0] & 0x0F) * 4
        if len(raw) < ihl + 20 or raw[9] != socket.IPPROTO_TCP:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET, raw[12:16]), socket.inet_ntop(socket.AF_INET, raw[16:20])
        off = ihl
    elif version == 6:
        if len(raw) < 40:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET6, raw[8:24]), socket.inet_ntop(socket.AF_INET6, raw[24:40])
        nh, off = raw[6], 40
        while nh in (0, 43, 60, 44, 51):  # hop-by-hop, routing, destination options, fragment, AH
            if off + 2 > len(raw):
                return None
            if nh == 44:
                length = 8
            elif nh == 51:
                length = (raw[off + 1] + 2) * 4
            else:
                length = (raw[off + 1] + 1) * 8
            nh, off = raw[off], off + length
        if nh != socket.IPPROTO_TCP:
            return None
    else:
        return None
    tcp = raw[off:]
    if len(tcp) < 20:
        return None
    doff = (tcp[12] >> 4) * 4
    options = tcp_options(tcp[20:doff])
    sport, dport = struct.unpack("!HH", tcp[0:4])
    return {"family": version, "src": src, "dst": dst, "sport": sport, "dport": dport,
            "options": [[k, None if p is None else p.hex()] for k, p in options],
            "toa": toa_from_options(options)}


# ---- deterministic content ----

def blob_chunks(size, seed=0, chunk=BLOB_CHUNK):
    """The bytes of /blob?size=size&seed=seed, in chunks. Pseudo-random (a Mersenne Twister seeded with the
    size and seed), so that a misplaced or repeated segment changes the checksum."""
    rng = random.Random(f"fulcrum-blob-{size}-{seed}")
    left = size
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def blob_sha256(size, seed=0):
    import hashlib
    h = hashlib.sha256()
    for c in blob_chunks(size, seed):
        h.update(c)
    return h.hexdigest()


# ---- the servers ----

def addr_port(sockaddr):
    return [sockaddr[0], sockaddr[1]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fulcrum-rs/1"

    def setup(self):
        super().setup()
        try:
            raw = self.connection.getsockopt(socket.IPPROTO_TCP, TCP_SAVED_SYN, 512)
        except OSError:
            raw = b""
        self.syn = parse_saved_syn(raw)
        self.requests_here = 0
        self.server.shared.connection(self)

    def log_message(self, fmt, *args):  # quiet: the tests read responses, not logs
        pass

    def report(self):
        return {"server": self.server.shared.name,
                "local": addr_port(self.connection.getsockname()),
                "peer": addr_port(self.client_address),
                "toa": self.syn["toa"] if self.syn else None,
                "syn_saved": self.syn is not None,
                "syn_options": [o[0] for o in self.syn["options"]] if self.syn else [],
                "request": self.requests_here}

    def send_body(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Server", self.server.shared.name)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.requests_here += 1
        self.server.shared.count_request()
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/":
            self.send_body(json.dumps(self.report()).encode() + b"\n")
        elif url.path == "/connections":
            self.send_body(json.dumps(self.server.shared.recent()).encode() + b"\n")
        elif url.path == "/blob":
            try:
                size = int(q.get("size", ["0"])[0])
                seed = int(q.get("seed", ["0"])[0])
                if not 0 <= size <= MAX_BLOB:
                    raise ValueError
            except ValueError:
                self.send_error(400, "size must be 0 to 2^30")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("X-Server", self.server.shared.name)
            self.end_headers()
            for c in blob_chunks(size, seed):
                self.wfile.write(c)
        else:
            self.send_error(404)


class Shared:
    """What both listeners share: the name and a bounded record of recent connections."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.conns = collections.deque(maxlen=10000)
        self.requests = 0

    def connection(self, h):
        with self.lock:
            self.conns.append({"peer": addr_port(h.client_address),
                               "toa": h.syn["toa"] if h.syn else None,
                               "syn_saved": h.syn is not None})

    def count_request(self):
        with self.lock:
            self.requests += 1

    def recent(self):
        with self.lock:
            return list(self.conns)


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, family, addr, port, shared):
        self.address_family = family
        self.shared = shared
        super().__init__((addr, port), Handler, bind_and_activate=False)
        if family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, TCP_SAVE_SYN, 1)
        # TCPServer's bind, not HTTPServer's, which resolves the host name (no resolver in a lab namespace).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = addr, port
        self.server_activate()


def udp_echo(family, addr, port, name):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    prefix = name.encode() + b" "

    def loop():
        while True:
            data, peer = s.recvfrom(65535)
            try:
                s.sendto(prefix + data, peer)
            except OSError:
                pass

    threading.Thread(target=loop, daemon=True).start()
    return s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--udp-port", type=int, default=5353)
    ap.add_argument("--addr4", default="0.0.0.0")
    ap.add_argument("--addr6", default="::")
    ap.add_argument("--no-ipv6", action="store_true")
    ap.add_argument("--lifetime", type=float, default=3600.0)
    a = ap.parse_args(argv)

    shared = Shared(a.name)
    servers = [HttpServer(socket.AF_INET, a.addr4, a.port, shared)]
    sockets = [udp_echo(socket.AF_INET, a.addr4, a.udp_port, a.name)]
    if not a.no_ipv6:
        servers.append(HttpServer(socket.AF_INET6, a.addr6, a.port, shared))
        sockets.append(udp_echo(socket.AF_INET6, a.addr6, a.udp_port, a.name))
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print("listening", flush=True)
    time.sleep(a.lifetime)
    # Daemon threads may be in the middle of a response: leave without waiting for them.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
