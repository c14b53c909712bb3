/* h2k-inspect: hypervisor tools installed in the guest, and SELinux. */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"

/* Packages that tie a guest to its old hypervisor. */
static const struct {
  const char *package;
  const char *hypervisor;
} packages[] = {
  { "open-vm-tools", "vmware" },
  { "open-vm-tools-desktop", "vmware" },
  { "vmware-tools", "vmware" },
  { "hyperv-daemons", "hyperv" },
  { "hyperv-daemons-license", "hyperv" },
  { "hypervkvpd", "hyperv" },
  { "hypervvssd", "hyperv" },
  { "hypervfcopyd", "hyperv" },
  { "virtualbox-guest-utils", "virtualbox" },
  { "virtualbox-guest-x11", "virtualbox" },
  { "virtualbox-guest-dkms", "virtualbox" },
  { "xe-guest-utilities", "xen" },
};

/* Tools installed from a vendor tarball leave these behind. */
static const struct {
  const char *path;
  const char *name;
  const char *hypervisor;
} tarballs[] = {
  { "/usr/bin/vmware-uninstall-tools.pl", "vmware-tools-tarball", "vmware" },
  { "/etc/vmware-tools/locations", "vmware-tools-tarball", "vmware" },
  { "/opt/VBoxGuestAdditions", "virtualbox-guest-additions", "virtualbox" },
};

static int
add_tool (json_object *arr, const char *name, const char *hv, const char *kind,
          const char *version, const char *evidence)
{
  json_object *t = json_object_new_object ();

  if (h2k_json_array_add (arr, t) == -1)
    return -1;
  if (h2k_json_set_string (t, "name", name) == -1 ||
      h2k_json_set_string (t, "hypervisor", hv) == -1 ||
      h2k_json_set_string (t, "kind", kind) == -1 ||
      (version && h2k_json_set_string (t, "version", version) == -1) ||
      (evidence && h2k_json_set_string (t, "evidence", evidence) == -1))
    return -1;
  return 0;
}

static int
from_packages (guestfs_h *g, const char *root, json_object *arr)
{
  struct guestfs_application2_list *apps;
  int r = 0;

  guestfs_push_error_handler (g, NULL, NULL);
  apps = guestfs_inspect_list_applications2 (g, root);
  guestfs_pop_error_handler (g);
  if (apps == NULL) {
    h2k_warning ("cannot list the guest's packages; hypervisor tools "
                 "installed as packages are not detected");
    return 0;
  }
  for (size_t i = 0; r == 0 && i < apps->len; ++i)
    for (size_t j = 0; r == 0 && j < sizeof packages / sizeof packages[0]; ++j)
      if (strcmp (apps->val[i].app2_name, packages[j].package) == 0)
        r = add_tool (arr, packages[j].package, packages[j].hypervisor,
                      "package", apps->val[i].app2_version, NULL);
  guestfs_free_application2_list (apps);
  return r;
}

static int
selinux (guestfs_h *g, json_object *guest)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (g, "/etc/selinux/config", 65536);
  const char *mode = "absent";

  if (text) {
    char *save = NULL;
    mode = "unknown";
    for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
      l = h2k_trim (l);
      if (strncmp (l, "SELINUX=", 8) == 0) {
        const char *v = l + 8;
        mode = strcmp (v, "enforcing") == 0 ? "enforcing"
             : strcmp (v, "permissive") == 0 ? "permissive"
             : strcmp (v, "disabled") == 0 ? "disabled" : "unknown";
      }
    }
  }
  return h2k_json_set_string (guest, "selinux", mode);
}

int
inspect_tools (guestfs_h *g, const char *root, json_object *guest)
{
  json_object *arr = h2k_json_ensure_array (guest, "hypervisor_tools");

  if (arr == NULL || from_packages (g, root, arr) == -1)
    return -1;
  for (size_t i = 0; i < sizeof tarballs / sizeof tarballs[0]; ++i)
    if ((h2k_guest_is_file (g, tarballs[i].path) || h2k_guest_is_dir (g, tarballs[i].path)) &&
        add_tool (arr, tarballs[i].name, tarballs[i].hypervisor, "tarball",
                  NULL, tarballs[i].path) == -1)
      return -1;
  return selinux (g, guest);
}
