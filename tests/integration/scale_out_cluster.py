"""A scale-out cluster on loopback for test_scale_out.py: two sipring nodes behind HAProxy (TCP
mode, PROXY protocol v2 with CRC32C and unique id, SIP OPTIONS health checks over TLS), etcd
holding the shared session-ticket keys, and openssl s_client sessions.

Addresses: the balancer listens on 127.0.0.1 (its own frontend `fe_sip` on 5061 when free, else a
free port, plus `fe_a`/`fe_b` reaching one node each) and connects from 127.0.0.1, the only
address the nodes trust; node A listens on 127.0.0.2, node B on 127.0.0.3 (a plain listener and a
PROXY-protocol listener each, one reactor); clients bind 127.0.0.10 and up. Every external
process runs in its own session in a temp dir, dies with the test runner (PR_SET_PDEATHSIG) and
is killed by the test's cleanups; every wait is bounded.
"""

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "ticket-keys")
ROTATE = os.path.join(TOOLS, "rotate-etcd.sh")
FEEDER = os.path.join(TOOLS, "feed-file.py")

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

BALANCER = "127.0.0.1"
NODE_HOSTS = {"a": "127.0.0.2", "b": "127.0.0.3"}
SIP_TLS_PORT = 5061
TICKET_KEY = "/sipring/tls-ticket-keys"

# Health checks: every CHECK_INTER, every CHECK_FASTINTER while a node goes down; FALL failed
# checks mark it down, RISE good ones up.
CHECK_INTER_MS = 1000
CHECK_FASTINTER_MS = 250
CHECK_FALL = 2
CHECK_RISE = 2
# The longest HAProxy may take to mark a dead node down: the wait for the next check plus the
# further FALL-1 checks at fastinter (each fails at once: connection refused).
DOWN_DETECTION_S = (CHECK_INTER_MS + (CHECK_FALL - 1) * CHECK_FASTINTER_MS) / 1000.0


def missing_tools():
    """Why the scale-out tests cannot run (a tool is not installed), or None."""
    for path, pkg in ((HAPROXY, "haproxy"), (ETCD, "etcd-server"), (ETCDCTL, "etcd-client"),
                      (OPENSSL, "openssl")):
        if not os.access(path, os.X_OK):
            return "%s is not installed (apt-get install %s)" % (os.path.basename(path), pkg)
    return None


def client_addr(i):
    """The i-th client's loopback address (127.0.0.10 + i)."""
    return "127.0.0.%d" % (10 + i)


# --- external processes ---------------------------------------------------------------------

class Process:
    """An external daemon in its own session, stderr+stdout to LOG; kill() kills its group."""

    def __init__(self, test, name, args, workdir, env=None):
        self.name = name
        self.log_path = os.path.join(workdir, name + ".log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, preexec_fn=h._die_with_parent)
        add_cleanup = test.addClassCleanup if isinstance(test, type) else test.addCleanup
        add_cleanup(self.kill)

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def stop(self, timeout=10.0):
        """SIGTERM, bounded wait, then SIGKILL; returns the exit code (None if killed)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.proc.returncode

    def log_text(self, last=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "\n".join(f.read().splitlines()[-last:])
        except OSError:
            return ""


def tempdir(test, prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    add_cleanup = test.addClassCleanup if isinstance(test, type) else test.addCleanup
    add_cleanup(shutil.rmtree, d, True)
    return d


# --- sipring nodes --------------------------------------------------------------------------

def start_node(test, name, ticket_key_file=None):
    """Sipring node `name` ("a" or "b") on NODE_HOSTS[name]: a plain listener (d.port) and a
    PROXY-protocol listener (d.pp_port) trusting only the balancer; one reactor; inline demo
    core. Returns the harness Daemon with .name, .host and .pp_port set."""
    host = NODE_HOSTS[name]
    pp_port = h.free_port(host)
    params = {("sipring", "reactors"): 1,
              ("sipring", "proxy_protocol_listen"): "tls:%s:%d" % (host, pp_port),
              ("sipring", "proxy_protocol_trusted"): BALANCER + "/32"}
    if ticket_key_file:
        params[("tls", "ticket_key_file")] = ticket_key_file
    d = h.start_daemon(test, params=params, host=host)
    d.name, d.host, d.pp_port = name, host, pp_port
    return d


def connections(node):
    """The node's tls.list as {(ip, port) of the peer: entry}."""
    rc, out, err = h.ctl(node, "tls.list")
    if rc != 0:
        raise AssertionError("tls.list on node %s failed: %s" % (node.name, err))
    peers = {}
    for c in out:
        ip, _, port = c["src"].rpartition(":")
        peers[(ip.strip("[]"), int(port))] = c
    return peers


# --- HAProxy --------------------------------------------------------------------------------

def _check_request():
    """The health check's SIP OPTIONS (hex, for tcp-check send-binary: no escaping rules)."""
    req = ("OPTIONS sip:ping@%s SIP/2.0\r\n"
           "Via: SIP/2.0/TLS %s;branch=z9hG4bK-haproxy-check\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:haproxy@%s>;tag=hc\r\n"
           "To: <sip:ping@%s>\r\n"
           "Call-ID: haproxy-check@%s\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n") % ((BALANCER,) * 5)
    return req.encode().hex()


class HAProxy(Process):
    """HAProxy in the foreground (-db) with a stats socket; ports: .port (fe_sip), .fe["a"],
    .fe["b"] (one node each)."""

    def __init__(self, test, nodes, workdir):
        self.workdir = workdir
        self.stats_socket = os.path.join(workdir, "haproxy.sock")
        self.port = SIP_TLS_PORT if _port_free(BALANCER, SIP_TLS_PORT) else h.free_port(BALANCER)
        self.fe = {n: h.free_port(BALANCER) for n in nodes}
        self.config_path = os.path.join(workdir, "haproxy.cfg")
        with open(self.config_path, "w") as f:
            f.write(self.config(nodes))
        r = subprocess.run([HAPROXY, "-c", "-f", self.config_path], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("haproxy -c refused the config:\n%s%s\n%s"
                                 % (r.stdout, r.stderr, open(self.config_path).read()))
        super().__init__(test, "haproxy", [HAPROXY, "-db", "-f", self.config_path], workdir)

    def config(self, nodes):
        # Checks: TLS (verified against the demo CA, SNI localhost) after a PROXY v2 LOCAL header,
        # then a SIP OPTIONS that must get "SIP/2.0 200". The per-node backends track the main
        # one's check results instead of checking again.
        # (check-ssl: HAProxy prepares the checks' TLS context only with it; without it the
        # "connect ssl" step fails with an internal error alert.)
        server_opts = ("send-proxy-v2 proxy-v2-options crc32c,unique-id source %s "
                       "ca-file %s verify required verifyhost %s"
                       % (BALANCER, h.ca_file(), h.SERVER_NAME))
        check_opts = ("check check-ssl check-sni %s inter %dms fastinter %dms downinter %dms "
                      "fall %d rise %d" % (h.SERVER_NAME, CHECK_INTER_MS, CHECK_FASTINTER_MS,
                                           CHECK_INTER_MS, CHECK_FALL, CHECK_RISE))
        lines = [
            "global",
            "    stats socket %s mode 600 level admin" % self.stats_socket,
            "    log stderr format raw local0 info",
            "    maxconn 2000",
            "defaults",
            "    mode tcp",
            "    log global",
            "    option tcplog",
            "    timeout connect 2s",
            "    timeout client 120s",
            "    timeout server 120s",
            "    timeout check 3s",
            # A connection the dead node refuses goes to a live one (before the checks notice).
            "    retries 2",
            "    option redispatch",
            '    unique-id-format "%ci:%cp_%fi:%fp_%Ts_%rt"',
            "frontend fe_sip",
            "    bind %s:%d" % (BALANCER, self.port),
            "    default_backend be_nodes",
            "backend be_nodes",
            "    balance source",
            "    option tcp-check",
            "    tcp-check connect send-proxy ssl sni %s" % h.SERVER_NAME,
            "    tcp-check send-binary %s" % _check_request(),
            '    tcp-check expect string "SIP/2.0 200"',
        ]
        for name, node in nodes.items():
            lines.append("    server %s %s:%d %s %s" % (name, node.host, node.pp_port, server_opts,
                                                       check_opts))
        for name, node in nodes.items():
            lines += ["frontend fe_%s" % name,
                      "    bind %s:%d" % (BALANCER, self.fe[name]),
                      "    default_backend be_%s" % name,
                      "backend be_%s" % name,
                      "    server %s %s:%d %s track be_nodes/%s" % (name, node.host, node.pp_port,
                                                                  server_opts, name)]
        return "\n".join(lines) + "\n"

    def command(self, cmd, timeout=5.0):
        """One command on the stats socket; its answer as text."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.stats_socket)
            s.sendall(cmd.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode(errors="replace")
                out += chunk

    def server_status(self, backend="be_nodes"):
        """{server: (status, check status)} from `show stat`: status "UP", "DOWN", "UP 1/2"
        (going down), ...; check status "L7OK" (the expect rule matched), "L4CON", ..."""
        lines = self.command("show stat").splitlines()
        cols = lines[0].lstrip("# ").split(",")
        px, sv = cols.index("pxname"), cols.index("svname")
        st, chk = cols.index("status"), cols.index("check_status")
        out = {}
        for line in lines[1:]:
            f = line.split(",")
            if len(f) > chk and f[px] == backend and f[sv] not in ("FRONTEND", "BACKEND"):
                out[f[sv]] = (f[st], f[chk])
        return out

    def wait_status(self, server, want, timeout, check=None):
        """Polls (every 20 ms) until `server` of be_nodes has status `want` (exactly), and check
        status `check` when given; returns the seconds it took. AssertionError after
        `timeout`."""
        start = time.monotonic()
        last = None
        while time.monotonic() - start < timeout:
            try:
                last = self.server_status().get(server)
            except OSError as e:
                last = "stats socket: %s" % e
            if last and last[0] == want and (check is None or last[1] == check):
                return time.monotonic() - start
            time.sleep(0.02)
        raise AssertionError("HAProxy: server %s is %r, not %r, after %.1f s; log:\n%s"
                             % (server, last, (want, check), timeout, self.log_text()))


def _port_free(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


class Cluster:
    """Nodes a and b and HAProxy in front of them; all killed by the test's cleanups."""

    def __init__(self, test, ticket_key_files=None):
        self.dir = tempdir(test, "sipring-scaleout.")
        files = ticket_key_files or {}
        self.nodes = {n: start_node(test, n, files.get(n)) for n in ("a", "b")}
        self.haproxy = HAProxy(test, self.nodes, self.dir)
        for n in self.nodes:
            # HAProxy starts with its servers UP; wait for a passed check (the 200 matched) too.
            self.haproxy.wait_status(n, "UP", check="L7OK", timeout=15)

    def connect(self, source=None, frontend=None, **kw):
        """A TLS connection (demo CA, SNI localhost) through HAProxy: fe_sip, or fe_a/fe_b for
        frontend="a"/"b"; from `source` when given. A harness SipConn."""
        port = self.haproxy.port if frontend is None else self.haproxy.fe[frontend]
        kw.setdefault("timeout", 10.0)
        return h.connect_to(BALANCER, port, source=source, **kw)

    def node_of(self, conn):
        """The name of the node holding `conn` (the peer address in its tls.list is the client's
        own), or None."""
        for n, node in self.nodes.items():
            if node.alive() and tuple(conn.local_addr) in connections(node):
                return n
        return None


# --- etcd and the ticket-key tools ----------------------------------------------------------

class Etcd(Process):
    """A one-member etcd on free loopback ports with its data in a temp dir."""

    def __init__(self, test):
        workdir = tempdir(test, "sipring-etcd.")
        client, peer = h.free_port(), h.free_port()
        self.endpoint = "http://%s:%d" % (h.HOST, client)
        peer_url = "http://%s:%d" % (h.HOST, peer)
        super().__init__(test, "etcd", [
            ETCD, "--name", "it", "--data-dir", os.path.join(workdir, "data"),
            "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", "it=" + peer_url], workdir)
        deadline = time.monotonic() + 30
        while True:
            r = self.ctl("endpoint", "health", check=False)
            if r.returncode == 0:
                break
            if not self.alive() or time.monotonic() > deadline:
                raise AssertionError("etcd did not become healthy within 30 s: %s\n%s"
                                     % (r.stderr, self.log_text()))
            time.sleep(0.2)

    def ctl(self, *args, input=None, check=True):
        r = subprocess.run([ETCDCTL, "--endpoints=" + self.endpoint, "--dial-timeout=2s",
                            "--command-timeout=5s"] + list(args), input=input,
                           capture_output=True, timeout=15)
        if check and r.returncode != 0:
            raise AssertionError("etcdctl %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def key_set(self):
        """The key set stored in etcd as a list of raw keys (bytes)."""
        out = self.ctl("get", TICKET_KEY, "--print-value-only").stdout
        return [base64.b64decode(l) for l in out.split() if l]

    def rotate(self):
        r = subprocess.run([ROTATE, "--endpoints", self.endpoint, "--key", TICKET_KEY],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("rotate-etcd.sh failed (%d): %s%s"
                                 % (r.returncode, r.stdout, r.stderr))

    def start_feeder(self, test, out_path):
        """feed-file.py writing `out_path` from etcd; returns its Process."""
        return Process(test, "feeder-" + os.path.basename(out_path),
                       [sys.executable, FEEDER, "--endpoints", self.endpoint, "--key", TICKET_KEY,
                        "--out", out_path], os.path.dirname(out_path))


def read_key_file(path):
    """The raw keys of a ticket key file, or None when it does not exist yet."""
    try:
        with open(path) as f:
            return [base64.b64decode(l) for l in f.read().split() if l]
    except OSError:
        return None


def find_text(value, needle):
    """True if the string `needle` occurs in any string inside the JSON value `value`."""
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(find_text(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(find_text(v, needle) for v in value)
    return False


def via_params(resp):
    """The parameters of the response's top Via as {name: value or None}."""
    via = resp.all("Via")[0]
    out = {}
    for p in via.split(";")[1:]:
        k, _, v = p.partition("=")
        out[k.strip().lower()] = v.strip() if _ else None
    return out


