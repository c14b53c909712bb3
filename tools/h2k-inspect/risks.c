/* h2k-inspect: what stands between this guest and its first boot on KVM.
 *
 * Derived from "guest" (and the VM's firmware) alone, so it is testable
 * without an appliance.  Each risk: {code, severity, message}, with the
 * file and line where one is to blame.  The codes are listed in
 * h2k-inspect(1); the fixers plan one fix per risk they can remove.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"
#include "windows.h"

int
add_risk (json_object *risks, const char *code, const char *severity,
          const char *path, int64_t line, const char *fs, ...)
{
  json_object *r = json_object_new_object ();
  CLEANUP_FREE char *msg = NULL;
  va_list args;
  int n;

  va_start (args, fs);
  n = vasprintf (&msg, fs, args);
  va_end (args);
  if (n == -1)
    msg = NULL;
  if (msg == NULL) {
    json_object_put (r);
    h2k_error ("out of memory");
    return -1;
  }
  if (h2k_json_array_add (risks, r) == -1)
    return -1;
  if (h2k_json_set_string (r, "code", code) == -1 ||
      h2k_json_set_string (r, "severity", severity) == -1 ||
      h2k_json_set_string (r, "message", msg) == -1 ||
      (path && h2k_json_set_string (r, "path", path) == -1) ||
      (line > 0 && h2k_json_set_int (r, "line", line) == -1))
    return -1;
  return 0;
}

/* Device names that depend on the controller, and so change on virtio. */
static int
controller_name (const char *device_type)
{
  static const char *const types[] = { "sd", "hd", "vd", "xvd", "nvme", NULL };

  for (size_t i = 0; device_type && types[i]; ++i)
    if (strcmp (device_type, types[i]) == 0)
      return 1;
  return 0;
}

static int
table_risks (json_object *guest, const char *key, const char *path,
             const char *what, const char *code, json_object *risks)
{
  json_object *tab = h2k_json_get_array (guest, key);
  size_t n = tab ? json_object_array_length (tab) : 0;

  for (size_t i = 0; i < n; ++i) {
    json_object *e = json_object_array_get_idx (tab, i);
    const char *spec = h2k_json_get_string (e, what);
    const char *target = h2k_json_get_string (e, strcmp (key, "fstab") ? "target" : "file");

    if (!controller_name (h2k_json_get_string (e, "device_type")))
      continue;
    if (add_risk (risks, code, "error", path, h2k_json_get_int (e, "line", 0),
                  "%s refers to %s by its device name %s, which changes "
                  "when the disk moves to a virtio controller",
                  path, target ? target : "a device", spec) == -1)
      return -1;
  }
  return 0;
}

static int
cmdline_risks (json_object *guest, json_object *risks)
{
  json_object *bl = h2k_json_get_object (guest, "bootloader");
  json_object *c = h2k_json_get_object (bl, "cmdline");
  static const char *const keys[] = { "root", "resume", NULL };

  for (size_t i = 0; keys[i]; ++i) {
    const char *v = h2k_json_get_string (c, keys[i]);
    const char *type = NULL;
    CLEANUP_FREE char *value = NULL;

    if (v == NULL || h2k_linuxcfg_classify_spec (v, &value, &type) == NULL)
      continue;
    if (controller_name (type) &&
        add_risk (risks, strcmp (keys[i], "root") ? "cmdline-resume-device-name"
                                                  : "cmdline-root-device-name",
                  "error", h2k_json_get_string (c, "from"), 0,
                  "the kernel command line says %s=%s, a device name that "
                  "changes on virtio", keys[i], v) == -1)
      return -1;
  }
  return 0;
}

static int
kernel_risks (json_object *guest, json_object *risks)
{
  json_object *ks = h2k_json_get_array (guest, "kernels");
  size_t n = ks ? json_object_array_length (ks) : 0;
  static const char *const needed[] = { "virtio_pci", "virtio_blk", "virtio_scsi", NULL };

  if (n == 0)
    return add_risk (risks, "no-kernel", "error", "/boot", 0,
                     "no kernel found in /boot");
  for (size_t i = 0; i < n; ++i) {
    json_object *k = json_object_array_get_idx (ks, i);
    json_object *v = h2k_json_get_object (k, "virtio");
    char lacks[128] = "", absent[128] = "";

    for (size_t j = 0; needed[j]; ++j) {
      const char *st = h2k_json_get_string (v, needed[j]);
      char *list = st && strcmp (st, "missing") == 0 ? absent : lacks;
      if (st == NULL || strcmp (st, "builtin") == 0 || strcmp (st, "initramfs") == 0)
        continue;
      snprintf (list + strlen (list), 128 - strlen (list), "%s%s",
                *list ? ", " : "", needed[j]);
    }
    if (*lacks &&
        add_risk (risks, "initramfs-missing-virtio", "error",
                  h2k_json_get_string (k, "initramfs"), 0,
                  "the initramfs of kernel %s lacks %s: the root disk cannot "
                  "be found on virtio", h2k_json_get_string (k, "version"), lacks) == -1)
      return -1;
    if (*absent &&
        add_risk (risks, "kernel-missing-virtio", "error",
                  h2k_json_get_string (k, "path"), 0,
                  "kernel %s has no %s driver at all: install a kernel with virtio",
                  h2k_json_get_string (k, "version"), absent) == -1)
      return -1;
  }
  return 0;
}

static int
firmware_risks (json_object *m, json_object *guest, json_object *risks)
{
  json_object *fw = h2k_json_get_object (guest, "firmware");
  json_object *bl = h2k_json_get_object (guest, "bootloader");
  const char *kind = h2k_json_get_string (fw, "kind");
  const char *vmfw = h2k_json_get_string (h2k_json_get_object (m, "vm"), "firmware");
  int uefi = kind && (strcmp (kind, "uefi") == 0 || strcmp (kind, "both") == 0);

  if (uefi && bl && !h2k_json_get_bool (bl, "efi_fallback", 0) &&
      add_risk (risks, "uefi-no-fallback-loader", "error",
                h2k_json_get_string (fw, "esp"), 0,
                "the ESP has no fallback loader EFI/BOOT/BOOTX64.EFI: the "
                "source booted from an NVRAM entry that does not move") == -1)
    return -1;
  if (vmfw && kind && strcmp (vmfw, "unknown") != 0 &&
      ((strcmp (vmfw, "uefi") == 0) != uefi) && strcmp (kind, "both") != 0 &&
      add_risk (risks, "firmware-mismatch", "warning", NULL, 0,
                "the source VM used %s but the disks are set up for %s",
                vmfw, kind) == -1)
    return -1;
  if (bl && h2k_json_get_bool (bl, "device_map", 0) &&
      add_risk (risks, "grub-device-map", "warning", "/boot/grub/device.map", 0,
                "grub's device.map names the source's disks") == -1)
    return -1;
  return 0;
}

static int
ifnames_off (json_object *guest)
{
  json_object *c = h2k_json_get_object (h2k_json_get_object (guest, "bootloader"), "cmdline");
  const char *v = h2k_json_get_string (c, "net.ifnames");

  return v && strcmp (v, "0") == 0;
}

/* Is NAME given to a NIC by a .link file matching its MAC? */
static int
named_by_link (json_object *net, const char *name)
{
  json_object *links = h2k_json_get_array (net, "links");

  for (size_t i = 0; links && i < json_object_array_length (links); ++i)
    if (strcmp (h2k_json_get_string (json_object_array_get_idx (links, i), "name"), name) == 0)
      return 1;
  return 0;
}

static int
network_risks (json_object *guest, json_object *risks)
{
  json_object *net = h2k_json_get_object (guest, "network");
  json_object *ifs = h2k_json_get_array (net, "interfaces");
  json_object *unparsed = h2k_json_get_array (net, "unparsed");
  size_t n = ifs ? json_object_array_length (ifs) : 0;

  for (size_t i = 0; i < n; ++i) {
    json_object *f = json_object_array_get_idx (ifs, i);
    const char *name = h2k_json_get_string (f, "name");
    const char *mac = h2k_json_get_string (f, "mac_pin");
    const char *method = h2k_json_get_string (f, "method");
    const char *file = h2k_json_get_string (f, "file");
    int64_t line = h2k_json_get_int (f, "line", 0);

    if (mac && add_risk (risks, "nic-mac-pin", "error", file, line,
                         "%s is bound to MAC %s (%s)", name ? name : "a connection",
                         mac, h2k_json_get_string (f, "mac_pin_source")) == -1)
      return -1;
    if (name && method && strcmp (method, "static") == 0 &&
        !(ifnames_off (guest) && strncmp (name, "eth", 3) == 0) &&
        !named_by_link (net, name) &&
        add_risk (risks, "nic-name-changes", "error", file, line,
                  "%s has a static address, but its name comes from the "
                  "source's hardware: the virtio NIC will get another name "
                  "and no address", name) == -1)
      return -1;
  }
  for (size_t i = 0; unparsed && i < json_object_array_length (unparsed); ++i) {
    json_object *u = json_object_array_get_idx (unparsed, i);
    if (add_risk (risks, "network-config-unparsed", "warning",
                  h2k_json_get_string (u, "path"), 0, "%s",
                  h2k_json_get_string (u, "reason")) == -1)
      return -1;
  }
  return 0;
}

static int
other_risks (json_object *guest, json_object *risks)
{
  json_object *tools = h2k_json_get_array (guest, "hypervisor_tools");
  json_object *luks = h2k_json_get_array (h2k_json_get_object (guest, "block_layers"), "luks");
  const char *se = h2k_json_get_string (guest, "selinux");

  for (size_t i = 0; tools && i < json_object_array_length (tools); ++i) {
    json_object *t = json_object_array_get_idx (tools, i);
    if (add_risk (risks, "hypervisor-tools", "warning",
                  h2k_json_get_string (t, "evidence"), 0,
                  "%s (%s) is installed: it fails or hangs off %s",
                  h2k_json_get_string (t, "name"), h2k_json_get_string (t, "kind"),
                  h2k_json_get_string (t, "hypervisor")) == -1)
      return -1;
  }
  if (luks && json_object_array_length (luks) > 0 &&
      add_risk (risks, "luks", "warning", NULL, 0,
                "%zu encrypted (LUKS) volume(s): their contents were not inspected",
                json_object_array_length (luks)) == -1)
    return -1;
  if (se && strcmp (se, "enforcing") == 0 &&
      add_risk (risks, "selinux-enforcing", "info", "/etc/selinux/config", 0,
                "SELinux is enforcing: edited files need their labels restored") == -1)
    return -1;
  return 0;
}

int
compute_risks (json_object *m, json_object *guest)
{
  json_object *risks = json_object_new_array ();
  const char *type = h2k_json_get_string (guest, "type");

  if (h2k_json_set (guest, "risks", risks) == -1)
    return -1;
  if (type && strcmp (type, "windows") == 0)
    return windows_risks (guest, risks) == -1 ? -1 : firmware_risks (m, guest, risks);
  if (type == NULL || strcmp (type, "linux") != 0)
    return firmware_risks (m, guest, risks);
  if (table_risks (guest, "fstab", "/etc/fstab", "spec", "fstab-device-name", risks) == -1 ||
      table_risks (guest, "crypttab", "/etc/crypttab", "source", "crypttab-device-name", risks) == -1 ||
      cmdline_risks (guest, risks) == -1 ||
      kernel_risks (guest, risks) == -1 ||
      firmware_risks (m, guest, risks) == -1 ||
      network_risks (guest, risks) == -1 ||
      other_risks (guest, risks) == -1)
    return -1;
  return 0;
}
