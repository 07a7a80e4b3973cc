"""A minimal client for fulcrumd's control socket, written from the protocol header for tests.

It is deliberately independent of the C++ client: the integration tests check the daemon against the
wire format as documented, not against our own client's idea of it.
"""
import socket
import struct

FRAME = struct.Struct("<IHHIIiI")  # magic, version, kind, id, seq, status, len
MAGIC = 0x52434C46
VERSION = 1
KIND_GET, KIND_SET, KIND_REPLY = 1, 2, 3

CORE_GET_STATUS = 0x10001
CORE_ECHO = 0x10002

STATUS_HEAD = struct.Struct("<IIQQIB3x")
LCORE_STATUS = struct.Struct("<IB3xQQQQII")


class CtrlError(Exception):
    def __init__(self, status, text):
        super().__init__(f"status {status}: {text}")
        self.status = status
        self.text = text


class Ctrl:
    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.seq = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def frame(self, kind, msg_id, payload=b"", version=VERSION, magic=MAGIC, length=None):
        self.seq += 1
        return FRAME.pack(magic, version, kind, msg_id, self.seq, 0,
                          len(payload) if length is None else length) + payload

    def read_reply(self):
        head = self._read_exact(FRAME.size)
        magic, version, kind, msg_id, seq, status, length = FRAME.unpack(head)
        assert magic == MAGIC and kind == KIND_REPLY, (magic, kind)
        return msg_id, seq, status, self._read_exact(length)

    def call(self, kind, msg_id, payload=b""):
        self.send_raw(self.frame(kind, msg_id, payload))
        rid, seq, status, body = self.read_reply()
        assert rid == msg_id and seq == self.seq, (rid, msg_id, seq, self.seq)
        return status, body

    def get(self, msg_id, payload=b""):
        status, body = self.call(KIND_GET, msg_id, payload)
        if status:
            raise CtrlError(status, body.split(b"\0")[0].decode(errors="replace"))
        return body

    def status(self):
        body = self.get(CORE_GET_STATUS)
        version, count, tsc_hz, uptime_ms, pid, poll_mode = STATUS_HEAD.unpack_from(body)
        lcores = []
        for i in range(count):
            (lcore, role, work, idle, loops, sleeps, permille, _) = LCORE_STATUS.unpack_from(
                body, STATUS_HEAD.size + i * LCORE_STATUS.size)
            lcores.append(dict(lcore=lcore, role={1: "master", 2: "worker"}.get(role, role), work=work,
                               idle=idle, loops=loops, sleeps=sleeps, load_permille=permille))
        return dict(version=version, tsc_hz=tsc_hz, uptime_ms=uptime_ms, pid=pid,
                    poll_mode="busy" if poll_mode == 0 else "idle-sleep", lcores=lcores)

    def _read_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("daemon closed the connection")
            out += chunk
        return out
