/* Unit tests: INI-style files (NetworkManager keyfiles, systemd-networkd). */

#include <json-c/json.h>

#include "linuxcfg-test.h"

static json_object *
section (json_object *d, size_t i)
{
  return lct_idx (lct_get (d, "sections"), i);
}

static json_object *
entry (json_object *d, size_t i, size_t j)
{
  return lct_idx (lct_get (section (d, i), "entries"), j);
}

TEST (basic)
{
  json_object *d = PARSE (h2k_linuxcfg_ini,
    "# comment\n"
    "; another\n"
    "[Match]\n"
    "Name=eth0\n"
    "MACAddress = 52:54:00:AA:BB:CC  \n"
    "\n"
    "[Network]\n"
    "Address=10.0.0.5/24\n"
    "Address=10.0.0.6/24\n"
    "DNS=1.1.1.1 \\\n"
    "    8.8.8.8\n"
    "Empty=\n"
    "[Route]\n"
    "Gateway=10.0.0.1\n"
    "[Route]\n"
    "Destination=192.168.0.0/16\n"
    "Weird=a=b\n");

  CHECK (d != NULL);
  CHECK_INT (lct_len (lct_get (d, "sections")), 4);
  CHECK_STR (lct_s (lct_get (section (d, 0), "name")), "Match");
  CHECK_INT (json_object_get_int (lct_get (section (d, 0), "line")), 3);
  CHECK_STR (lct_s (lct_get (entry (d, 0, 1), "key")), "MACAddress");
  CHECK_STR (lct_s (lct_get (entry (d, 0, 1), "value")), "52:54:00:AA:BB:CC");
  CHECK_INT (json_object_get_int (lct_get (entry (d, 0, 1), "line")), 5);
  CHECK_INT (lct_len (lct_get (section (d, 1), "entries")), 4);
  CHECK_STR (lct_s (lct_get (entry (d, 1, 1), "value")), "10.0.0.6/24");
  CHECK_STR (lct_s (lct_get (entry (d, 1, 2), "value")),
             "1.1.1.1      8.8.8.8");
  CHECK_INT (json_object_get_int (lct_get (entry (d, 1, 2), "line")), 10);
  CHECK_STR (lct_s (lct_get (entry (d, 1, 3), "value")), "");
  CHECK_INT (json_object_get_int (lct_get (entry (d, 1, 3), "line")), 12);
  CHECK_STR (lct_s (lct_get (entry (d, 3, 1), "value")), "a=b");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "Network", "Address"), "10.0.0.6/24");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "Route", "Gateway"), "10.0.0.1");
  CHECK (h2k_linuxcfg_ini_get (d, "Network", "Nope") == NULL);
  CHECK (h2k_linuxcfg_ini_get (d, "Nope", "Name") == NULL);
  json_object_put (d);
}

TEST (errors)
{
  static const struct { const char *text, *msg; } t[] = {
    { "Name=eth0\n", "test: line 1: key 'Name' outside any [section]" },
    { "[Match\n", "test: line 1: section header without closing ']'" },
    { "[Match]\nbare words\n",
      "test: line 2: expected '[section]' or 'key=value'" },
    { "[Match]\n\n = x\n", "test: line 3: empty key before '='" },
  };
  size_t i;

  for (i = 0; i < sizeof t / sizeof t[0]; ++i) {
    json_object *d;
    lct_quiet ();
    d = PARSE (h2k_linuxcfg_ini, t[i].text);
    lct_loud ();
    CHECK (d == NULL);
    CHECK_STR (h2k_first_error (), t[i].msg);
    h2k_clear_error ();
  }
}

static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  if (lct_has (rel, "/networkmanager-keyfile/") ||
      lct_ends (base, ".nmconnection") || lct_ends (base, ".network") ||
      lct_ends (base, ".link") || lct_ends (base, ".netdev"))
    json_object_put (lct_try (h2k_linuxcfg_ini, rel, opaque));
}

TEST (corpus)
{
  struct lct_stats st = { 0 };

  lct_walk (corpus_fn, &st);
  printf ("# ini corpus: %d parsed, %d refused\n", st.parsed, st.refused);
  CHECK (st.parsed >= 32);
  CHECK_INT (st.refused, 0);
  CHECK_INT (st.bad_messages, 0);
}

static json_object *
corpus_file (const char *rel)
{
  return lct_parse (h2k_linuxcfg_ini, rel);
}

TEST (corpus_values)
{
  json_object *d;

  d = corpus_file ("linux-guest-config/networkmanager-keyfile/"
                   "Test_Wired_Connection");
  CHECK_INT (lct_len (lct_get (d, "sections")), 4);
  CHECK_STR (h2k_linuxcfg_ini_get (d, "802-3-ethernet", "mac-address"),
             "00:11:22:33:44:55");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "ipv4", "method"), "manual");
  /* Duplicate keys kept in order: address30 twice. */
  CHECK_STR (h2k_linuxcfg_ini_get (d, "ipv4", "address30"), "1.2.3.30/24");
  CHECK_STR (lct_s (lct_get (entry (d, 2, 1), "value")),
             "4.2.2.1;bogus;4.2.2.2;");
  CHECK_INT (json_object_get_int (lct_get (section (d, 3), "line")), 49);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/networkmanager-keyfile/Test_minimal_2");
  CHECK_INT (lct_len (lct_get (d, "sections")), 1);
  CHECK_INT (lct_len (lct_get (section (d, 0), "entries")), 0);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/systemd-networkd/systemd/"
                   "12-dummy-match-mac-01.network");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "Match", "MACAddress"),
             "12:34:56:78:9a:01");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "Network", "Address"), "10.0.0.1/16");
  CHECK_INT (json_object_get_int (lct_get (section (d, 0), "line")), 2);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/networkmanager-keyfile/Test_TC_Config");
  CHECK_STR (h2k_linuxcfg_ini_get (d, "tc", "tfilter.ffff:"),
             "matchall action simple sdata Hello");
  json_object_put (d);
}

TEST (fuzz)
{
  lct_fuzz (h2k_linuxcfg_ini,
            "[connection]\nid=x\n[ipv4]\naddress1=1.2.3.4/24,1.2.3.1\n"
            "dns=1.1.1.1;\\\n 8.8.8.8\n", 5, 3000);
  CHECK (1);
}

int
main (void)
{
  RUN (basic);
  RUN (errors);
  RUN_CORPUS (corpus);
  RUN_CORPUS (corpus_values);
  RUN (fuzz);
  return test_done ();
}
