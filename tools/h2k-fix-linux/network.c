/* h2k-fix-linux: the NIC keeps its name, so its configuration keeps
 * working.
 *
 * The one deterministic way we chose: the KVM NIC keeps the source NIC's
 * MAC address (h2k-validate and the libvirt XML use it), and a systemd
 * .link file, /etc/systemd/network/10-h2k-NAME.link, gives the NIC with
 * that MAC the name the guest's configuration uses ("ens192").  The
 * configuration files themselves are not rewritten.  The old MAC pins that
 * would fight with it go: udev persistent-net rules (initramfs-tools copies
 * them into the initramfs, where they would rename the NIC first), and
 * HWADDR=/mac-address= in profiles that also name their interface.
 * netplan's "match: macaddress" + "set-name" already does the same thing
 * as the .link file and is left alone.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fix-linux.h"

/* The source MAC of the NIC configured as interface IFACE: its MAC pin,
 * or the VM's only NIC when the guest configures only one interface.
 */
static const char *
mac_for (struct fix *f, json_object *iface, size_t nifaces)
{
  const char *pin = h2k_json_get_string (iface, "mac_pin");
  json_object *nics = h2k_json_get_array (h2k_json_get_object (f->m, "vm"), "nics");
  size_t n = nics ? json_object_array_length (nics) : 0;

  if (pin)
    return pin;
  if (n == 1 && nifaces == 1)
    return h2k_json_get_string (json_object_array_get_idx (nics, 0), "mac");
  return NULL;
}

static char *
lower (const char *s)
{
  char *r = strdup (s);

  for (char *p = r; p && *p; ++p)
    if (*p >= 'A' && *p <= 'Z')
      *p += 'a' - 'A';
  return r;
}

static int
plan_link (struct fix *f, const char *name, const char *mac)
{
  CLEANUP_FREE char *path = NULL, *content = NULL, *old = NULL, *lmac = lower (mac);
  json_object *d;

  if (lmac == NULL ||
      asprintf (&path, "/etc/systemd/network/10-h2k-%s.link", name) == -1 ||
      asprintf (&content,
                "# Written by h2k-fix-linux: the NIC that had this MAC on the\n"
                "# source keeps the name its configuration uses.\n"
                "[Match]\nMACAddress=%s\n\n[Link]\nName=%s\n", lmac, name) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  old = h2k_guest_read_text (f->fx.g, path, 1 << 16);
  if (old && strcmp (old, content) == 0)
    return 0;
  d = json_object_new_object ();
  if (d == NULL || h2k_json_set_string (d, "path", path) == -1 ||
      h2k_json_set_string (d, "content", content) == -1 ||
      !h2k_fixer_plan (&f->fx, "write-file", path, d,
                       "the virtio NIC with MAC %s must be named %s, as the "
                       "configuration expects", lmac, name))
    return -1;
  return 0;
}

/* Delete every NIC-naming rule from the persistent-net rules files. */
static int
plan_udev_rules (struct fix *f)
{
  CLEANUP_FREE_STRV char **files = h2k_guest_glob (f->fx.g, "/etc/udev/rules.d/*persistent-net*.rules");

  if (files == NULL)
    return -1;
  for (size_t i = 0; files[i]; ++i) {
    CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, files[i], 1 << 20);
    CLEANUP_JSON json_object *rules = text ? h2k_linuxcfg_udev_net (text, strlen (text), files[i]) : NULL;
    size_t n = rules ? json_object_array_length (rules) : 0;
    json_object *d;

    if (n == 0)
      continue;
    d = edit_details (files[i]);
    if (d == NULL)
      return -1;
    for (size_t j = 0; j < n; ++j) {
      int line = (int) h2k_json_get_int (json_object_array_get_idx (rules, j), "line", 0);
      CLEANUP_FREE char *old = text_line (text, line);
      if (old == NULL || edit_add (d, line, old, NULL) == -1) {
        json_object_put (d);
        return -1;
      }
    }
    if (!h2k_fixer_plan (&f->fx, "edit-lines", files[i], d,
                         "persistent-net rules pin NIC names to the source's MACs "
                         "and drivers; the .link files take over"))
      return -1;
  }
  return 0;
}

/* HWADDR= in an ifcfg file that also says DEVICE=. */
static int
plan_ifcfg_pin (struct fix *f, const char *path)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, 1 << 20);
  CLEANUP_JSON json_object *doc = text ? h2k_linuxcfg_shellvars (text, strlen (text), path) : NULL;
  json_object *vars = h2k_json_get_object (doc, "vars");
  json_object *lines = h2k_json_get_object (doc, "lines");
  static const char *const keys[] = { "HWADDR", "MACADDR", NULL };
  json_object *d;
  int n = 0;

  if (vars == NULL || h2k_json_get_string (vars, "DEVICE") == NULL)
    return 0;
  d = edit_details (path);
  for (size_t i = 0; d && keys[i]; ++i) {
    int line = (int) h2k_json_get_int (lines, keys[i], 0);
    CLEANUP_FREE char *old = line ? text_line (text, line) : NULL;
    if (old == NULL)
      continue;
    if (edit_add (d, line, old, NULL) == -1) {
      json_object_put (d);
      return -1;
    }
    n++;
  }
  if (d == NULL || n == 0) {
    json_object_put (d);
    return d ? 0 : -1;
  }
  return h2k_fixer_plan (&f->fx, "edit-lines", path, d,
                         "drop the MAC pin: the profile names its DEVICE, which the "
                         ".link file keeps") ? 0 : -1;
}

/* mac-address= in a NetworkManager keyfile that sets interface-name=. */
static int
plan_nm_pin (struct fix *f, const char *path)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, 1 << 20);
  CLEANUP_JSON json_object *doc = text ? h2k_linuxcfg_ini (text, strlen (text), path) : NULL;
  json_object *sections = h2k_json_get_array (doc, "sections");
  json_object *d;
  int n = 0;

  if (doc == NULL || h2k_linuxcfg_ini_get (doc, "connection", "interface-name") == NULL)
    return 0;
  d = edit_details (path);
  for (size_t i = 0; d && i < json_object_array_length (sections); ++i) {
    json_object *entries = h2k_json_get_array (json_object_array_get_idx (sections, i), "entries");
    for (size_t j = 0; entries && j < json_object_array_length (entries); ++j) {
      json_object *e = json_object_array_get_idx (entries, j);
      int line = (int) h2k_json_get_int (e, "line", 0);
      CLEANUP_FREE char *old = NULL;
      if (strcmp (h2k_json_get_string (e, "key"), "mac-address") != 0)
        continue;
      old = text_line (text, line);
      if (old == NULL || edit_add (d, line, old, NULL) == -1) {
        json_object_put (d);
        return -1;
      }
      n++;
    }
  }
  if (d == NULL || n == 0) {
    json_object_put (d);
    return d ? 0 : -1;
  }
  return h2k_fixer_plan (&f->fx, "edit-lines", path, d,
                         "drop the MAC pin: the connection names its interface, "
                         "which the .link file keeps") ? 0 : -1;
}

/* Did an earlier interface than IDX, with the same name, get the .link
 * file for MAC already (an ifcfg file and a NetworkManager keyfile for
 * one NIC)?
 */
static int
link_planned (struct fix *f, json_object *ifs, size_t idx, const char *name,
              const char *mac)
{
  size_t n = json_object_array_length (ifs);

  for (size_t j = 0; j < idx; ++j) {
    json_object *o = json_object_array_get_idx (ifs, j);
    const char *oname = h2k_json_get_string (o, "name");
    const char *obackend = h2k_json_get_string (o, "backend");
    const char *omac = mac_for (f, o, n);

    if (oname && strcmp (oname, name) == 0 && obackend &&
        strcmp (obackend, "netplan") != 0 && omac && strcasecmp (omac, mac) == 0)
      return 1;
  }
  return 0;
}

int
plan_network (struct fix *f)
{
  json_object *net = h2k_json_get_object (f->guest, "network");
  json_object *ifs = h2k_json_get_array (net, "interfaces");
  size_t n = ifs ? json_object_array_length (ifs) : 0;
  const char *init = h2k_json_get_string (f->guest, "init_system");

  if (plan_udev_rules (f) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *iface = json_object_array_get_idx (ifs, i);
    const char *name = h2k_json_get_string (iface, "name");
    const char *backend = h2k_json_get_string (iface, "backend");
    const char *file = h2k_json_get_string (iface, "file");
    const char *mac;

    if (name == NULL || strcmp (backend, "netplan") == 0)
      continue;
    mac = mac_for (f, iface, n);
    if (mac == NULL) {
      h2k_warning ("%s: cannot tell which source NIC %s belongs to (no MAC "
                   "pin, several NICs): its name is left to the guest", file, name);
      continue;
    }
    if (init == NULL || strcmp (init, "systemd") != 0) {
      h2k_warning ("%s: the guest does not use systemd: no .link file for %s",
                   file, name);
      continue;
    }
    if (!link_planned (f, ifs, i, name, mac) && plan_link (f, name, mac) == -1)
      return -1;
    if (strcmp (backend, "ifcfg") == 0 && plan_ifcfg_pin (f, file) == -1)
      return -1;
    if (strcmp (backend, "networkmanager") == 0 && plan_nm_pin (f, file) == -1)
      return -1;
  }
  return 0;
}
