/* h2k: the network interpreter: parsed guest files to a uniform list of
 * configured interfaces.  See h2k_linuxcfg_network in linuxcfg.h.
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

static int
truthy (const char *s)
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

static const char *
basename_of (const char *path)
{
  const char *s = strrchr (path, '/');

  return s ? s + 1 : path;
}

/* Safe on anything: json-c asserts on the wrong type. */
static size_t
arr_len (json_object *a)
{
  return json_object_is_type (a, json_type_array)
    ? json_object_array_length (a) : 0;
}

static json_object *
arr_get (json_object *a, size_t i)
{
  return i < arr_len (a) ? json_object_array_get_idx (a, i) : NULL;
}

static int
is_obj (json_object *o)
{
  return json_object_is_type (o, json_type_object);
}

/* String value of V, or "" (never NULL). */
static const char *
str_or_empty (json_object *v)
{
  return json_object_is_type (v, json_type_string)
    ? json_object_get_string (v) : "";
}

static json_object *
member (json_object *o, const char *key)
{
  json_object *v = NULL;

  if (o && json_object_is_type (o, json_type_object))
    json_object_object_get_ex (o, key, &v);
  return v;
}

/* ---- the output records ------------------------------------------------ */

static json_object *
new_iface (json_object *out, const char *backend, const char *file, int line,
           const char *ifname)
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
static int
add_address (json_object *o, const char *addr, int prefix, int defprefix)
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
  return h2k_lc_array_add_str (member (o, "addresses"), s);
}

/* Gateway: the first one of each family wins. */
static int
set_gateway (json_object *o, const char *gw)
{
  const char *key;

  if (gw == NULL || !is_ip (gw))
    return 0;
  key = is_ipv6 (gw) ? "gateway6" : "gateway";
  if (member (o, key))
    return 0;
  return h2k_lc_add_str (o, key, gw);
}

static int
add_dns (json_object *o, const char *server)
{
  json_object *dns = member (o, "dns");
  size_t i;

  if (!is_ip (server))
    return 0;
  for (i = 0; i < arr_len (dns); ++i)
    if (strcmp (json_object_get_string (arr_get (dns, i)),
                server) == 0)
      return 0;
  return h2k_lc_array_add_str (dns, server);
}

/* Add every IP in a list separated by any of SEPS. */
static int
add_dns_list (json_object *o, const char *list, const char *seps)
{
  CLEANUP_FREE char *copy = strdup (list ? list : "");
  char *tok, *save = NULL;

  if (copy == NULL)
    return -1;
  for (tok = strtok_r (copy, seps, &save); tok;
       tok = strtok_r (NULL, seps, &save))
    if (add_dns (o, tok) == -1)
      return -1;
  return 0;
}

/* A route; a default one (TO "default", "0.0.0.0/0", "::/0" or NULL)
 * becomes the gateway instead.
 */
static int
add_route (json_object *o, const char *to, const char *via)
{
  json_object *r;

  if (to == NULL || strcmp (to, "default") == 0 ||
      strcmp (to, "0.0.0.0/0") == 0 || strcmp (to, "::/0") == 0)
    return set_gateway (o, via);
  r = json_object_new_object ();
  if (h2k_lc_array_add (member (o, "routes"), r) == -1 ||
      h2k_lc_add_str (r, "to", to) == -1 ||
      (via && is_ip (via) && h2k_lc_add_str (r, "via", via) == -1))
    return -1;
  return 0;
}

static int
set_mac_pin (json_object *o, const char *mac, const char *source)
{
  CLEANUP_FREE char *m = strdup (mac ? mac : "");
  char *p;

  if (m == NULL)
    return -1;
  for (p = m; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  if (*m == '\0' || member (o, "mac_pin"))
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
static int
parse_route_cmd (json_object *o, const char *cmd)
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
    return add_route (o, full, via);
  }
  return add_route (o, to, via);
}

/* ---- ifupdown ----------------------------------------------------------- */

/* Call FN on OPT when it is a string, or on each element of an array. */
static int
each_value (json_object *opt, json_object *o,
            int (*fn) (json_object *, const char *))
{
  size_t i;

  if (opt == NULL)
    return 0;
  if (json_object_is_type (opt, json_type_string))
    return fn (o, json_object_get_string (opt));
  if (json_object_is_type (opt, json_type_array))
    for (i = 0; i < arr_len (opt); ++i) {
      json_object *v = arr_get (opt, i);
      if (json_object_is_type (v, json_type_string) &&
          fn (o, json_object_get_string (v)) == -1)
        return -1;
    }
  return 0;
}

static int
ifupdown_dns (json_object *o, const char *v)
{
  return add_dns_list (o, v, " \t,");
}

static int
ifupdown_stanza (json_object *o, json_object *st)
{
  json_object *opts = member (st, "options"), *addr = member (opts, "address");
  const char *method = h2k_lc_get_str (st, "method");
  const char *family = h2k_lc_get_str (st, "family");
  const char *mask = h2k_lc_get_str (opts, "netmask");
  static const char *route_keys[] = { "up", "post-up", "pre-up" };
  size_t i;

  if (method && strcmp (method, "static") == 0 && addr) {
    int prefix = mask ? h2k_linuxcfg_netmask_prefix (mask) : -1;
    int def = family && strcmp (family, "inet6") == 0 ? 64 : -1;
    size_t n = json_object_is_type (addr, json_type_array)
      ? arr_len (addr) : 1;

    for (i = 0; i < n; ++i) {
      json_object *a = json_object_is_type (addr, json_type_array)
        ? arr_get (addr, i) : addr;
      if (add_address (o, str_or_empty (a), prefix, def) == -1)
        return -1;
    }
  }
  if (set_gateway (o, h2k_lc_get_str (opts, "gateway")) == -1 ||
      each_value (member (opts, "dns-nameservers"), o, ifupdown_dns) == -1)
    return -1;
  for (i = 0; i < sizeof route_keys / sizeof route_keys[0]; ++i)
    if (each_value (member (opts, route_keys[i]), o, parse_route_cmd) == -1)
      return -1;
  return 0;
}

static const char *
ifupdown_method (json_object *stanzas)
{
  const char *first = NULL;
  size_t i;
  int dhcp = 0, stat = 0;

  for (i = 0; i < arr_len (stanzas); ++i) {
    const char *m = h2k_lc_get_str (arr_get (stanzas, i),
                                "method");
    if (m == NULL)
      continue;
    if (first == NULL)
      first = m;
    if (strcmp (m, "dhcp") == 0 || strcmp (m, "auto") == 0 ||
        strcmp (m, "bootp") == 0)
      dhcp = 1;
    if (strcmp (m, "static") == 0)
      stat = 1;
  }
  if (first && strcmp (first, "loopback") == 0)
    return NULL;
  return dhcp ? "dhcp" : stat ? "static" : "manual";
}

static int
do_ifupdown (json_object *out, const char *file, json_object *doc)
{
  json_object *ifaces = member (doc, "interfaces");
  size_t i, j;

  for (i = 0; i < arr_len (ifaces); ++i) {
    json_object *ifc = arr_get (ifaces, i);
    json_object *stanzas = member (ifc, "stanzas"), *o;
    const char *ifname = h2k_lc_get_str (ifc, "name"), *method;

    if (ifname == NULL || strcmp (ifname, "lo") == 0 ||
        arr_len (stanzas) == 0)
      continue;
    method = ifupdown_method (stanzas);
    if (method == NULL)
      continue;
    o = new_iface (out, "ifupdown", file,
                   json_object_get_int (member (arr_get
                                                (stanzas, 0), "line")),
                   ifname);
    if (o == NULL || h2k_lc_add_str (o, "method", method) == -1)
      return -1;
    for (j = 0; j < arr_len (stanzas); ++j)
      if (ifupdown_stanza (o, arr_get (stanzas, j)) == -1)
        return -1;
  }
  return 0;
}

/* ---- netplan ------------------------------------------------------------ */

static int
netplan_iface (json_object *out, const char *file, const char *id,
               json_object *cfg)
{
  json_object *match = member (cfg, "match");
  json_object *addrs = member (cfg, "addresses");
  json_object *routes = member (cfg, "routes"), *ns, *o;
  const char *ifname = id;
  size_t i;

  if (match && h2k_lc_get_str (match, "name") &&
      strpbrk (h2k_lc_get_str (match, "name"), "*?[") == NULL)
    ifname = h2k_lc_get_str (match, "name");
  if (strcmp (ifname, "lo") == 0)
    return 0;
  o = new_iface (out, "netplan", file, 0, ifname);
  if (o == NULL)
    return -1;
  if (h2k_lc_get_str (cfg, "set-name") &&
      h2k_lc_add_str (o, "set_name", h2k_lc_get_str (cfg, "set-name")) == -1)
    return -1;
  if (h2k_lc_get_str (match, "macaddress") &&
      set_mac_pin (o, h2k_lc_get_str (match, "macaddress"), "config") == -1)
    return -1;
  if (truthy (h2k_lc_get_str (cfg, "dhcp4")) ||
      truthy (h2k_lc_get_str (cfg, "dhcp6")))
    h2k_lc_add_str (o, "method", "dhcp");
  else if (addrs && arr_len (addrs) > 0)
    h2k_lc_add_str (o, "method", "static");
  if (json_object_is_type (addrs, json_type_array))
    for (i = 0; i < arr_len (addrs); ++i) {
      json_object *a = arr_get (addrs, i);
      if (json_object_is_type (a, json_type_object)) {
        /* "- 10.0.0.5/24: { lifetime: 0 }" */
        json_object_object_foreach (a, k, v) {
          (void) v;
          if (add_address (o, k, -1, -1) == -1)
            return -1;
        }
      }
      else if (add_address (o, str_or_empty (a), -1, -1) == -1)
        return -1;
    }
  if (set_gateway (o, h2k_lc_get_str (cfg, "gateway4")) == -1 ||
      set_gateway (o, h2k_lc_get_str (cfg, "gateway6")) == -1)
    return -1;
  if (json_object_is_type (routes, json_type_array))
    for (i = 0; i < arr_len (routes); ++i) {
      json_object *r = arr_get (routes, i);
      if (add_route (o, h2k_lc_get_str (r, "to"),
                     h2k_lc_get_str (r, "via")) == -1)
        return -1;
    }
  ns = member (member (cfg, "nameservers"), "addresses");
  if (json_object_is_type (ns, json_type_array))
    for (i = 0; i < arr_len (ns); ++i)
      if (add_dns (o, str_or_empty (arr_get (ns, i))) == -1)
        return -1;
  return 0;
}

static int
do_netplan (json_object *out, const char *file, json_object *doc)
{
  json_object *net = member (doc, "network");

  if (!json_object_is_type (net, json_type_object))
    return 0;
  json_object_object_foreach (net, type, devs) {
    if (strcmp (type, "version") == 0 || strcmp (type, "renderer") == 0 ||
        !json_object_is_type (devs, json_type_object))
      continue;
    json_object_object_foreach (devs, id, cfg) {
      if (json_object_is_type (cfg, json_type_object) &&
          netplan_iface (out, file, id, cfg) == -1)
        return -1;
    }
  }
  return 0;
}

/* ---- ifcfg (RHEL) and wicked (SUSE) ------------------------------------- */

static const char *
var (json_object *doc, const char *key)
{
  return h2k_lc_get_str (member (doc, "vars"), key);
}

static int
var_line (json_object *doc, const char *key)
{
  json_object *l = member (member (doc, "lines"), key);

  return l ? json_object_get_int (l) : 0;
}

/* IPADDR / IPADDRn (RHEL) with PREFIXn or NETMASKn. */
static int
ifcfg_addresses (json_object *o, json_object *doc)
{
  json_object *vars = member (doc, "vars");

  if (!is_obj (vars))
    return 0;
  json_object_object_foreach (vars, k, v) {
    char suffix[64], key[80];
    const char *mask;
    int prefix = -1;

    if (strncmp (k, "IPADDR", 6) != 0 || strlen (k) > 6 + 8)
      continue;
    snprintf (suffix, sizeof suffix, "%s", k + 6);
    if (suffix[0] && strspn (suffix, "0123456789") != strlen (suffix))
      continue;
    snprintf (key, sizeof key, "PREFIX%s", suffix);
    mask = var (doc, key);
    if (mask == NULL) {
      snprintf (key, sizeof key, "NETMASK%s", suffix);
      mask = var (doc, key);
    }
    if (mask)
      prefix = h2k_linuxcfg_netmask_prefix (mask);
    if (add_address (o, str_or_empty (v), prefix, -1) == -1)
      return -1;
  }
  if (var (doc, "IPV6ADDR") &&
      add_address (o, var (doc, "IPV6ADDR"), -1, 64) == -1)
    return -1;
  if (var (doc, "IPV6ADDR_SECONDARIES")) {
    CLEANUP_FREE char *copy = strdup (var (doc, "IPV6ADDR_SECONDARIES"));
    char *tok, *save = NULL;
    if (copy == NULL)
      return -1;
    for (tok = strtok_r (copy, " \t", &save); tok;
         tok = strtok_r (NULL, " \t", &save))
      if (add_address (o, tok, -1, 64) == -1)
        return -1;
  }
  return 0;
}

/* IPADDR / IPADDR_x (SUSE) with PREFIXLEN_x or NETMASK_x. */
static int
wicked_addresses (json_object *o, json_object *doc)
{
  json_object *vars = member (doc, "vars");

  if (!is_obj (vars))
    return 0;
  json_object_object_foreach (vars, k, v) {
    char key[128];
    const char *suffix, *mask;
    int prefix = -1;

    if (strncmp (k, "IPADDR", 6) != 0 || (k[6] != '\0' && k[6] != '_') ||
        strlen (k) > 64)
      continue;
    suffix = k + 6;
    snprintf (key, sizeof key, "PREFIXLEN%s", suffix);
    mask = var (doc, key);
    if (mask == NULL) {
      snprintf (key, sizeof key, "NETMASK%s", suffix);
      mask = var (doc, key);
    }
    if (mask)
      prefix = h2k_linuxcfg_netmask_prefix (mask);
    if (*str_or_empty (v) &&
        add_address (o, str_or_empty (v), prefix, -1) == -1)
      return -1;
  }
  return 0;
}

static const char *
ifcfg_method (json_object *doc, int suse)
{
  const char *bp = var (doc, "BOOTPROTO");
  json_object *addrs;

  (void) addrs;
  if (bp && (strncasecmp (bp, "dhcp", 4) == 0 || strcasecmp (bp, "bootp") == 0
             || strcasecmp (bp, "auto") == 0))
    return "dhcp";
  if (!suse && truthy (var (doc, "DHCPV6C")))
    return "dhcp";
  return NULL;                  /* decided from the addresses */
}

static int
do_ifcfg_file (json_object *out, const char *file, json_object *doc,
               int suse)
{
  const char *base = basename_of (file), *ifname, *method;
  const char *backend = suse ? "wicked" : "ifcfg";
  json_object *o;
  char key[16];
  int i;

  if (strncmp (base, "ifcfg-", 6) != 0)
    return 0;
  ifname = var (doc, "DEVICE");
  if (ifname == NULL || *ifname == '\0')
    ifname = base + 6;
  if (strcmp (ifname, "lo") == 0)
    return 0;
  o = new_iface (out, backend, file, var_line (doc, "DEVICE"), ifname);
  if (o == NULL)
    return -1;
  if (!suse && var (doc, "HWADDR") &&
      set_mac_pin (o, var (doc, "HWADDR"), "config") == -1)
    return -1;
  if ((suse ? wicked_addresses (o, doc) : ifcfg_addresses (o, doc)) == -1)
    return -1;
  method = ifcfg_method (doc, suse);
  if (method == NULL)
    method = arr_len (member (o, "addresses")) > 0
      ? "static" : "manual";
  if (h2k_lc_add_str (o, "method", method) == -1 ||
      set_gateway (o, var (doc, "GATEWAY")) == -1 ||
      set_gateway (o, var (doc, "IPV6_DEFAULTGW")) == -1)
    return -1;
  for (i = 0; i < 10; ++i) {
    snprintf (key, sizeof key, "DNS%d", i);
    if (var (doc, key) && add_dns (o, var (doc, key)) == -1)
      return -1;
  }
  return 0;
}

/* The output record of interface IFNAME from BACKEND, or NULL. */
static json_object *
find_iface (json_object *out, const char *backend, const char *ifname)
{
  size_t i;

  for (i = 0; i < arr_len (out); ++i) {
    json_object *o = arr_get (out, i);
    const char *n = h2k_lc_get_str (o, "name");
    if (n && strcmp (n, ifname) == 0 &&
        strcmp (h2k_lc_get_str (o, "backend"), backend) == 0)
      return o;
  }
  return NULL;
}

/* The record made from the file ifcfg-SUFFIX beside ROUTEFILE (route
 * files go with the ifcfg file of the same suffix, whatever its DEVICE),
 * else the interface named SUFFIX.
 */
static json_object *
find_ifcfg_of (json_object *out, const char *backend, const char *routefile,
               const char *suffix)
{
  size_t dirlen = basename_of (routefile) - routefile, i;

  for (i = 0; i < arr_len (out); ++i) {
    json_object *o = arr_get (out, i);
    const char *f = h2k_lc_get_str (o, "file");

    if (f && strcmp (h2k_lc_get_str (o, "backend"), backend) == 0 &&
        strncmp (f, routefile, dirlen) == 0 &&
        strncmp (f + dirlen, "ifcfg-", 6) == 0 &&
        strcmp (f + dirlen + 6, suffix) == 0)
      return o;
  }
  return find_iface (out, backend, suffix);
}

/* route-NAME (RHEL: ADDRESSn/NETMASKn/GATEWAYn, or "ip route" lines kept
 * in "ignored"), ifroute-NAME and routes (SUSE: "DEST GW MASK IFACE").
 */
static int
do_route_file (json_object *out, const char *file, json_object *doc,
               int suse)
{
  const char *base = basename_of (file), *backend = suse ? "wicked" : "ifcfg";
  json_object *o = NULL, *ign = member (doc, "ignored");
  size_t i;

  if (strncmp (base, "route-", 6) == 0 && !suse)
    o = find_ifcfg_of (out, backend, file, base + 6);
  else if (strncmp (base, "route6-", 7) == 0 && !suse)
    o = find_ifcfg_of (out, backend, file, base + 7);
  else if (strncmp (base, "ifroute-", 8) == 0 && suse)
    o = find_ifcfg_of (out, backend, file, base + 8);
  else if (strcmp (base, "routes") != 0 || !suse)
    return 0;
  if (o == NULL && strcmp (base, "routes") != 0)
    return 0;
  if (!suse) {
    for (i = 0; i < 256; ++i) {
      char a[24], m[24], g[24];
      const char *addr, *mask;
      CLEANUP_FREE char *to = NULL;
      int p;

      snprintf (a, sizeof a, "ADDRESS%zu", i);
      snprintf (m, sizeof m, "NETMASK%zu", i);
      snprintf (g, sizeof g, "GATEWAY%zu", i);
      addr = var (doc, a);
      if (addr == NULL)
        continue;
      mask = var (doc, m);
      p = mask ? h2k_linuxcfg_netmask_prefix (mask) : 32;
      if (p < 0)
        continue;
      if (asprintf (&to, "%s/%d", addr, p) == -1) {
        to = NULL;
        return -1;
      }
      if (add_route (o, to, var (doc, g)) == -1)
        return -1;
    }
  }
  for (i = 0; i < arr_len (ign); ++i) {
    const char *text = h2k_lc_get_str (arr_get (ign, i), "text");
    CLEANUP_FREE char *copy = strdup (text ? text : "");
    char *w[4] = { NULL }, *save = NULL, *tok;
    json_object *target = o;
    int n = 0;

    if (copy == NULL)
      return -1;
    if (!suse) {
      if (parse_route_cmd (o, text) == -1)
        return -1;
      continue;
    }
    for (tok = strtok_r (copy, " \t", &save); tok && n < 4;
         tok = strtok_r (NULL, " \t", &save))
      w[n++] = tok;
    if (n < 2)
      continue;
    if (target == NULL && n >= 4 && strcmp (w[3], "-") != 0)
      target = find_iface (out, backend, w[3]);
    if (target == NULL) {
      /* A global default route: the first static interface. */
      size_t k;
      for (k = 0; k < arr_len (out) && target == NULL; ++k) {
        json_object *c = arr_get (out, k);
        if (strcmp (h2k_lc_get_str (c, "backend"), backend) == 0 &&
            strcmp (h2k_lc_get_str (c, "method"), "static") == 0)
          target = c;
      }
    }
    if (target == NULL)
      continue;
    if (n >= 3 && strcmp (w[2], "-") != 0 && strchr (w[0], '/') == NULL &&
        strcmp (w[0], "default") != 0) {
      CLEANUP_FREE char *to = NULL;
      int p = h2k_linuxcfg_netmask_prefix (w[2]);
      if (p < 0)
        continue;
      if (asprintf (&to, "%s/%d", w[0], p) == -1) {
        to = NULL;
        return -1;
      }
      if (add_route (target, to, w[1]) == -1)
        return -1;
    }
    else if (add_route (target, w[0], strcmp (w[1], "-") ? w[1] : NULL) == -1)
      return -1;
  }
  return 0;
}

static int
do_ifcfg (json_object *out, json_object *files, int suse)
{
  /* Interfaces first, then the route files that refer to them. */
  json_object_object_foreach (files, f1, d1) {
    if (do_ifcfg_file (out, f1, d1, suse) == -1)
      return -1;
  }
  json_object_object_foreach (files, f2, d2) {
    if (do_route_file (out, f2, d2, suse) == -1)
      return -1;
  }
  return 0;
}

/* ---- NetworkManager keyfiles ------------------------------------------- */

/* "00;22;170;187;204;254;" (old keyfile format) to "00:16:aa:bb:cc:fe". */
static char *
nm_mac (const char *v)
{
  char buf[64] = "", *end;
  const char *p = v;
  int n = 0;

  if (strchr (v, ';') == NULL)
    return strdup (v);
  while (*p && n < 20) {
    unsigned long b = strtoul (p, &end, 10);
    if (end == p || b > 255)
      return strdup (v);
    snprintf (buf + strlen (buf), sizeof buf - strlen (buf), "%s%02lx",
              n ? ":" : "", b);
    n++;
    p = *end == ';' ? end + 1 : end;
    if (*end != ';')
      break;
  }
  return strdup (buf);
}

/* address1=1.2.3.4/24,1.2.3.1 or addresses1=1.2.3.4;24;1.2.3.1; */
static int
nm_address (json_object *o, const char *v)
{
  CLEANUP_FREE char *copy = strdup (v);
  char *gw = NULL, *semi;

  if (copy == NULL)
    return -1;
  semi = strchr (copy, ';');
  if (semi && (strchr (copy, ',') == NULL || semi < strchr (copy, ','))) {
    /* old format: addr;prefix;gw; */
    char *pfx = semi + 1, *g = strchr (pfx, ';');
    *semi = '\0';
    if (g) {
      *g++ = '\0';
      gw = g;
      if ((g = strchr (gw, ';')))
        *g = '\0';
    }
    if (add_address (o, copy, h2k_linuxcfg_netmask_prefix (pfx), -1) == -1)
      return -1;
  }
  else {
    char *comma = strchr (copy, ',');
    if (comma) {
      *comma = '\0';
      gw = comma + 1;
    }
    if (add_address (o, copy, -1, -1) == -1)
      return -1;
  }
  return gw && *gw ? set_gateway (o, gw) : 0;
}

/* route1=10.0.0.0/8,1.2.3.4,100 or routes1=10.0.0.0/8;1.2.3.4;100; */
static int
nm_route (json_object *o, const char *v)
{
  CLEANUP_FREE char *copy = strdup (v);
  char *sep, *via = NULL;

  if (copy == NULL)
    return -1;
  sep = copy + strcspn (copy, ",;");
  if (*sep) {
    via = sep + 1;
    via[strcspn (via, ",;")] = '\0';
  }
  *sep = '\0';
  if (strchr (copy, '/') == NULL)
    return 0;
  return add_route (o, copy, via);
}

/* Is KEY "address", "addresses" or one of them followed by digits? */
static int
numbered (const char *key, const char *a, const char *b)
{
  size_t l;

  if (strncmp (key, b, strlen (b)) == 0)
    l = strlen (b);
  else if (strncmp (key, a, strlen (a)) == 0)
    l = strlen (a);
  else
    return 0;
  return strspn (key + l, "0123456789") == strlen (key + l);
}

static int
nm_ip_section (json_object *o, json_object *section)
{
  json_object *entries = member (section, "entries");
  size_t i;

  for (i = 0; i < arr_len (entries); ++i) {
    json_object *e = arr_get (entries, i);
    const char *k = h2k_lc_get_str (e, "key"), *v = h2k_lc_get_str (e, "value");

    if (k == NULL || v == NULL)
      continue;
    if (numbered (k, "address", "addresses")) {
      if (nm_address (o, v) == -1)
        return -1;
    }
    else if (numbered (k, "route", "routes")) {
      if (nm_route (o, v) == -1)
        return -1;
    }
    else if (strcmp (k, "gateway") == 0) {
      if (set_gateway (o, v) == -1)
        return -1;
    }
    else if (strcmp (k, "dns") == 0) {
      if (add_dns_list (o, v, ";,") == -1)
        return -1;
    }
  }
  return 0;
}

static int
do_nm_file (json_object *out, const char *file, json_object *doc)
{
  json_object *sections = member (doc, "sections"), *o, *conn = NULL;
  const char *ifname = h2k_linuxcfg_ini_get (doc, "connection",
                                             "interface-name");
  const char *type = h2k_linuxcfg_ini_get (doc, "connection", "type");
  const char *m4 = h2k_linuxcfg_ini_get (doc, "ipv4", "method");
  const char *m6 = h2k_linuxcfg_ini_get (doc, "ipv6", "method");
  const char *mac = h2k_linuxcfg_ini_get (doc, "ethernet", "mac-address");
  size_t i;

  if (type && strcmp (type, "loopback") == 0)
    return 0;
  if (ifname && strcmp (ifname, "lo") == 0)
    return 0;
  for (i = 0; i < arr_len (sections) && !conn; ++i) {
    json_object *s = arr_get (sections, i);
    if (h2k_lc_get_str (s, "name") &&
        strcmp (h2k_lc_get_str (s, "name"), "connection") == 0)
      conn = s;
  }
  o = new_iface (out, "networkmanager", file,
                 conn ? json_object_get_int (member (conn, "line")) : 0,
                 ifname);
  if (o == NULL)
    return -1;
  if (mac == NULL)
    mac = h2k_linuxcfg_ini_get (doc, "802-3-ethernet", "mac-address");
  if (mac) {
    CLEANUP_FREE char *m = nm_mac (mac);
    if (m == NULL || set_mac_pin (o, m, "config") == -1)
      return -1;
  }
  for (i = 0; i < arr_len (sections); ++i) {
    json_object *s = arr_get (sections, i);
    const char *sn = h2k_lc_get_str (s, "name");
    if (sn && (strcmp (sn, "ipv4") == 0 || strcmp (sn, "ipv6") == 0) &&
        nm_ip_section (o, s) == -1)
      return -1;
  }
  if ((m4 && (strcmp (m4, "auto") == 0)) ||
      (!m4 && m6 && (strcmp (m6, "auto") == 0 || strcmp (m6, "dhcp") == 0)))
    return h2k_lc_add_str (o, "method", "dhcp");
  if (arr_len (member (o, "addresses")) > 0)
    return h2k_lc_add_str (o, "method", "static");
  return 0;
}

static int
do_networkmanager (json_object *out, json_object *files)
{
  json_object_object_foreach (files, file, doc) {
    if (do_nm_file (out, file, doc) == -1)
      return -1;
  }
  return 0;
}

/* ---- systemd-networkd ---------------------------------------------------- */

/* First blank-separated word of V (caller frees). */
static char *
first_word (const char *v)
{
  v = h2k_lc_skip_blank (v);
  return strndup (v, strcspn (v, " \t"));
}

static int
networkd_section (json_object *o, const char *sn, json_object *section,
                  int *dhcp)
{
  json_object *entries = member (section, "entries");
  const char *dest = NULL, *gw = NULL;
  int route = strcmp (sn, "Route") == 0;
  size_t i;

  for (i = 0; i < arr_len (entries); ++i) {
    json_object *e = arr_get (entries, i);
    const char *k = h2k_lc_get_str (e, "key"), *v = h2k_lc_get_str (e, "value");

    if (k == NULL || v == NULL)
      continue;
    if (route) {
      if (strcmp (k, "Destination") == 0) dest = v;
      else if (strcmp (k, "Gateway") == 0) gw = v;
      continue;
    }
    if (strcmp (sn, "Network") == 0 && strcmp (k, "DHCP") == 0)
      *dhcp = truthy (v) || strcmp (v, "ipv4") == 0 || strcmp (v, "ipv6") == 0
        || strcmp (v, "both") == 0;
    else if ((strcmp (sn, "Network") == 0 || strcmp (sn, "Address") == 0) &&
             strcmp (k, "Address") == 0) {
      if (add_address (o, v, -1, -1) == -1)
        return -1;
    }
    else if (strcmp (sn, "Network") == 0 && strcmp (k, "Gateway") == 0) {
      if (set_gateway (o, v) == -1)
        return -1;
    }
    else if (strcmp (sn, "Network") == 0 && strcmp (k, "DNS") == 0) {
      if (add_dns_list (o, v, " \t") == -1)
        return -1;
    }
  }
  if (route && (dest || gw))
    return add_route (o, dest, gw);
  return 0;
}

static int
do_networkd (json_object *out, json_object *files)
{
  /* .network files produce interfaces; .link files rename them. */
  json_object_object_foreach (files, file, doc) {
    json_object *sections = member (doc, "sections"), *o;
    CLEANUP_FREE char *ifname = NULL;
    const char *n = h2k_linuxcfg_ini_get (doc, "Match", "Name");
    const char *mac = h2k_linuxcfg_ini_get (doc, "Match", "MACAddress");
    int dhcp = 0;
    size_t i;

    if (!h2k_ends_with_ci (file, ".network"))
      continue;
    if (n && (ifname = first_word (n)) == NULL)
      return -1;
    if (ifname && strcmp (ifname, "lo") == 0)
      continue;
    o = new_iface (out, "networkd", file, 0, ifname);
    if (o == NULL)
      return -1;
    if (mac) {
      CLEANUP_FREE char *m = first_word (mac);
      if (m == NULL || set_mac_pin (o, m, "config") == -1)
        return -1;
    }
    for (i = 0; i < arr_len (sections); ++i) {
      json_object *s = arr_get (sections, i);
      if (h2k_lc_get_str (s, "name") &&
          networkd_section (o, h2k_lc_get_str (s, "name"), s, &dhcp) == -1)
        return -1;
    }
    if (dhcp)
      h2k_lc_add_str (o, "method", "dhcp");
    else if (arr_len (member (o, "addresses")) > 0)
      h2k_lc_add_str (o, "method", "static");
  }
  json_object_object_foreach (files, lfile, ldoc) {
    const char *name = h2k_linuxcfg_ini_get (ldoc, "Link", "Name");
    const char *mac = h2k_linuxcfg_ini_get (ldoc, "Match", "MACAddress");
    json_object *o;

    if (!h2k_ends_with_ci (lfile, ".link") || name == NULL)
      continue;
    o = find_iface (out, "networkd", name);
    if (o == NULL)
      continue;
    if (h2k_lc_add_str (o, "set_name", name) == -1)
      return -1;
    if (mac) {
      CLEANUP_FREE char *m = first_word (mac);
      if (m == NULL || set_mac_pin (o, m, "config") == -1)
        return -1;
    }
  }
  return 0;
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
    for (i = 0; i < arr_len (out); ++i) {
      json_object *o = arr_get (out, i);
      const char *n = h2k_lc_get_str (o, "set_name");

      if (n == NULL)
        n = h2k_lc_get_str (o, "name");
      if (n == NULL || member (o, "mac_pin"))
        continue;
      for (j = 0; j < arr_len (rules); ++j) {
        json_object *r = arr_get (rules, j);
        const char *rn = h2k_lc_get_str (r, "name");
        const char *mac = h2k_lc_get_str (r, "mac");
        if (rn && mac && strcmp (rn, n) == 0) {
          if (set_mac_pin (o, mac, "udev") == -1)
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
    for (i = 0; i < arr_len (files); ++i) {
      char name[64];
      snprintf (name, sizeof name, "%s[%zu]", kind, i);
      if (fn (out, name, arr_get (files, i)) == -1)
        return -1;
    }
    return 0;
  }
  if (!is_obj (files))
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
  if ((v = member (input, "ifupdown")) &&
      each_file (out, v, "ifupdown", do_ifupdown))
    goto oom;
  if ((v = member (input, "netplan")) &&
      each_file (out, v, "netplan", do_netplan))
    goto oom;
  if (is_obj (v = member (input, "ifcfg")) && do_ifcfg (out, v, 0) == -1)
    goto oom;
  if (is_obj (v = member (input, "wicked")) && do_ifcfg (out, v, 1) == -1)
    goto oom;
  if (is_obj (v = member (input, "networkmanager")) &&
      do_networkmanager (out, v) == -1)
    goto oom;
  if (is_obj (v = member (input, "networkd")) && do_networkd (out, v) == -1)
    goto oom;
  if (is_obj (v = member (input, "udev_net")) && apply_udev (out, v) == -1)
    goto oom;
  ret = out;
  out = NULL;
  return ret;
 oom:
  h2k_lc_oom (NAME);
  return NULL;
}
