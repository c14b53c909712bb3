/* h2k: the network interpreter's ifcfg backend (RHEL's
 * network-scripts) and wicked (SUSE: ifcfg, ifroute and routes files):
 * parsed files to interface records.  The model is in linuxcfg-net.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

/* ---- ifcfg (RHEL) and wicked (SUSE) ------------------------------------- */

static const char *
var (json_object *doc, const char *key)
{
  return h2k_lc_get_str (h2k_lc_member (doc, "vars"), key);
}

static int
var_line (json_object *doc, const char *key)
{
  json_object *l = h2k_lc_member (h2k_lc_member (doc, "lines"), key);

  return l ? json_object_get_int (l) : 0;
}

/* IPADDR / IPADDRn (RHEL) with PREFIXn or NETMASKn. */
static int
ifcfg_addresses (json_object *o, json_object *doc)
{
  json_object *vars = h2k_lc_member (doc, "vars");

  if (!h2k_lc_is_obj (vars))
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
    if (h2k_lc_add_address (o, h2k_lc_str_or_empty (v), prefix, -1) == -1)
      return -1;
  }
  if (var (doc, "IPV6ADDR") &&
      h2k_lc_add_address (o, var (doc, "IPV6ADDR"), -1, 64) == -1)
    return -1;
  if (var (doc, "IPV6ADDR_SECONDARIES")) {
    CLEANUP_FREE char *copy = strdup (var (doc, "IPV6ADDR_SECONDARIES"));
    char *tok, *save = NULL;
    if (copy == NULL)
      return -1;
    for (tok = strtok_r (copy, " \t", &save); tok;
         tok = strtok_r (NULL, " \t", &save))
      if (h2k_lc_add_address (o, tok, -1, 64) == -1)
        return -1;
  }
  return 0;
}

/* IPADDR / IPADDR_x (SUSE) with PREFIXLEN_x or NETMASK_x. */
static int
wicked_addresses (json_object *o, json_object *doc)
{
  json_object *vars = h2k_lc_member (doc, "vars");

  if (!h2k_lc_is_obj (vars))
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
    if (*h2k_lc_str_or_empty (v) &&
        h2k_lc_add_address (o, h2k_lc_str_or_empty (v), prefix, -1) == -1)
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
  if (!suse && h2k_lc_truthy (var (doc, "DHCPV6C")))
    return "dhcp";
  return NULL;                  /* decided from the addresses */
}

static int
do_ifcfg_file (json_object *out, const char *file, json_object *doc,
               int suse)
{
  const char *base = h2k_lc_basename (file), *ifname, *method;
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
  o = h2k_lc_new_iface (out, backend, file, var_line (doc, "DEVICE"), ifname);
  if (o == NULL)
    return -1;
  if (!suse && var (doc, "HWADDR") &&
      h2k_lc_set_mac_pin (o, var (doc, "HWADDR"), "config") == -1)
    return -1;
  if ((suse ? wicked_addresses (o, doc) : ifcfg_addresses (o, doc)) == -1)
    return -1;
  method = ifcfg_method (doc, suse);
  if (method == NULL)
    method = h2k_json_array_len (h2k_lc_member (o, "addresses")) > 0
      ? "static" : "manual";
  if (h2k_lc_add_str (o, "method", method) == -1 ||
      h2k_lc_set_gateway (o, var (doc, "GATEWAY")) == -1 ||
      h2k_lc_set_gateway (o, var (doc, "IPV6_DEFAULTGW")) == -1)
    return -1;
  for (i = 0; i < 10; ++i) {
    snprintf (key, sizeof key, "DNS%d", i);
    if (var (doc, key) && h2k_lc_add_dns (o, var (doc, key)) == -1)
      return -1;
  }
  return 0;
}

/* The output record of interface IFNAME from BACKEND, or NULL. */
json_object *
h2k_lc_find_iface (json_object *out, const char *backend, const char *ifname)
{
  size_t i;

  for (i = 0; i < h2k_json_array_len (out); ++i) {
    json_object *o = h2k_lc_arr_get (out, i);
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
  size_t dirlen = h2k_lc_basename (routefile) - routefile, i;

  for (i = 0; i < h2k_json_array_len (out); ++i) {
    json_object *o = h2k_lc_arr_get (out, i);
    const char *f = h2k_lc_get_str (o, "file");

    if (f && strcmp (h2k_lc_get_str (o, "backend"), backend) == 0 &&
        strncmp (f, routefile, dirlen) == 0 &&
        strncmp (f + dirlen, "ifcfg-", 6) == 0 &&
        strcmp (f + dirlen + 6, suffix) == 0)
      return o;
  }
  return h2k_lc_find_iface (out, backend, suffix);
}

/* route-NAME (RHEL: ADDRESSn/NETMASKn/GATEWAYn, or "ip route" lines kept
 * in "ignored"), ifroute-NAME and routes (SUSE: "DEST GW MASK IFACE").
 */
static int
do_route_file (json_object *out, const char *file, json_object *doc,
               int suse)
{
  const char *base = h2k_lc_basename (file);
  const char *backend = suse ? "wicked" : "ifcfg";
  json_object *o = NULL, *ign = h2k_lc_member (doc, "ignored");
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
      if (h2k_lc_add_route (o, to, var (doc, g)) == -1)
        return -1;
    }
  }
  for (i = 0; i < h2k_json_array_len (ign); ++i) {
    const char *text = h2k_lc_get_str (h2k_lc_arr_get (ign, i), "text");
    CLEANUP_FREE char *copy = strdup (text ? text : "");
    char *w[4] = { NULL }, *save = NULL, *tok;
    json_object *target = o;
    int n = 0;

    if (copy == NULL)
      return -1;
    if (!suse) {
      if (h2k_lc_parse_route_cmd (o, text) == -1)
        return -1;
      continue;
    }
    for (tok = strtok_r (copy, " \t", &save); tok && n < 4;
         tok = strtok_r (NULL, " \t", &save))
      w[n++] = tok;
    if (n < 2)
      continue;
    if (target == NULL && n >= 4 && strcmp (w[3], "-") != 0)
      target = h2k_lc_find_iface (out, backend, w[3]);
    if (target == NULL) {
      /* A global default route: the first static interface. */
      size_t k;
      for (k = 0; k < h2k_json_array_len (out) && target == NULL; ++k) {
        json_object *c = h2k_lc_arr_get (out, k);
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
      if (h2k_lc_add_route (target, to, w[1]) == -1)
        return -1;
    }
    else if (h2k_lc_add_route (target, w[0],
                               strcmp (w[1], "-") ? w[1] : NULL) == -1)
      return -1;
  }
  return 0;
}

int
h2k_lc_net_ifcfg (json_object *out, json_object *files, int suse)
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
