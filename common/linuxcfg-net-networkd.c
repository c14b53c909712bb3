/* h2k: the network interpreter's systemd-networkd backend
 * (.network files):
 * parsed files to interface records.  The model is in linuxcfg-net.c.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"
#include "util.h"

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
  json_object *entries = h2k_lc_member (section, "entries");
  const char *dest = NULL, *gw = NULL;
  int route = strcmp (sn, "Route") == 0;
  size_t i;

  for (i = 0; i < h2k_json_array_len (entries); ++i) {
    json_object *e = h2k_lc_arr_get (entries, i);
    const char *k = h2k_lc_get_str (e, "key"), *v = h2k_lc_get_str (e, "value");

    if (k == NULL || v == NULL)
      continue;
    if (route) {
      if (strcmp (k, "Destination") == 0) dest = v;
      else if (strcmp (k, "Gateway") == 0) gw = v;
      continue;
    }
    if (strcmp (sn, "Network") == 0 && strcmp (k, "DHCP") == 0)
      *dhcp = h2k_lc_truthy (v) || strcmp (v, "ipv4") == 0 ||
        strcmp (v, "ipv6") == 0 || strcmp (v, "both") == 0;
    else if ((strcmp (sn, "Network") == 0 || strcmp (sn, "Address") == 0) &&
             strcmp (k, "Address") == 0) {
      if (h2k_lc_add_address (o, v, -1, -1) == -1)
        return -1;
    }
    else if (strcmp (sn, "Network") == 0 && strcmp (k, "Gateway") == 0) {
      if (h2k_lc_set_gateway (o, v) == -1)
        return -1;
    }
    else if (strcmp (sn, "Network") == 0 && strcmp (k, "DNS") == 0) {
      if (h2k_lc_add_dns_list (o, v, " \t") == -1)
        return -1;
    }
  }
  if (route && (dest || gw))
    return h2k_lc_add_route (o, dest, gw);
  return 0;
}

int
h2k_lc_net_networkd (json_object *out, json_object *files)
{
  /* .network files produce interfaces; .link files rename them. */
  json_object_object_foreach (files, file, doc) {
    json_object *sections = h2k_lc_member (doc, "sections"), *o;
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
    o = h2k_lc_new_iface (out, "networkd", file, 0, ifname);
    if (o == NULL)
      return -1;
    if (mac) {
      CLEANUP_FREE char *m = first_word (mac);
      if (m == NULL || h2k_lc_set_mac_pin (o, m, "config") == -1)
        return -1;
    }
    for (i = 0; i < h2k_json_array_len (sections); ++i) {
      json_object *s = h2k_lc_arr_get (sections, i);
      if (h2k_lc_get_str (s, "name") &&
          networkd_section (o, h2k_lc_get_str (s, "name"), s, &dhcp) == -1)
        return -1;
    }
    if (dhcp)
      h2k_lc_add_str (o, "method", "dhcp");
    else if (h2k_json_array_len (h2k_lc_member (o, "addresses")) > 0)
      h2k_lc_add_str (o, "method", "static");
  }
  json_object_object_foreach (files, lfile, ldoc) {
    const char *name = h2k_linuxcfg_ini_get (ldoc, "Link", "Name");
    const char *mac = h2k_linuxcfg_ini_get (ldoc, "Match", "MACAddress");
    json_object *o;

    if (!h2k_ends_with_ci (lfile, ".link") || name == NULL)
      continue;
    o = h2k_lc_find_iface (out, "networkd", name);
    if (o == NULL)
      continue;
    if (h2k_lc_add_str (o, "set_name", name) == -1)
      return -1;
    if (mac) {
      CLEANUP_FREE char *m = first_word (mac);
      if (m == NULL || h2k_lc_set_mac_pin (o, m, "config") == -1)
        return -1;
    }
  }
  return 0;
}
