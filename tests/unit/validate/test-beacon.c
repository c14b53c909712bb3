/* h2k-validate: the beacon: its token, its script, reading its block
 * from the console, and parsing what it reported.
 */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"

#define TOK "0123456789abcdef0123456789abcdef"

static json_object *
reported (const struct beacon *b)
{
  return beacon_reported (b);
}

static const char *
str_at (json_object *arr, size_t i, const char *key)
{
  return h2k_json_get_string (json_object_array_get_idx (arr, i), key);
}

static const char *
addr_at (json_object *arr, size_t i, size_t j)
{
  json_object *a = h2k_json_get_array (json_object_array_get_idx (arr, i), "addresses");
  return json_object_get_string (json_object_array_get_idx (a, j));
}

static size_t
n_addrs (json_object *arr, size_t i)
{
  json_object *a = h2k_json_get_array (json_object_array_get_idx (arr, i), "addresses");
  return a ? json_object_array_length (a) : 99;
}

/* Two tokens differ, and are 32 hex digits. */
TEST (token_random)
{
  char a[BEACON_TOKEN_LEN + 1], b[BEACON_TOKEN_LEN + 1];

  CHECK_INT (beacon_token (a), 0);
  CHECK_INT (beacon_token (b), 0);
  CHECK_INT ((int) strlen (a), BEACON_TOKEN_LEN);
  CHECK_INT ((int) strspn (a, "0123456789abcdef"), BEACON_TOKEN_LEN);
  CHECK (strcmp (a, b) != 0);
}

/* The script holds the token, the times, the console and the poweroff. */
TEST (script)
{
  CLEANUP_FREE char *s = beacon_script (TOK, 60, 90);

  CHECK (s != NULL);
  CHECK (strncmp (s, "#!/bin/sh\n", 10) == 0);
  CHECK (strstr (s, "\nT=" TOK "\n") != NULL);
  CHECK (strstr (s, "\nW=60\nH=90\n") != NULL);
  CHECK (strstr (s, "C=/dev/ttyS0") != NULL);
  CHECK (strstr (s, "ip -br addr") != NULL);
  CHECK (strstr (s, "H2K-BEACON %s END") != NULL);
  CHECK (strstr (s, "poweroff") != NULL);
  /* No printf conversion of ours is left unexpanded. */
  CHECK (strstr (s, "%d") == NULL);
}

/* Lines with other tokens, or without the tag, are ignored; interleaved
 * console output does no harm; the block ends at END.
 */
TEST (feed_block)
{
  struct beacon b;
  CLEANUP_JSON json_object *r = NULL;

  beacon_init (&b, TOK);
  CHECK_INT (beacon_feed_line (&b, "[  OK  ] Started h2k-validate boot beacon."), BEACON_NONE);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON ffffffffffffffffffffffffffffffff BEGIN waited=1 format=ip-br"), BEACON_NONE);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " | lo UNKNOWN 127.0.0.1/8"), BEACON_NONE);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " BEGIN waited=7 format=ip-br"), BEACON_BEGUN);
  CHECK_INT (b.waited, 7);
  CHECK_STR (b.format, "ip-br");
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " | lo               UNKNOWN        127.0.0.1/8 ::1/128"), BEACON_BEGUN);
  CHECK_INT (beacon_feed_line (&b, "[   12.345678] random kernel message"), BEACON_BEGUN);
  CHECK_INT (beacon_feed_line (&b, "noise H2K-BEACON " TOK " | ens192           UP             192.168.122.50/24 fe80::250:56ff:fe3a:5c01/64"), BEACON_BEGUN);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " ENDX"), BEACON_BEGUN);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " END"), BEACON_ENDED);
  /* Sticky. */
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " BEGIN waited=0 format=ip"), BEACON_ENDED);
  CHECK_INT ((int) b.n_lines, 2);
  r = reported (&b);
  CHECK_INT ((int) json_object_array_length (r), 2);
  CHECK_STR (str_at (r, 1, "name"), "ens192");
  CHECK_STR (str_at (r, 1, "state"), "UP");
  CHECK_STR (addr_at (r, 1, 0), "192.168.122.50/24");
  CHECK_STR (addr_at (r, 1, 1), "fe80::250:56ff:fe3a:5c01/64");
  CHECK_STR (addr_at (r, 0, 1), "::1/128");
  beacon_free (&b);
}

/* END without BEGIN is nothing. */
TEST (end_without_begin)
{
  struct beacon b;

  beacon_init (&b, TOK);
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " END"), BEACON_NONE);
  beacon_free (&b);
}

/* `ip -br addr` lines: no address, a veth name with @, a blank line. */
TEST (ip_br_lines)
{
  CLEANUP_JSON json_object *a = json_object_new_array ();

  CHECK_INT (beacon_parse_ip_br_line ("enp1s0           DOWN           ", a), 0);
  CHECK_INT (beacon_parse_ip_br_line ("veth0@if5        UP             10.0.0.2/24", a), 0);
  CHECK_INT (beacon_parse_ip_br_line ("   ", a), 0);
  CHECK_INT ((int) json_object_array_length (a), 2);
  CHECK_STR (str_at (a, 0, "name"), "enp1s0");
  CHECK_STR (str_at (a, 0, "state"), "DOWN");
  CHECK_INT ((int) n_addrs (a, 0), 0);
  CHECK_STR (str_at (a, 1, "name"), "veth0@if5");
  CHECK_STR (addr_at (a, 1, 0), "10.0.0.2/24");
}

/* Without `ip -br`: `ip addr`. */
TEST (ip_addr_format)
{
  struct beacon b;
  CLEANUP_JSON json_object *r = NULL;

  beacon_init (&b, TOK);
  beacon_feed_line (&b, "H2K-BEACON " TOK " BEGIN waited=3 format=ip");
  beacon_feed_line (&b, "H2K-BEACON " TOK " | 1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |     link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |     inet 127.0.0.1/8 scope host lo");
  beacon_feed_line (&b, "H2K-BEACON " TOK " | 2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |     inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |     inet6 fe80::1/64 scope link");
  CHECK_INT (beacon_feed_line (&b, "H2K-BEACON " TOK " END"), BEACON_ENDED);
  r = reported (&b);
  CHECK_INT ((int) json_object_array_length (r), 2);
  CHECK_STR (str_at (r, 0, "name"), "lo");
  CHECK_STR (str_at (r, 0, "state"), "UNKNOWN");
  CHECK_STR (addr_at (r, 0, 0), "127.0.0.1/8");
  CHECK_STR (str_at (r, 1, "name"), "eth0");
  CHECK_STR (str_at (r, 1, "state"), "UP");
  CHECK_STR (addr_at (r, 1, 0), "10.0.2.15/24");
  CHECK_STR (addr_at (r, 1, 1), "fe80::1/64");
  beacon_free (&b);
}

/* Without ip at all: both styles of ifconfig. */
TEST (ifconfig_format)
{
  struct beacon b;
  CLEANUP_JSON json_object *r = NULL;

  beacon_init (&b, TOK);
  beacon_feed_line (&b, "H2K-BEACON " TOK " BEGIN waited=0 format=ifconfig");
  beacon_feed_line (&b, "H2K-BEACON " TOK " | ens3: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |         inet 192.168.1.9  netmask 255.255.255.0  broadcast 192.168.1.255");
  beacon_feed_line (&b, "H2K-BEACON " TOK " | eth1      Link encap:Ethernet  HWaddr 52:54:00:12:34:56");
  beacon_feed_line (&b, "H2K-BEACON " TOK " |           inet addr:10.1.2.3  Bcast:10.1.255.255  Mask:255.255.0.0");
  beacon_feed_line (&b, "H2K-BEACON " TOK " END");
  r = reported (&b);
  CHECK_INT ((int) json_object_array_length (r), 2);
  CHECK_STR (str_at (r, 0, "name"), "ens3");
  CHECK_STR (addr_at (r, 0, 0), "192.168.1.9/24");
  CHECK_STR (str_at (r, 1, "name"), "eth1");
  CHECK_STR (addr_at (r, 1, 0), "10.1.2.3/16");
  beacon_free (&b);
}

/* The console hands complete lines to the hook. */
static int
collect (void *opaque, const char *line)
{
  return beacon_feed_line (opaque, line) == -1 ? -1 : 0;
}

TEST (console_hook)
{
  struct console c;
  struct beacon b;
  const char *text = "\r\n\x1b[0mH2K-BEACON " TOK " BEGIN waited=2 format=ip-br\r\n"
    "H2K-BEACON " TOK " | eth0 UP 10.0.2.15/24\r\nH2K-BEACON " TOK " EN";

  beacon_init (&b, TOK);
  CHECK_INT (console_init (&c, "login:"), 0);
  c.on_line = collect;
  c.opaque = &b;
  CHECK_INT (console_feed (&c, text, strlen (text)), CONSOLE_NOTHING);
  CHECK_INT (b.state, BEACON_BEGUN);
  CHECK_INT (console_feed (&c, "D\r\n", 3), CONSOLE_NOTHING);
  CHECK_INT (b.state, BEACON_ENDED);
  CHECK_STR (b.lines[0], "eth0 UP 10.0.2.15/24");
  console_free (&c);
  beacon_free (&b);
}

int
main (void)
{
  RUN (token_random);
  RUN (script);
  RUN (feed_block);
  RUN (end_without_begin);
  RUN (ip_br_lines);
  RUN (ip_addr_format);
  RUN (ifconfig_format);
  RUN (console_hook);
  return test_done ();
}
