/* h2k-fix-linux: remove the old hypervisor's tools through the guest's
 * package manager (they fail or hang off their hypervisor).  Tools
 * installed from a vendor tarball are left: their uninstaller is an
 * interactive script; h2k-inspect lists them as a risk.
 */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

static int
installed (struct fix *f, const char *root, const char *pkg)
{
  struct guestfs_application2_list *apps;
  int found = 0;

  guestfs_push_error_handler (f->fx.g, NULL, NULL);
  apps = guestfs_inspect_list_applications2 (f->fx.g, root);
  guestfs_pop_error_handler (f->fx.g);
  for (size_t i = 0; apps && i < apps->len; ++i)
    if (strcmp (apps->val[i].app2_name, pkg) == 0)
      found = 1;
  if (apps)
    guestfs_free_application2_list (apps);
  return found;
}

int
plan_tools (struct fix *f)
{
  json_object *tools = h2k_json_get_array (f->guest, "hypervisor_tools");
  const char *fmt = h2k_json_get_string (f->guest, "package_format");
  const char *root = h2k_json_get_string (f->guest, "root");
  size_t n = tools ? json_object_array_length (tools) : 0;
  CLEANUP_FREE const char **argv = calloc (n + 4, sizeof *argv);
  size_t k = 0;

  if (f->o->keep_tools || n == 0)
    return 0;
  if (argv == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (fmt && strcmp (fmt, "deb") == 0) {
    argv[k++] = "dpkg";
    argv[k++] = "--purge";
  }
  else if (fmt && strcmp (fmt, "rpm") == 0) {
    argv[k++] = "rpm";
    argv[k++] = "-e";
  }
  else
    return 0;
  for (size_t i = 0; i < n; ++i) {
    json_object *t = json_object_array_get_idx (tools, i);
    const char *name = h2k_json_get_string (t, "name");
    if (strcmp (h2k_json_get_string (t, "kind"), "package") == 0 &&
        installed (f, root, name))
      argv[k++] = name;
  }
  if (k == 2)
    return 0;
  return h2k_fixer_plan (&f->fx, "command", NULL, command_details (argv, NULL, NULL),
                         "remove the old hypervisor's tools with %s", argv[0]) ? 0 : -1;
}
