/* Unit tests: YAML (netplan) to JSON through libyaml. */

#include <json-c/json.h>

#include "linuxcfg-test.h"

static const char *
dump (json_object *o)
{
  return o ? json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN |
                                             JSON_C_TO_STRING_NOSLASHESCAPE)
    : NULL;
}

TEST (basic)
{
  json_object *d = PARSE (h2k_linuxcfg_yaml,
    "# netplan\n"
    "network:\n"
    "  version: 2\n"
    "  ethernets:\n"
    "    eth0:\n"
    "      match: {macaddress: \"52:54:00:aa:bb:cc\"}\n"
    "      set-name: lan0\n"
    "      dhcp4: true\n"
    "      addresses: [10.0.0.5/24, \"fd00::5/64\"]\n"
    "      nameservers:\n"
    "        addresses:\n"
    "          - 1.1.1.1\n"
    "      empty:\n"
    "      tilde: ~\n"
    "      text: |\n"
    "        two\n"
    "        lines\n");

  CHECK_STR (dump (d),
             "{\"network\":{\"version\":\"2\",\"ethernets\":{\"eth0\":{"
             "\"match\":{\"macaddress\":\"52:54:00:aa:bb:cc\"},"
             "\"set-name\":\"lan0\",\"dhcp4\":\"true\","
             "\"addresses\":[\"10.0.0.5/24\",\"fd00::5/64\"],"
             "\"nameservers\":{\"addresses\":[\"1.1.1.1\"]},"
             "\"empty\":\"\",\"tilde\":\"~\",\"text\":\"two\\nlines\\n\"}}}}");
  json_object_put (d);

  d = PARSE (h2k_linuxcfg_yaml, "");
  CHECK_STR (dump (d), "{}");
  json_object_put (d);
  d = PARSE (h2k_linuxcfg_yaml, "# only a comment\n");
  CHECK_STR (dump (d), "{}");
  json_object_put (d);
  d = PARSE (h2k_linuxcfg_yaml, "base: &b {a: 1}\nother: *b\n");
  CHECK_STR (dump (d), "{\"base\":{\"a\":\"1\"},\"other\":{\"a\":\"1\"}}");
  json_object_put (d);
}

TEST (errors)
{
  static const struct { const char *text, *msg; } t[] = {
    { "a: 1\na: 2\n", "test: line 2: duplicate key 'a'" },
    { "a:\n  - b\n c: d\n",
      "test: line 3: did not find expected key (while parsing a block mapping)" },
    { "a: [1, 2\n",
      "test: line 2: did not find expected ',' or ']' (while parsing a flow "
      "sequence)" },
    { "a: 1\n---\nb: 2\n", "test: line 2: more than one YAML document" },
    { "? [x]\n: y\n", "test: line 1: mapping key is not a scalar" },
    { "a: *nope\n", "test: line 1: found undefined alias" },
  };
  size_t i;

  for (i = 0; i < sizeof t / sizeof t[0]; ++i) {
    json_object *d;
    lct_quiet ();
    d = PARSE (h2k_linuxcfg_yaml, t[i].text);
    lct_loud ();
    CHECK (d == NULL);
    CHECK_STR (h2k_first_error (), t[i].msg);
    h2k_clear_error ();
  }
}

TEST (limits)
{
  char *buf = malloc (1000);
  json_object *d;
  int i;

  /* Nesting. */
  for (i = 0; i < 200; ++i)
    buf[i] = '[';
  buf[200] = '\0';
  lct_quiet ();
  d = PARSE (h2k_linuxcfg_yaml, buf);
  CHECK (d == NULL);
  CHECK (lct_has (h2k_first_error (), "test: line "));
  h2k_clear_error ();
  /* Billion laughs. */
  d = PARSE (h2k_linuxcfg_yaml,
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
  CHECK (d == NULL);
  CHECK (lct_has (h2k_first_error (), "too many nodes"));
  h2k_clear_error ();
  d = h2k_linuxcfg_yaml ("a: b\0c", 6, "nul");
  CHECK (d == NULL);
  CHECK_STR (h2k_first_error (), "nul: NUL byte at offset 4: not a text file");
  h2k_clear_error ();
  lct_loud ();
  free (buf);
}

static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  if (lct_ends (base, ".yaml") || lct_ends (base, ".yml"))
    json_object_put (lct_try (h2k_linuxcfg_yaml, rel, opaque));
}

TEST (corpus)
{
  struct lct_stats st = { 0 };

  lct_walk (corpus_fn, &st);
  printf ("# yaml corpus: %d parsed, %d refused\n", st.parsed, st.refused);
  CHECK (st.parsed >= 35);
  CHECK_INT (st.refused, 0);
  CHECK_INT (st.bad_messages, 0);
}

static json_object *
corpus_file (const char *rel)
{
  return lct_parse (h2k_linuxcfg_yaml, rel);
}

TEST (corpus_values)
{
  json_object *d = corpus_file ("linux-guest-config/netplan/static.yaml");

  CHECK_STR (dump (d),
             "{\"network\":{\"version\":\"2\",\"renderer\":\"networkd\","
             "\"ethernets\":{\"enp3s0\":{\"addresses\":[\"10.10.10.2/24\"],"
             "\"nameservers\":{\"search\":[\"mydomain\",\"otherdomain\"],"
             "\"addresses\":[\"10.10.10.1\",\"1.1.1.1\"]},"
             "\"routes\":[{\"to\":\"default\",\"via\":\"10.10.10.1\"}]}}}}");
  json_object_put (d);
  d = corpus_file ("linux-guest-config/netplan/vlan.yaml");
  CHECK_STR (lct_s (lct_get (lct_get (lct_get (lct_get (lct_get (d, "network"),
                                                        "ethernets"), "mainif"),
                                      "match"), "macaddress")),
             "de:ad:be:ef:ca:fe");
  CHECK_STR (lct_s (lct_get (lct_get (lct_get (lct_get (d, "network"), "vlans"),
                                      "vlan15"), "link")), "mainif");
  json_object_put (d);
}

TEST (fuzz)
{
  lct_fuzz (h2k_linuxcfg_yaml,
            "network:\n  version: 2\n  ethernets:\n    e: {dhcp4: yes}\n"
            "    f:\n      addresses: [1.2.3.4/24]\n      x: &a [1]\n"
            "      y: *a\n", 6, 3000);
  CHECK (1);
}

int
main (void)
{
  RUN (basic);
  RUN (errors);
  RUN (limits);
  RUN_CORPUS (corpus);
  RUN_CORPUS (corpus_values);
  RUN (fuzz);
  return test_done ();
}
