/* Unit tests: Debian ifupdown /etc/network/interfaces parser. */

#include <json-c/json.h>

#include "linuxcfg-test.h"

static json_object *
iface (json_object *doc, size_t i)
{
  return lct_idx (lct_get (doc, "interfaces"), i);
}

static json_object *
stanza (json_object *doc, size_t i, size_t j)
{
  return lct_idx (lct_get (iface (doc, i), "stanzas"), j);
}

static json_object *
opt (json_object *doc, size_t i, size_t j, const char *key)
{
  return lct_get (lct_get (stanza (doc, i, j), "options"), key);
}

TEST (basic)
{
  json_object *d = PARSE (h2k_linuxcfg_ifupdown,
    "# The loopback\n"
    "auto lo eth0\n"
    "iface lo inet loopback\n"
    "\n"
    "allow-hotplug eth1\n"
    "iface eth0 inet static\n"
    "    address 192.168.1.5/24\n"
    "    gateway 192.168.1.1\n"
    "    dns-nameservers 1.1.1.1 \\\n"
    "                    8.8.8.8\n"
    "    # a comment inside\n"
    "    up ip route add 10.0.0.0/8 via 192.168.1.254\n"
    "    up echo two\n"
    "iface eth0 inet6 auto\n"
    "iface eth1 inet dhcp\n"
    "  hwaddress ether 52:54:00:12:34:56\n"
    "source-directory /etc/network/interfaces.d\n"
    "source /etc/network/extra\n");

  CHECK (d != NULL);
  CHECK_INT (lct_len (lct_get (d, "interfaces")), 3);
  CHECK_STR (lct_s (lct_get (iface (d, 0), "name")), "lo");
  CHECK (json_object_get_boolean (lct_get (iface (d, 0), "auto")));
  CHECK_STR (lct_s (lct_get (iface (d, 1), "name")), "eth0");
  CHECK_INT (json_object_get_int (lct_get (iface (d, 1), "line")), 2);
  CHECK (!json_object_get_boolean (lct_get (iface (d, 1), "allow_hotplug")));
  CHECK_INT (lct_len (lct_get (iface (d, 1), "stanzas")), 2);
  CHECK_INT (json_object_get_int (lct_get (stanza (d, 1, 0), "line")), 6);
  CHECK_INT (json_object_get_int (lct_get (stanza (d, 1, 0), "end_line")), 13);
  CHECK_STR (lct_s (lct_get (stanza (d, 1, 0), "method")), "static");
  CHECK_STR (lct_s (opt (d, 1, 0, "address")), "192.168.1.5/24");
  CHECK_STR (lct_s (opt (d, 1, 0, "dns-nameservers")),
             "1.1.1.1                     8.8.8.8");
  CHECK_INT (lct_len (opt (d, 1, 0, "up")), 2);
  CHECK_STR (lct_s (lct_idx (opt (d, 1, 0, "up"), 1)), "echo two");
  CHECK_STR (lct_s (lct_get (stanza (d, 1, 1), "family")), "inet6");
  CHECK_STR (lct_s (lct_get (stanza (d, 1, 1), "method")), "auto");
  CHECK_STR (lct_s (lct_get (iface (d, 2), "name")), "eth1");
  CHECK (json_object_get_boolean (lct_get (iface (d, 2), "allow_hotplug")));
  CHECK (!json_object_get_boolean (lct_get (iface (d, 2), "auto")));
  CHECK_STR (lct_s (lct_idx (lct_get (iface (d, 2), "allow"), 0)), "hotplug");
  CHECK_STR (lct_s (opt (d, 2, 0, "hwaddress")), "ether 52:54:00:12:34:56");
  CHECK_INT (lct_len (lct_get (d, "sources")), 2);
  CHECK_STR (lct_s (lct_get (lct_idx (lct_get (d, "sources"), 0), "kind")),
             "source-directory");
  CHECK_STR (lct_s (lct_get (lct_idx (lct_get (d, "sources"), 1), "path")),
             "/etc/network/extra");
  CHECK_INT (lct_len (lct_get (d, "auto")), 2);
  json_object_put (d);
}

TEST (inherits_and_repeats)
{
  json_object *d = PARSE (h2k_linuxcfg_ifupdown,
    "iface tmpl inet static\n"
    "  mtu 1500\n"
    "iface eth3 inherits tmpl\n"
    "  address 1.2.3.5/24\n"
    "  address 1.2.3.6/24\n"
    "mapping eth0 eth1\n"
    "  script /usr/local/sbin/map\n"
    "  map 11:22:33:44:55:66 lan\n"
    "  map AA:BB:CC:DD:EE:FF internet\n");

  CHECK (d != NULL);
  CHECK_STR (lct_s (lct_get (stanza (d, 1, 0), "inherits")), "tmpl");
  CHECK (lct_get (stanza (d, 1, 0), "family") == NULL);
  CHECK_INT (lct_len (opt (d, 1, 0, "address")), 2);
  CHECK_STR (lct_s (lct_idx (opt (d, 1, 0, "address"), 1)), "1.2.3.6/24");
  {
    json_object *m = lct_idx (lct_get (d, "mappings"), 0);
    CHECK_INT (json_object_get_int (lct_get (m, "line")), 6);
    CHECK_INT (json_object_get_int (lct_get (m, "end_line")), 9);
    CHECK_STR (lct_s (lct_idx (lct_get (m, "match"), 1)), "eth1");
    CHECK_STR (lct_s (lct_get (m, "script")), "/usr/local/sbin/map");
    CHECK_STR (lct_s (lct_idx (lct_get (m, "map"), 1)),
               "AA:BB:CC:DD:EE:FF internet");
  }
  json_object_put (d);
}

TEST (errors)
{
  static const struct { const char *text, *msg; } t[] = {
    { "iface\n", "test: line 1: iface: missing interface name" },
    { "auto eth0\n\niface eth0 inet\n",
      "test: line 3: iface eth0: expected 'iface NAME FAMILY METHOD'" },
    { "iface eth0 inet static wrong\n",
      "test: line 1: iface eth0: unexpected word 'wrong'" },
    { "iface eth5 inet static inherits\n",
      "test: line 1: iface eth5: 'inherits' needs a template name" },
    { "  address 1.2.3.4\n",
      "test: line 1: 'address' is not a keyword and is outside any iface or "
      "mapping stanza" },
    { "source\n", "test: line 1: source: missing path" },
    { "mapping eth0\n  bogus x\n", "test: line 2: mapping: unknown option 'bogus'" },
    { "iface eth0 inet dhcp\nsource x\n  up foo\n",
      "test: line 3: 'up' is not a keyword and is outside any iface or "
      "mapping stanza" },
  };
  size_t i;

  for (i = 0; i < sizeof t / sizeof t[0]; ++i) {
    json_object *d;
    lct_quiet ();
    d = PARSE (h2k_linuxcfg_ifupdown, t[i].text);
    lct_loud ();
    CHECK (d == NULL);
    CHECK_STR (h2k_first_error (), t[i].msg);
    h2k_clear_error ();
  }
}

static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  if (lct_has (rel, "/debian-interfaces/") || strcmp (base, "interfaces") == 0
      || lct_has (rel, "/interfaces.d/"))
    json_object_put (lct_try (h2k_linuxcfg_ifupdown, rel, opaque));
}

TEST (corpus)
{
  struct lct_stats st = { 0 };

  lct_walk (corpus_fn, &st);
  printf ("# ifupdown corpus: %d parsed, %d refused\n", st.parsed, st.refused);
  CHECK (st.parsed >= 19);
  /* testcase.12, .14, .15 (ifupdown's own error cases), ifupdown-bridge
   * (prose around an example).
   */
  CHECK_INT (st.refused, 4);
  CHECK_INT (st.bad_messages, 0);
}

static json_object *
corpus_file (const char *rel)
{
  return lct_parse (h2k_linuxcfg_ifupdown, rel);
}

TEST (corpus_amodio)
{
  json_object *d =
    corpus_file ("linux-guest-config/debian-interfaces/amodio-debian-interfaces");

  CHECK_INT (lct_len (lct_get (d, "interfaces")), 2);
  CHECK_STR (lct_s (lct_get (iface (d, 1), "name")), "eth0");
  CHECK (json_object_get_boolean (lct_get (iface (d, 1), "auto")));
  CHECK (json_object_get_boolean (lct_get (iface (d, 1), "allow_hotplug")));
  CHECK_STR (lct_s (opt (d, 1, 0, "address")), "192.168.0.1");
  CHECK_STR (lct_s (opt (d, 1, 0, "netmask")), "255.255.255.0");
  CHECK_STR (lct_s (opt (d, 1, 0, "gateway")), "192.168.0.254");
  CHECK_STR (lct_s (lct_get (stanza (d, 1, 1), "family")), "inet6");
  CHECK_STR (lct_s (opt (d, 1, 1, "gateway")), "2a01:e34:ef8d:4360::1");
  CHECK_INT (json_object_get_int (lct_get (stanza (d, 1, 1), "line")), 17);
  CHECK_STR (lct_s (lct_get (lct_idx (lct_get (d, "sources"), 0), "path")),
             "/etc/network/interfaces.d/*");
  json_object_put (d);
}

TEST (corpus_testcases)
{
  json_object *d;

  /* testcase.3: seven inet6 stanzas for eth0, odd addresses kept raw. */
  d = corpus_file ("linux-guest-config/debian-interfaces/ifupdown-tests/testcase.3");
  CHECK_INT (lct_len (lct_get (iface (d, 0), "stanzas")), 8);
  CHECK_STR (lct_s (opt (d, 0, 7, "address")), "/");
  CHECK_STR (lct_s (opt (d, 1, 1, "accept_ra")), "1");
  json_object_put (d);
  /* testcase.4: a mapping. */
  d = corpus_file ("linux-guest-config/debian-interfaces/ifupdown-tests/testcase.4");
  CHECK_STR (lct_s (lct_get (lct_idx (lct_get (d, "mappings"), 0), "script")),
             "tests/map.eth0.work");
  CHECK_STR (lct_s (lct_get (iface (d, 0), "name")), "work");
  json_object_put (d);
  /* pattern-matching: patterns stay in "auto", not in interfaces. */
  d = corpus_file ("linux-guest-config/debian-interfaces/ifupdown-pattern-matching");
  CHECK_INT (lct_len (lct_get (d, "auto")), 5);
  CHECK_STR (lct_s (lct_get (lct_idx (lct_get (d, "auto"), 2), "name")),
             "mac/01:23:45:67:89:ad/=foo");
  CHECK_INT (lct_len (lct_get (d, "interfaces")), 5);
  json_object_put (d);
  /* resel: no trailing newline on the last line. */
  d = corpus_file ("linux-guest-config/debian-interfaces/resel-debian8-interfaces");
  CHECK_STR (lct_s (opt (d, 1, 0, "gateway")), "172.22.2.24");
  CHECK_STR (lct_s (opt (d, 1, 0, "address")), "172.22.2.XXX");
  json_object_put (d);
}

TEST (fuzz)
{
  lct_fuzz (h2k_linuxcfg_ifupdown,
            "auto eth0\niface eth0 inet static\n  address 1.2.3.4/24\n"
            "  up a \\\n b\nmapping eth0\n script x\n map a b\n"
            "source /x\nallow-hotplug eth1\n", 3, 3000);
  CHECK (1);
}

int
main (void)
{
  RUN (basic);
  RUN (inherits_and_repeats);
  RUN (errors);
  RUN_CORPUS (corpus);
  RUN_CORPUS (corpus_amodio);
  RUN_CORPUS (corpus_testcases);
  RUN (fuzz);
  return test_done ();
}
