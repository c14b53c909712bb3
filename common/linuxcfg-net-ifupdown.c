/* h2k: the network interpreter's ifupdown backend
 * (/etc/network/interfaces, as parsed by linuxcfg-ifupdown.c):
 * parsed files to interface records.  The model is in linuxcfg-net.c.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "linuxcfg.h"
#include "linuxcfg-priv.h"

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
    for (i = 0; i < h2k_json_array_len (opt); ++i) {
      json_object *v = h2k_lc_arr_get (opt, i);
      if (json_object_is_type (v, json_type_string) &&
          fn (o, json_object_get_string (v)) == -1)
        return -1;
    }
  return 0;
}

static int
ifupdown_dns (json_object *o, const char *v)
{
  return h2k_lc_add_dns_list (o, v, " \t,");
}

static int
ifupdown_stanza (json_object *o, json_object *st)
{
  json_object *opts = h2k_lc_member (st, "options");
  json_object *addr = h2k_lc_member (opts, "address");
  const char *method = h2k_lc_get_str (st, "method");
  const char *family = h2k_lc_get_str (st, "family");
  const char *mask = h2k_lc_get_str (opts, "netmask");
  static const char *route_keys[] = { "up", "post-up", "pre-up" };
  size_t i;

  if (method && strcmp (method, "static") == 0 && addr) {
    int prefix = mask ? h2k_linuxcfg_netmask_prefix (mask) : -1;
    int def = family && strcmp (family, "inet6") == 0 ? 64 : -1;
    size_t n = json_object_is_type (addr, json_type_array)
      ? h2k_json_array_len (addr) : 1;

    for (i = 0; i < n; ++i) {
      json_object *a = json_object_is_type (addr, json_type_array)
        ? h2k_lc_arr_get (addr, i) : addr;
      if (h2k_lc_add_address (o, h2k_lc_str_or_empty (a), prefix, def) == -1)
        return -1;
    }
  }
  if (h2k_lc_set_gateway (o, h2k_lc_get_str (opts, "gateway")) == -1 ||
      each_value (h2k_lc_member (opts, "dns-nameservers"), o,
                  ifupdown_dns) == -1)
    return -1;
  for (i = 0; i < sizeof route_keys / sizeof route_keys[0]; ++i)
    if (each_value (h2k_lc_member (opts, route_keys[i]), o,
                    h2k_lc_parse_route_cmd) == -1)
      return -1;
  return 0;
}

static const char *
ifupdown_method (json_object *stanzas)
{
  const char *first = NULL;
  size_t i;
  int dhcp = 0, stat = 0;

  for (i = 0; i < h2k_json_array_len (stanzas); ++i) {
    const char *m = h2k_lc_get_str (h2k_lc_arr_get (stanzas, i),
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

int
h2k_lc_net_ifupdown (json_object *out, const char *file, json_object *doc)
{
  json_object *ifaces = h2k_lc_member (doc, "interfaces");
  size_t i, j;

  for (i = 0; i < h2k_json_array_len (ifaces); ++i) {
    json_object *ifc = h2k_lc_arr_get (ifaces, i);
    json_object *stanzas = h2k_lc_member (ifc, "stanzas"), *o;
    const char *ifname = h2k_lc_get_str (ifc, "name"), *method;

    if (ifname == NULL || strcmp (ifname, "lo") == 0 ||
        h2k_json_array_len (stanzas) == 0)
      continue;
    method = ifupdown_method (stanzas);
    if (method == NULL)
      continue;
    o = h2k_lc_new_iface (out, "ifupdown", file,
                          json_object_get_int
                          (h2k_lc_member (h2k_lc_arr_get (stanzas, 0),
                                          "line")),
                          ifname);
    if (o == NULL || h2k_lc_add_str (o, "method", method) == -1)
      return -1;
    for (j = 0; j < h2k_json_array_len (stanzas); ++j)
      if (ifupdown_stanza (o, h2k_lc_arr_get (stanzas, j)) == -1)
        return -1;
  }
  return 0;
}
