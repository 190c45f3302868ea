"""Configs the daemon must refuse at start: exit code 1 and a message naming the place."""

import unittest

import harness as h


class ConfigRefusals(unittest.TestCase):
    def _refused(self, extra_lines=(), params=None):
        text = h.config_text(h.free_port(), params=params, extra_lines=extra_lines)
        rc, err, path = h.run_config(self, text)
        self.assertEqual(rc, 1, "exit code %r, stderr:\n%s" % (rc, err))
        self.assertNotIn("serving SIP over TLS", err)
        return err, path, len(text.splitlines())

    def test_unknown_modparam_exits_1_naming_file_and_line(self):
        err, path, lines = self._refused(extra_lines=['modparam("tls", "no_such_parameter", 1)'])
        self.assertIn("%s:%d" % (path, lines), err)
        self.assertIn("no_such_parameter", err)

    def test_missing_certificate_file_exits_1_naming_the_file(self):
        err, path, _ = self._refused(params={("tls", "certificate"): "certs/does-not-exist.pem"})
        self.assertIn("does-not-exist.pem", err)

    def test_refused_tls_method_exits_1_naming_file_and_line(self):
        text = h.config_text(h.free_port(), params={("tls", "tls_method"): "SSLv3"})
        line = [i + 1 for i, l in enumerate(text.splitlines()) if "tls_method" in l][0]
        rc, err, path = h.run_config(self, text)
        self.assertEqual(rc, 1, err)
        self.assertIn("%s:%d" % (path, line), err)

    def test_syntax_error_exits_1_naming_file_and_line(self):
        err, path, lines = self._refused(extra_lines=['modparam("tls" "connection_timeout", 5)'])
        self.assertIn("%s:%d" % (path, lines), err)


if __name__ == "__main__":
    unittest.main()
