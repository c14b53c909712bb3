/* h2k: the network interpreter: parsed guest files to a uniform list of
 * configured interfaces.  See h2k_linuxcfg_network in linuxcfg.h.
 *
 * This file holds the shared model (small helpers and the output records,
 * which the backends use through linuxcfg-priv.h), the udev persistent-net
 * rules and the dispatch; each backend is in linuxcfg-net-BACKEND.c.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"
#include "util.h"

#define NAME "network configuration"

/* ---- small helpers ---------------------------------------------------- */

int
h2k_linuxcfg_netmask_prefix (const char *mask)
{
  struct in_addr a;
  unsigned long v;
  char *end;
  uint32_t m;
  int n = 0;

  if (mask == NULL || *mask == '\0')
    return -1;
  if (strchr (mask, '.') == NULL) {
    if (!isdigit ((unsigned char) *mask))
      return -1;
    v = strtoul (mask, &end, 10);
    return *end == '\0' && v <= 128 ? (int) v : -1;
  }
  if (inet_pton (AF_INET, mask, &a) != 1)
    return -1;
  m = ntohl (a.s_addr);
  while (m & 0x80000000u) {
    n++;
    m <<= 1;
  }
  return m == 0 ? n : -1;
}

static int
is_ipv6 (const char *s)
{
  return strchr (s, ':') != NULL;
}

/* Is S an IP address (no prefix)? */
static int
is_ip (const char *s)
{
  unsigned char buf[16];

  return inet_pton (AF_INET, s, buf) == 1 || inet_pton (AF_INET6, s, buf) == 1;
}

int
h2k_lc_truthy (const char *s)
{
  return s && (strcasecmp (s, "yes") == 0 || strcasecmp (s, "true") == 0 ||
               strcasecmp (s, "on") == 0 || strcmp (s, "1") == 0 ||
               strcasecmp (s, "y") == 0);
}

/* The classful default prefix NetworkManager gives an ifcfg IPv4 address
 * without PREFIX or NETMASK.
 */
static int
classful_prefix (const char *addr)
{
  int first = atoi (addr);

  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

const char *
h2k_lc_basename (const char *path)
{
  const char *s = strrchr (path, '/');

  return s ? s + 1 : path;
}

/* Safe on anything: json-c asserts on the wrong type. */
json_object *
h2k_lc_arr_get (json_object *a, size_t i)
{
  return i < h2k_json_array_len (a) ? json_object_array_get_idx (a, i) : NULL;
}

int
h2k_lc_is_obj (json_object *o)
{
  return json_object_is_type (o, json_type_object);
}

/* String value of V, or "" (never NULL). */
const char *
h2k_lc_str_or_empty (json_object *v)
{
  return json_object_is_type (v, json_type_string)
    ? json_object_get_string (v) : "";
}

json_object *
h2k_lc_member (json_object *o, const char *key)
{
  json_object *v = NULL;

  if (o && json_object_is_type (o, json_type_object))
    json_object_object_get_ex (o, key, &v);
  return v;
}

/* ---- the output records ------------------------------------------------ */

json_object *
h2k_lc_new_iface (json_object *out, const char *backend, const char *file,
                  int line, const char *ifname)
{
  json_object *o = json_object_new_object ();

  if (h2k_lc_array_add (out, o) == -1 ||
      json_object_object_add (o, "name", ifname
                              ? json_object_new_string (ifname) : NULL) ||
      h2k_lc_add_str (o, "backend", backend) == -1 ||
      h2k_lc_add_str (o, "file", file) == -1 ||
      (line > 0 && h2k_lc_add_int (o, "line", line) == -1) ||
      h2k_lc_add_str (o, "method", "manual") == -1 ||
      json_object_object_add (o, "addresses", json_object_new_array ()) ||
      json_object_object_add (o, "dns", json_object_new_array ()) ||
      json_object_object_add (o, "routes", json_object_new_array ()))
    return NULL;
  return o;
}

/* Add ADDR with PREFIX (-1: ADDR may carry its own "/N" or "/MASK"; if it
 * has none, DEFPREFIX is used unless it is -1).  Invalid addresses are
 * skipped.
 */
int
h2k_lc_add_address (json_object *o, const char *addr, int prefix,
                    int defprefix)
{
  CLEANUP_FREE char *a = strdup (addr ? addr : "");
  CLEANUP_FREE char *s = NULL;
  char *slash;

  if (a == NULL)
    return -1;
  slash = strchr (a, '/');
  if (slash) {
    *slash++ = '\0';
    if (prefix < 0)
      prefix = h2k_linuxcfg_netmask_prefix (slash);
  }
  if (!is_ip (a)) {
    h2k_debug ("skipping invalid address '%s'", addr ? addr : "");
    return 0;
  }
  if (prefix < 0)
    prefix = defprefix >= 0 ? defprefix
      : is_ipv6 (a) ? 64 : classful_prefix (a);
  if (prefix > (is_ipv6 (a) ? 128 : 32)) {
    h2k_debug ("skipping address '%s' with a bad prefix", addr);
    return 0;
  }
  if (asprintf (&s, "%s/%d", a, prefix) == -1) {
    s = NULL;
    return -1;
  }
  return h2k_lc_array_add_str (h2k_lc_member (o, "addresses"), s);
}

/* Gateway: the first one of each family wins. */
int
h2k_lc_set_gateway (json_object *o, const char *gw)
{
  const char *key;

  if (gw == NULL || !is_ip (gw))
    return 0;
  key = is_ipv6 (gw) ? "gateway6" : "gateway";
  if (h2k_lc_member (o, key))
    return 0;
  return h2k_lc_add_str (o, key, gw);
}

int
h2k_lc_add_dns (json_object *o, const char *server)
{
  json_object *dns = h2k_lc_member (o, "dns");
  size_t i;

  if (!is_ip (server))
    return 0;
  for (i = 0; i < h2k_json_array_len (dns); ++i)
    if (strcmp (json_object_get_string (h2k_lc_arr_get (dns, i)),
                server) == 0)
      return 0;
  return h2k_lc_array_add_str (dns, server);
}

/* Add every IP in a list separated by any of SEPS. */
int
h2k_lc_add_dns_list (json_object *o, const char *list, const char *seps)
{
  CLEANUP_FREE char *copy = strdup (list ? list : "");
  char *tok, *save = NULL;

  if (copy == NULL)
    return -1;
  for (tok = strtok_r (copy, seps, &save); tok;
       tok = strtok_r (NULL, seps, &save))
    if (h2k_lc_add_dns (o, tok) == -1)
      return -1;
  return 0;
}

/* A route; a default one (TO "default", "0.0.0.0/0", "::/0" or NULL)
 * becomes the gateway instead.
 */
int
h2k_lc_add_route (json_object *o, const char *to, const char *via)
{
  json_object *r;

  if (to == NULL || strcmp (to, "default") == 0 ||
      strcmp (to, "0.0.0.0/0") == 0 || strcmp (to, "::/0") == 0)
    return h2k_lc_set_gateway (o, via);
  r = json_object_new_object ();
  if (h2k_lc_array_add (h2k_lc_member (o, "routes"), r) == -1 ||
      h2k_lc_add_str (r, "to", to) == -1 ||
      (via && is_ip (via) && h2k_lc_add_str (r, "via", via) == -1))
    return -1;
  return 0;
}

int
h2k_lc_set_mac_pin (json_object *o, const char *mac, const char *source)
{
  CLEANUP_FREE char *m = strdup (mac ? mac : "");
  char *p;

  if (m == NULL)
    return -1;
  for (p = m; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  if (*m == '\0' || h2k_lc_member (o, "mac_pin"))
    return 0;
  if (h2k_lc_add_str (o, "mac_pin", m) == -1 ||
      h2k_lc_add_str (o, "mac_pin_source", source) == -1)
    return -1;
  return 0;
}

/* "ip route add 10.0.0.0/8 via 1.2.3.4 ..." or "route add -net N netmask M
 * gw G" in an ifupdown up line, or "10.0.0.0/8 via 1.2.3.4 dev eth0" in a
 * route-NAME file.
 */
int
h2k_lc_parse_route_cmd (json_object *o, const char *cmd)
{
  CLEANUP_FREE char *copy = strdup (cmd);
  char *w[32], *save = NULL, *tok;
  const char *to = NULL, *via = NULL, *mask = NULL;
  int n = 0, i, start = 0;

  if (copy == NULL)
    return -1;
  for (tok = strtok_r (copy, " \t", &save); tok && n < 32;
       tok = strtok_r (NULL, " \t", &save))
    w[n++] = tok;
  for (i = 0; i + 1 < n; ++i)
    if (strcmp (w[i], "route") == 0 &&
        (strcmp (w[i + 1], "add") == 0 || strcmp (w[i + 1], "append") == 0 ||
         strcmp (w[i + 1], "replace") == 0)) {
      start = i + 2;
      break;
    }
  if (start == 0 && n > 0 && (strcmp (w[0], "default") == 0 || is_ip (w[0]) ||
                              strchr (w[0], '/')))
    start = 0;
  else if (start == 0)
    return 0;
  for (i = start; i < n; ++i) {
    if ((strcmp (w[i], "via") == 0 || strcmp (w[i], "gw") == 0) && i + 1 < n)
      via = w[++i];
    else if (strcmp (w[i], "netmask") == 0 && i + 1 < n)
      mask = w[++i];
    else if ((strcmp (w[i], "-net") == 0 || strcmp (w[i], "-host") == 0 ||
              strcmp (w[i], "to") == 0) && i + 1 < n)
      to = w[++i];
    else if (to == NULL && w[i][0] != '-' &&
             (strcmp (w[i], "default") == 0 || strchr (w[i], '/') ||
              is_ip (w[i])))
      to = w[i];
  }
  if (to == NULL)
    return 0;
  if (mask && strchr (to, '/') == NULL) {
    CLEANUP_FREE char *full = NULL;
    int p = h2k_linuxcfg_netmask_prefix (mask);
    if (p < 0)
      return 0;
    if (asprintf (&full, "%s/%d", to, p) == -1) {
      full = NULL;
      return -1;
    }
    return h2k_lc_add_route (o, full, via);
  }
  return h2k_lc_add_route (o, to, via);
}

/* ---- udev persistent-net rules ------------------------------------------ */

static int
apply_udev (json_object *out, json_object *files)
{
  size_t i, j;

  json_object_object_foreach (files, file, rules) {
    (void) file;
    if (!json_object_is_type (rules, json_type_array))
      continue;
    for (i = 0; i < h2k_json_array_len (out); ++i) {
      json_object *o = h2k_lc_arr_get (out, i);
      const char *n = h2k_lc_get_str (o, "set_name");

      if (n == NULL)
        n = h2k_lc_get_str (o, "name");
      if (n == NULL || h2k_lc_member (o, "mac_pin"))
        continue;
      for (j = 0; j < h2k_json_array_len (rules); ++j) {
        json_object *r = h2k_lc_arr_get (rules, j);
        const char *rn = h2k_lc_get_str (r, "name");
        const char *mac = h2k_lc_get_str (r, "mac");
        if (rn && mac && strcmp (rn, n) == 0) {
          if (h2k_lc_set_mac_pin (o, mac, "udev") == -1)
            return -1;
          break;
        }
      }
    }
  }
  return 0;
}

/* ---- entry point -------------------------------------------------------- */

/* FILES is { path: doc } or (accepted too) [ doc, ... ], whose records
 * are then named KIND[i].
 */
static int
each_file (json_object *out, json_object *files, const char *kind,
           int (*fn) (json_object *, const char *, json_object *))
{
  size_t i;

  if (json_object_is_type (files, json_type_array)) {
    for (i = 0; i < h2k_json_array_len (files); ++i) {
      char name[64];
      snprintf (name, sizeof name, "%s[%zu]", kind, i);
      if (fn (out, name, h2k_lc_arr_get (files, i)) == -1)
        return -1;
    }
    return 0;
  }
  if (!h2k_lc_is_obj (files))
    return 0;
  json_object_object_foreach (files, f, d) {
    if (fn (out, f, d) == -1)
      return -1;
  }
  return 0;
}

json_object *
h2k_linuxcfg_network (json_object *input)
{
  CLEANUP_JSON json_object *out = json_object_new_array ();
  json_object *v, *ret;

  if (input == NULL || !json_object_is_type (input, json_type_object)) {
    h2k_lc_error (NAME, 0, "interpreter input is not a JSON object");
    return NULL;
  }
  if (out == NULL)
    goto oom;
  if ((v = h2k_lc_member (input, "ifupdown")) &&
      each_file (out, v, "ifupdown", h2k_lc_net_ifupdown))
    goto oom;
  if ((v = h2k_lc_member (input, "netplan")) &&
      each_file (out, v, "netplan", h2k_lc_net_netplan))
    goto oom;
  if (h2k_lc_is_obj (v = h2k_lc_member (input, "ifcfg")) &&
      h2k_lc_net_ifcfg (out, v, 0) == -1)
    goto oom;
  if (h2k_lc_is_obj (v = h2k_lc_member (input, "wicked")) &&
      h2k_lc_net_ifcfg (out, v, 1) == -1)
    goto oom;
  if (h2k_lc_is_obj (v = h2k_lc_member (input, "networkmanager")) &&
      h2k_lc_net_networkmanager (out, v) == -1)
    goto oom;
  if (h2k_lc_is_obj (v = h2k_lc_member (input, "networkd")) &&
      h2k_lc_net_networkd (out, v) == -1)
    goto oom;
  if (h2k_lc_is_obj (v = h2k_lc_member (input, "udev_net")) &&
      apply_udev (out, v) == -1)
    goto oom;
  ret = out;
  out = NULL;
  return ret;
 oom:
  h2k_lc_oom (NAME);
  return NULL;
}
