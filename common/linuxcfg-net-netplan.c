/* h2k: the network interpreter's netplan backend
 * (as parsed by linuxcfg-yaml.c):
 * parsed files to interface records.  The model is in linuxcfg-net.c.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "linuxcfg-priv.h"

/* ---- netplan ------------------------------------------------------------ */

static int
netplan_iface (json_object *out, const char *file, const char *id,
               json_object *cfg)
{
  json_object *match = h2k_lc_member (cfg, "match");
  json_object *addrs = h2k_lc_member (cfg, "addresses");
  json_object *routes = h2k_lc_member (cfg, "routes"), *ns, *o;
  const char *ifname = id;
  size_t i;

  if (match && h2k_lc_get_str (match, "name") &&
      strpbrk (h2k_lc_get_str (match, "name"), "*?[") == NULL)
    ifname = h2k_lc_get_str (match, "name");
  if (strcmp (ifname, "lo") == 0)
    return 0;
  o = h2k_lc_new_iface (out, "netplan", file, 0, ifname);
  if (o == NULL)
    return -1;
  if (h2k_lc_get_str (cfg, "set-name") &&
      h2k_lc_add_str (o, "set_name", h2k_lc_get_str (cfg, "set-name")) == -1)
    return -1;
  if (h2k_lc_get_str (match, "macaddress") &&
      h2k_lc_set_mac_pin (o, h2k_lc_get_str (match, "macaddress"),
                          "config") == -1)
    return -1;
  if (h2k_lc_truthy (h2k_lc_get_str (cfg, "dhcp4")) ||
      h2k_lc_truthy (h2k_lc_get_str (cfg, "dhcp6")))
    h2k_lc_add_str (o, "method", "dhcp");
  else if (addrs && h2k_json_array_len (addrs) > 0)
    h2k_lc_add_str (o, "method", "static");
  if (json_object_is_type (addrs, json_type_array))
    for (i = 0; i < h2k_json_array_len (addrs); ++i) {
      json_object *a = h2k_lc_arr_get (addrs, i);
      if (json_object_is_type (a, json_type_object)) {
        /* "- 10.0.0.5/24: { lifetime: 0 }" */
        json_object_object_foreach (a, k, v) {
          (void) v;
          if (h2k_lc_add_address (o, k, -1, -1) == -1)
            return -1;
        }
      }
      else if (h2k_lc_add_address (o, h2k_lc_str_or_empty (a), -1, -1) == -1)
        return -1;
    }
  if (h2k_lc_set_gateway (o, h2k_lc_get_str (cfg, "gateway4")) == -1 ||
      h2k_lc_set_gateway (o, h2k_lc_get_str (cfg, "gateway6")) == -1)
    return -1;
  if (json_object_is_type (routes, json_type_array))
    for (i = 0; i < h2k_json_array_len (routes); ++i) {
      json_object *r = h2k_lc_arr_get (routes, i);
      if (h2k_lc_add_route (o, h2k_lc_get_str (r, "to"),
                            h2k_lc_get_str (r, "via")) == -1)
        return -1;
    }
  ns = h2k_lc_member (h2k_lc_member (cfg, "nameservers"), "addresses");
  if (json_object_is_type (ns, json_type_array))
    for (i = 0; i < h2k_json_array_len (ns); ++i)
      if (h2k_lc_add_dns (o,
                          h2k_lc_str_or_empty (h2k_lc_arr_get (ns, i))) == -1)
        return -1;
  return 0;
}

int
h2k_lc_net_netplan (json_object *out, const char *file, json_object *doc)
{
  json_object *net = h2k_lc_member (doc, "network");

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
