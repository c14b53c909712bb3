/* h2k-inspect: network configuration and fstab, read through the
 * linuxcfg parsers.
 *
 * Every configuration file of every backend we know is read and parsed;
 * the interpreter (h2k_linuxcfg_network) turns them into one list of
 * configured interfaces with their MAC pins and addresses.
 */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"

#define MAX_CONFIG (1 << 20)

/* Where each backend keeps its files, and how to read them. */
static const struct {
  const char *kind;             /* key in the interpreter's input */
  const char *glob;
  parser_fn parse;
} sources[] = {
  { "ifupdown", "/etc/network/interfaces", h2k_linuxcfg_ifupdown },
  { "ifupdown", "/etc/network/interfaces.d/*", h2k_linuxcfg_ifupdown },
  { "netplan", "/etc/netplan/*.yaml", h2k_linuxcfg_yaml },
  { "ifcfg", "/etc/sysconfig/network-scripts/ifcfg-*", h2k_linuxcfg_shellvars },
  { "ifcfg", "/etc/sysconfig/network-scripts/route-*", h2k_linuxcfg_shellvars },
  { "wicked", "/etc/sysconfig/network/ifcfg-*", h2k_linuxcfg_shellvars },
  { "wicked", "/etc/sysconfig/network/ifroute-*", h2k_linuxcfg_shellvars },
  { "networkmanager", "/etc/NetworkManager/system-connections/*", h2k_linuxcfg_ini },
  { "networkd", "/etc/systemd/network/*.network", h2k_linuxcfg_ini },
  { "networkd", "/etc/systemd/network/*.link", h2k_linuxcfg_ini },
  { "udev_net", "/etc/udev/rules.d/*persistent-net*.rules", h2k_linuxcfg_udev_net },
};

/* Parse one file into INPUT[KIND][PATH].  A file that does not parse is
 * recorded in guest.network.unparsed with the reason, not fatal: the
 * guest still boots with what we understood, and the risk is listed.
 */
static int
read_one (guestfs_h *g, const char *kind, const char *path, parser_fn parse,
          json_object *input, json_object *unparsed)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (g, path, MAX_CONFIG);
  json_object *by_kind, *doc;

  if (text == NULL)
    return 0;
  if (strcmp (kind, "ifcfg") == 0 || strcmp (kind, "wicked") == 0) {
    const char *base = strrchr (path, '/') + 1;
    /* ifcfg-lo and backup copies are not interfaces we move. */
    if (strcmp (base, "ifcfg-lo") == 0 || strchr (base, '~') ||
        h2k_ends_with_ci (base, ".bak") || h2k_ends_with_ci (base, ".orig"))
      return 0;
  }
  h2k_clear_error ();
  doc = parse (text, strlen (text), path);
  if (doc == NULL) {
    const char *why = h2k_first_error ();
    json_object *u = json_object_new_object ();
    if (h2k_json_array_add (unparsed, u) == -1 ||
        h2k_json_set_string (u, "path", path) == -1 ||
        h2k_json_set_string (u, "reason", why ? why : "cannot parse") == -1)
      return -1;
    h2k_clear_error ();
    return 0;
  }
  by_kind = h2k_json_ensure_object (input, kind);
  return by_kind ? h2k_json_set (by_kind, path, doc) : -1;
}

static int
backends (json_object *input, json_object *net)
{
  json_object *arr = h2k_json_ensure_array (net, "backends");

  if (arr == NULL)
    return -1;
  json_object_object_foreach (input, kind, files) {
    if (strcmp (kind, "udev_net") == 0 || json_object_object_length (files) == 0)
      continue;
    if (h2k_json_array_add_string (arr, kind) == -1)
      return -1;
  }
  return 0;
}

/* systemd .link files that give a NIC with a known MAC its name: such a
 * name does not change with the hardware (h2k-fix-linux writes them).
 */
static int
record_links (json_object *input, json_object *net)
{
  json_object *nd = h2k_json_get_object (input, "networkd");
  json_object *links = h2k_json_ensure_array (net, "links");

  if (links == NULL)
    return -1;
  if (nd == NULL)
    return 0;
  json_object_object_foreach (nd, path, doc) {
    const char *mac = h2k_linuxcfg_ini_get (doc, "Match", "MACAddress");
    const char *name = h2k_linuxcfg_ini_get (doc, "Link", "Name");
    json_object *l;

    if (!h2k_ends_with_ci (path, ".link") || mac == NULL || name == NULL)
      continue;
    l = json_object_new_object ();
    if (h2k_json_array_add (links, l) == -1 ||
        h2k_json_set_string (l, "path", path) == -1 ||
        h2k_json_set_string (l, "mac", mac) == -1 ||
        h2k_json_set_string (l, "name", name) == -1)
      return -1;
  }
  return 0;
}

static int
read_network (guestfs_h *g, json_object *net)
{
  CLEANUP_JSON json_object *input = json_object_new_object ();
  json_object *unparsed = h2k_json_ensure_array (net, "unparsed");
  json_object *ifaces, *rules = NULL;

  if (input == NULL || unparsed == NULL)
    return -1;
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; ++i) {
    CLEANUP_FREE_STRV char **files = h2k_guest_glob (g, sources[i].glob);
    if (files == NULL)
      return -1;
    for (size_t j = 0; files[j]; ++j)
      if (read_one (g, sources[i].kind, files[j], sources[i].parse,
                    input, unparsed) == -1)
        return -1;
  }
  ifaces = h2k_linuxcfg_network (input);
  if (ifaces == NULL || h2k_json_set (net, "interfaces", ifaces) == -1 ||
      record_links (input, net) == -1)
    return -1;
  /* Keep the persistent-net rules themselves: the fixer removes them. */
  json_object *udev = h2k_json_get_object (input, "udev_net");
  if (udev == NULL)
    return backends (input, net);
  json_object_object_foreach (udev, path, doc) {
    json_object *r = json_object_new_object ();
    if (rules == NULL && (rules = h2k_json_ensure_array (net, "persistent_net_rules")) == NULL)
      return -1;
    if (h2k_json_array_add (rules, r) == -1 ||
        h2k_json_set_string (r, "path", path) == -1 ||
        h2k_json_set (r, "rules", json_object_get (doc)) == -1)
      return -1;
  }
  return backends (input, net);
}

int
inspect_network (guestfs_h *g, json_object *guest)
{
  json_object *net = h2k_json_ensure_object (guest, "network");

  if (net == NULL)
    return -1;
  return read_network (g, net);
}
