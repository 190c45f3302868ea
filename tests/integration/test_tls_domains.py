"""Per-domain TLS configuration: modparam("tls", "config", "tls.cfg") in Kamailio's format.

A private copy of the demo CA issues the certificates of each domain; Python's ssl (OpenSSL 3)
connects with a chosen SNI or address and verifies which certificate it got. tls.list must show
the domain and SNI sipring chose. Broken files must refuse the start with "FILE:LINE".
"""

import os
import socket
import unittest

import harness as h

DEBIAN_TLS_CFG = "/etc/kamailio/tls.cfg"
DEBIAN_CERT = "/etc/kamailio/kamailio-selfsigned.pem"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class _Domains(unittest.TestCase):
    def setUp(self):
        self.ca = h.private_ca(self)
        self.dir = os.path.dirname(self.ca)
        self.localhost = os.path.join(self.ca, "server.pem")  # demo cert + key, CN localhost

    def issue(self, cn, san=None):
        return h.issue_server_cert(self.ca, cn, os.path.join(self.dir, cn), san=san)

    def ctl_ok(self, d, *args):
        rc, out, err = h.ctl(d, *args)
        self.assertEqual(rc, 0, "sipringctl %s: %r %r" % (args, out, err))
        return out

    def row_for(self, d, conn):
        src = "%s:%d" % conn.local_addr
        rows = [r for r in self.ctl_ok(d, "tls.list") if r["src"] == src]
        self.assertEqual(len(rows), 1, "tls.list has no single row for %s" % src)
        return rows[0]


class SniDomains(_Domains):
    def setUp(self):
        super().setUp()
        a_cert, a_key = self.issue("a.example.test")
        b_cert, b_key = self.issue("b.example.test")
        self.tls_cfg = write(os.path.join(self.dir, "tls.cfg"), """\
# Two virtual hosts chosen by SNI, and the localhost default.
[server:default]
method = TLSv1.2+
certificate = %s

[server:any]
server_name = a.example.test
certificate = %s
private_key = %s

[server:any]
server_name = b.example.test
certificate = "%s"
private_key = "%s"
""" % (self.localhost, a_cert, a_key, b_cert, b_key))
        self.d = h.start_daemon(self, params={("tls", "config"): self.tls_cfg})

    def test_each_sni_name_gets_its_certificate_and_a_200_ok(self):
        for name, domain in (("a.example.test", "server:any/a.example.test"),
                             ("b.example.test", "server:any/b.example.test"),
                             ("localhost", "server:default")):
            with self.subTest(sni=name):
                # check_hostname: the handshake fails unless the certificate is for `name`.
                c = h.connect_to(h.HOST, self.d.port, server_hostname=name)
                self.addCleanup(c.close)
                cn, sans = h.cert_names(c)
                self.assertEqual(cn, name)
                self.assertIn(name, sans)
                h.exchange(self, c, h.Request("OPTIONS"))
                row = self.row_for(self.d, c)
                self.assertEqual(row["domain"], domain)
                self.assertEqual(row["sni"], name)
                self.assertEqual(row["state"], "established")

    def test_sni_names_compare_case_insensitively(self):
        c = h.connect_to(h.HOST, self.d.port, server_hostname="B.Example.TEST")
        self.addCleanup(c.close)
        self.assertEqual(h.cert_names(c)[0], "b.example.test")
        h.exchange(self, c, h.Request("OPTIONS"))

    def test_unknown_sni_and_no_sni_get_the_default_certificate(self):
        for sni in ("c.example.test", None):
            with self.subTest(sni=sni):
                ctx = h.client_context()
                ctx.check_hostname = False
                c = h.connect_to(h.HOST, self.d.port, server_hostname=sni, ctx=ctx)
                self.addCleanup(c.close)
                self.assertEqual(h.cert_names(c)[0], "localhost")
                h.exchange(self, c, h.Request("OPTIONS"))
                row = self.row_for(self.d, c)
                self.assertEqual(row["domain"], "server:default")
                self.assertEqual(row["sni"], sni or "")

    def test_tls_list_shows_domain_and_sni_of_concurrent_connections(self):
        conns = {}
        for name in ("a.example.test", "b.example.test", "localhost", "a.example.test"):
            c = h.connect_to(h.HOST, self.d.port, server_hostname=name)
            self.addCleanup(c.close)
            h.exchange(self, c, h.Request("OPTIONS"))
            conns["%s:%d" % c.local_addr] = name
        rows = self.ctl_ok(self.d, "tls.list")
        self.assertEqual(sorted(r["src"] for r in rows), sorted(conns))
        for r in rows:
            name = conns[r["src"]]
            self.assertEqual(r["sni"], name)
            self.assertEqual(r["domain"], "server:default" if name == "localhost"
                             else "server:any/" + name)


class PatternDomains(_Domains):
    """Issue 11 part 7: "*.example.test" patterns, the most specific match wins, any case."""

    def setUp(self):
        super().setUp()
        self.certs = {}
        for cn in ("star.example.test", "sub.example.test", "exact.example.test"):
            self.certs[cn] = self.issue(cn)
        self.tls_cfg = write(os.path.join(self.dir, "tls.cfg"), """\
[server:default]
certificate = %s

[server:any]
server_name = *.example.test
certificate = %s
private_key = %s

[server:any]
server_name = example.test
server_name_mode = 2
certificate = %s
private_key = %s

[server:any]
server_name = exact.example.test
certificate = %s
private_key = %s
""" % ((self.localhost,) + self.certs["star.example.test"] + self.certs["sub.example.test"]
       + self.certs["exact.example.test"]))
        self.d = h.start_daemon(self, params={("tls", "config"): self.tls_cfg})

    def test_most_specific_match_wins_whatever_the_letter_case(self):
        cases = (("a.example.test", "star.example.test", "server:any/*.example.test"),
                 ("A.EXAMPLE.Test", "star.example.test", "server:any/*.example.test"),
                 ("x.y.example.test", "sub.example.test", "server:any/example.test"),
                 ("X.Y.Example.TEST", "sub.example.test", "server:any/example.test"),
                 ("Exact.Example.TEST", "exact.example.test", "server:any/exact.example.test"),
                 ("example.test", "localhost", "server:default"))
        for sni, cn, domain in cases:
            with self.subTest(sni=sni):
                ctx = h.client_context()
                ctx.check_hostname = False
                c = h.connect_to(h.HOST, self.d.port, server_hostname=sni, ctx=ctx)
                self.addCleanup(c.close)
                self.assertEqual(h.cert_names(c)[0], cn)
                h.exchange(self, c, h.Request("OPTIONS"))
                self.assertEqual(self.row_for(self.d, c)["domain"], domain)

    def test_a_pattern_with_a_mode_or_in_a_client_domain_refuses_the_start(self):
        for text, why in (
                ("[server:any]\nserver_name = *.example.test\nserver_name_mode = 1\n",
                 "a pattern matches one label before its name and takes no mode"),
                ("[client:any]\nserver_name = *.example.test\n",
                 "a client domain's server_name is also the name it sends (SNI)"),
                ("[server:any]\nserver_name = a*.example.test\n",
                 "has a '*' that is not a leading")):
            with self.subTest(why=why):
                cfg = write(os.path.join(self.dir, "bad.cfg"), "[server:default]\n"
                            "certificate = %s\n" % self.localhost + text)
                rc, err, _ = h.run_config(self, h.config_text(h.free_port(),
                                                              {("tls", "config"): cfg}))
                self.assertNotEqual(rc, 0)
                self.assertIn(why, err)


class AddressDomains(_Domains):
    def setUp(self):
        super().setUp()
        self.addr2 = "127.0.0.2"
        self.port2 = _free_port_on(self.addr2)
        cert, key = self.issue("second.example.test", san="IP:127.0.0.2,DNS:second.example.test")
        self.tls_cfg = write(os.path.join(self.dir, "tls.cfg"), """\
[server:default]
certificate = %s

[server:%s:%d]
certificate = %s
private_key = %s
""" % (self.localhost, self.addr2, self.port2, cert, key))
        self.d = h.start_daemon(self, params={("tls", "config"): self.tls_cfg},
                                extra_lines=["listen=tls:%s:%d" % (self.addr2, self.port2)])

    def test_each_listening_address_gets_its_certificate(self):
        c1 = h.connect_to(h.HOST, self.d.port, server_hostname="localhost")
        self.addCleanup(c1.close)
        self.assertEqual(h.cert_names(c1)[0], "localhost")
        h.exchange(self, c1, h.Request("OPTIONS"))

        # An IP as server_hostname: no SNI is sent and the IP SAN is checked.
        c2 = h.connect_to(self.addr2, self.port2, server_hostname=self.addr2)
        self.addCleanup(c2.close)
        cn, sans = h.cert_names(c2)
        self.assertEqual(cn, "second.example.test")
        self.assertIn("127.0.0.2", sans)
        h.exchange(self, c2, h.Request("OPTIONS"))

        r1, r2 = self.row_for(self.d, c1), self.row_for(self.d, c2)
        self.assertEqual(r1["domain"], "server:default")
        self.assertEqual(r1["dst"], "%s:%d" % (h.HOST, self.d.port))
        self.assertEqual(r2["domain"], "server:%s:%d" % (self.addr2, self.port2))
        self.assertEqual(r2["dst"], "%s:%d" % (self.addr2, self.port2))
        self.assertEqual(r2["sni"], "")

    def test_sni_localhost_on_the_second_address_still_gets_the_address_domain(self):
        # An address domain without server_name applies to every client of that address
        # (rule 3 of server_for), before the default.
        ctx = h.client_context()
        ctx.check_hostname = False
        c = h.connect_to(self.addr2, self.port2, server_hostname="localhost", ctx=ctx)
        self.addCleanup(c.close)
        self.assertEqual(h.cert_names(c)[0], "second.example.test")
        self.assertEqual(self.row_for(self.d, c)["domain"],
                         "server:%s:%d" % (self.addr2, self.port2))


def _free_port_on(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ModuleParamsIgnored(_Domains):
    def test_module_parameters_are_ignored_when_config_is_set(self):
        tls_cfg = write(os.path.join(self.dir, "tls.cfg"),
                        "[server:default]\ncertificate = %s\n" % self.localhost)
        d = h.start_daemon(self, params={("tls", "config"): tls_cfg,
                                         ("tls", "certificate"): "certs/missing.pem",
                                         ("tls", "private_key"): "certs/missing-key.pem"})
        c = h.connect_to(h.HOST, d.port)
        self.addCleanup(c.close)
        self.assertEqual(h.cert_names(c)[0], "localhost")
        h.exchange(self, c, h.Request("OPTIONS"))
        self.assertEqual(self.row_for(d, c)["domain"], "server:default")
        self.assertEqual(self.ctl_ok(d, "cfg.get", "tls", "config"), tls_cfg)
        c.close()
        d.stop()


class BrokenTlsCfgRefusesStart(_Domains):
    def run_with(self, tls_cfg_text):
        path = write(os.path.join(self.dir, "tls.cfg"), tls_cfg_text)
        text = h.config_text(h.free_port(), {("tls", "config"): path, ("ctl", "socket"): ""})
        rc, err, _ = h.run_config(self, text)
        return path, rc, err

    def test_unknown_attribute_refuses_start_with_file_and_line(self):
        path, rc, err = self.run_with(
            "[server:default]\ncertificate = %s\ncolour = blue\n" % self.localhost)
        self.assertEqual(rc, 1, err)
        self.assertIn("%s:3:" % path, err)
        self.assertIn('"colour"', err)
        self.assertNotIn("serving SIP", err)

    def test_bad_section_refuses_start_with_file_and_line(self):
        path, rc, err = self.run_with(
            "# a comment\n[server:nowhere:5061]\ncertificate = %s\n" % self.localhost)
        self.assertEqual(rc, 1, err)
        self.assertIn("%s:2:" % path, err)
        self.assertIn("nowhere", err)

    def test_unknown_section_role_refuses_start_with_file_and_line(self):
        path, rc, err = self.run_with(
            "[server:default]\ncertificate = %s\n\n[bogus:default]\n" % self.localhost)
        self.assertEqual(rc, 1, err)
        self.assertIn("%s:4:" % path, err)
        self.assertIn('"bogus"', err)

    def test_missing_tls_cfg_refuses_start_naming_it(self):
        path = os.path.join(self.dir, "absent-tls.cfg")
        text = h.config_text(h.free_port(), {("tls", "config"): path, ("ctl", "socket"): ""})
        rc, err, _ = h.run_config(self, text)
        self.assertEqual(rc, 1, err)
        self.assertIn(path, err)


class DebianTlsCfg(unittest.TestCase):
    def test_debian_kamailio_tls_cfg_parses_then_refuses_for_its_missing_certificate(self):
        if not os.path.exists(DEBIAN_TLS_CFG):
            self.skipTest("%s is absent (install kamailio-tls-modules)" % DEBIAN_TLS_CFG)
        if os.path.exists(DEBIAN_CERT):
            self.skipTest("%s exists here, so the start would not fail" % DEBIAN_CERT)
        text = h.config_text(h.free_port(),
                             {("tls", "config"): DEBIAN_TLS_CFG, ("ctl", "socket"): ""})
        rc, err, _ = h.run_config(self, text)
        self.assertEqual(rc, 1, err)
        # Parsing succeeded: the refusal is about the file its [server:default] names, not syntax.
        self.assertIn(DEBIAN_CERT, err)
        self.assertIn("No such file", err)
        self.assertRegex(err, r"/etc/kamailio/tls\.cfg:\d+")
        self.assertIn("server:default", err)


if __name__ == "__main__":
    unittest.main()
