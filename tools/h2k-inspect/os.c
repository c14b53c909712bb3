/* h2k-inspect: which OS is on the disks, and its basic facts. */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"

static int
set_str (json_object *o, const char *key, char *val)
{
  int r = 0;

  /* libguestfs says "unknown" for what it could not tell: leave it out. */
  if (val && strcmp (val, "unknown") != 0)
    r = h2k_json_set_string (o, key, val);
  free (val);
  return r;
}

char *
inspect_os (guestfs_h *g, json_object *guest)
{
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (g);
  char *root;
  int major, minor;

  if (roots == NULL)
    return NULL;
  if (roots[0] == NULL) {
    h2k_error ("no operating system found on the disks");
    return NULL;
  }
  if (roots[1] != NULL) {
    h2k_error ("%s and %s: more than one operating system on the disks; "
               "multi-boot guests are not supported", roots[0], roots[1]);
    return NULL;
  }
  root = roots[0];
  major = guestfs_inspect_get_major_version (g, root);
  minor = guestfs_inspect_get_minor_version (g, root);
  if (set_str (guest, "type", guestfs_inspect_get_type (g, root)) == -1 ||
      set_str (guest, "distro", guestfs_inspect_get_distro (g, root)) == -1 ||
      (major >= 0 && h2k_json_set_int (guest, "major_version", major) == -1) ||
      (minor >= 0 && h2k_json_set_int (guest, "minor_version", minor) == -1) ||
      set_str (guest, "arch", guestfs_inspect_get_arch (g, root)) == -1 ||
      set_str (guest, "product", guestfs_inspect_get_product_name (g, root)) == -1 ||
      set_str (guest, "hostname", guestfs_inspect_get_hostname (g, root)) == -1 ||
      set_str (guest, "package_format",
               guestfs_inspect_get_package_format (g, root)) == -1 ||
      set_str (guest, "package_manager",
               guestfs_inspect_get_package_management (g, root)) == -1 ||
      h2k_json_set_string (guest, "root", root) == -1)
    return NULL;
  roots[0] = NULL;              /* keep root */
  free (roots[1]);
  return root;
}

int
inspect_init (guestfs_h *g, json_object *guest)
{
  return h2k_json_set_string (guest, "init_system", h2k_guest_init_system (g));
}
