/* h2k: the network interpreter's NetworkManager backend
 * (keyfiles, system-connections/NAME.nmconnection):
 * parsed files to interface records.  The model is in linuxcfg-net.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

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
    if (h2k_lc_add_address (o, copy, h2k_linuxcfg_netmask_prefix (pfx),
                            -1) == -1)
      return -1;
  }
  else {
    char *comma = strchr (copy, ',');
    if (comma) {
      *comma = '\0';
      gw = comma + 1;
    }
    if (h2k_lc_add_address (o, copy, -1, -1) == -1)
      return -1;
  }
  return gw && *gw ? h2k_lc_set_gateway (o, gw) : 0;
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
  return h2k_lc_add_route (o, copy, via);
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
  json_object *entries = h2k_lc_member (section, "entries");
  size_t i;

  for (i = 0; i < h2k_json_array_len (entries); ++i) {
    json_object *e = h2k_lc_arr_get (entries, i);
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
      if (h2k_lc_set_gateway (o, v) == -1)
        return -1;
    }
    else if (strcmp (k, "dns") == 0) {
      if (h2k_lc_add_dns_list (o, v, ";,") == -1)
        return -1;
    }
  }
  return 0;
}

static int
do_nm_file (json_object *out, const char *file, json_object *doc)
{
  json_object *sections = h2k_lc_member (doc, "sections"), *o, *conn = NULL;
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
  for (i = 0; i < h2k_json_array_len (sections) && !conn; ++i) {
    json_object *s = h2k_lc_arr_get (sections, i);
    if (h2k_lc_get_str (s, "name") &&
        strcmp (h2k_lc_get_str (s, "name"), "connection") == 0)
      conn = s;
  }
  o = h2k_lc_new_iface (out, "networkmanager", file,
                        conn ? json_object_get_int (h2k_lc_member (conn,
                                                                   "line"))
                        : 0,
                        ifname);
  if (o == NULL)
    return -1;
  if (mac == NULL)
    mac = h2k_linuxcfg_ini_get (doc, "802-3-ethernet", "mac-address");
  if (mac) {
    CLEANUP_FREE char *m = nm_mac (mac);
    if (m == NULL || h2k_lc_set_mac_pin (o, m, "config") == -1)
      return -1;
  }
  for (i = 0; i < h2k_json_array_len (sections); ++i) {
    json_object *s = h2k_lc_arr_get (sections, i);
    const char *sn = h2k_lc_get_str (s, "name");
    if (sn && (strcmp (sn, "ipv4") == 0 || strcmp (sn, "ipv6") == 0) &&
        nm_ip_section (o, s) == -1)
      return -1;
  }
  if ((m4 && (strcmp (m4, "auto") == 0)) ||
      (!m4 && m6 && (strcmp (m6, "auto") == 0 || strcmp (m6, "dhcp") == 0)))
    return h2k_lc_add_str (o, "method", "dhcp");
  if (h2k_json_array_len (h2k_lc_member (o, "addresses")) > 0)
    return h2k_lc_add_str (o, "method", "static");
  return 0;
}

int
h2k_lc_net_networkmanager (json_object *out, json_object *files)
{
  json_object_object_foreach (files, file, doc) {
    if (do_nm_file (out, file, doc) == -1)
      return -1;
  }
  return 0;
}
