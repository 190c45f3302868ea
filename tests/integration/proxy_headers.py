"""PROXY protocol v1/v2 headers built byte by byte from HAProxy's doc/proxy-protocol.txt, and a
client that sends them, for the tests of sipring's PROXY listeners (test_proxy_protocol.py,
test_scale_out.py): independent of sipring's parser, the CRC32C too (a table-driven Castagnoli
CRC of our own).
"""

import socket
import ssl
import struct
import time

import harness as h

# Spec §2.1 (v1) and §2.2 (v2).

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def tlv(t, value):
    return bytes([t]) + struct.pack(">H", len(value)) + value


def v2(src=None, dst=None, command=1, tlvs=b"", crc=True, family=None):
    """A v2 header; src/dst are (ip, port) of the same family, or None for AF_UNSPEC."""
    if src is None:
        fam, addr = 0x00, b""
    elif ":" in src[0]:
        fam = 0x21
        addr = (socket.inet_pton(socket.AF_INET6, src[0]) + socket.inet_pton(socket.AF_INET6, dst[0])
                + struct.pack(">HH", src[1], dst[1]))
    else:
        fam = 0x11
        addr = (socket.inet_aton(src[0]) + socket.inet_aton(dst[0]) + struct.pack(">HH", src[1], dst[1]))
    if family is not None:
        fam = family
    body = addr
    crc_at = None
    if crc:
        crc_at = 16 + len(body) + 3
        body += tlv(0x03, b"\0\0\0\0")
    body += tlvs
    head = SIG + bytes([0x20 | command, fam]) + struct.pack(">H", len(body)) + body
    if crc_at is not None:
        head = head[:crc_at] + struct.pack(">I", crc32c(head)) + head[crc_at + 4:]
    return head


def v1(src, dst):
    proto = "TCP6" if ":" in src[0] else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (proto, src[0], dst[0], src[1], dst[1])).encode()


# --- clients -------------------------------------------------------------------------------

def raw_to(port, source=None, timeout=5.0, host=None):
    """A TCP connection to host (default: harness.HOST):port, from `source` if given."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host or h.HOST, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tls_after(test, port, header, source=None, pieces=1, pause=0.0, host=None):
    """Sends `header` to host:port (raw_to) in `pieces` parts, `pause` apart, then TLS on the same
    socket; a harness SipConn closed by the test's cleanups."""
    raw = raw_to(port, source, host=host)
    step = max(1, -(-len(header) // pieces))
    for i in range(0, len(header), step):
        raw.sendall(header[i:i + step])
        if pause:
            time.sleep(pause)
    s = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME)
    c = h.SipConn(s)
    test.addCleanup(c.close)
    return c


def refused(port, data, source=None, then_tls=False, timeout=5.0, host=None):
    """Sends `data` to host:port (raw_to), then (then_tls) a TLS handshake; True when sipring
    closed the connection."""
    try:
        raw = raw_to(port, source, timeout, host)
    except OSError:
        return True
    try:
        if data:
            raw.sendall(data)
        if then_tls:
            # The handshake is started explicitly: wrap_socket skips it, without an error, when
            # sipring's reset has already disconnected the socket (it would look completed).
            try:
                s = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME,
                                                   do_handshake_on_connect=False)
                s.do_handshake()
                s.close()
                return False
            except socket.timeout:
                return False  # neither answered nor closed: not a refusal
            except (ssl.SSLError, OSError):
                return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if raw.recv(4096) == b"":
                    return True
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False
        return False
    finally:
        raw.close()
