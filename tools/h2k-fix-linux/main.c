/* h2k-fix-linux: make a Linux guest boot on KVM with virtio, on its first
 * power-on, keeping its network.  See h2k-fix-linux(1).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"
#include "report.h"

enum { OPT_KEEP_TOOLS = H2K_OPT_TOOL, OPT_FORMAT };

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
           "Usage: %s [OPTIONS] < manifest.json > manifest.json\n"
           "Plan, then make, the changes a Linux guest needs to boot on KVM with\n"
           "virtio: fstab and boot loader by UUID, virtio drivers in every\n"
           "initramfs, NIC names kept for their configuration, the old\n"
           "hypervisor's tools removed, the UEFI fallback loader.  Works on the\n"
           "overlays h2k-inspect made; every edited file is backed up in the guest\n"
           "under " BACKUP_DIR ".\n"
           "\n"
           "Options:\n"
           "  -n, --dry-run            plan only: record and print the plan\n"
           "      --format=FMT         what goes to stdout: manifest (default) or\n"
           "                           table (the numbered plan, for review)\n"
           "      --keep-hypervisor-tools\n"
           "                           do not remove VMware/Hyper-V/VirtualBox tools\n"
           H2K_COMMON_HELP
           H2K_USAGE_END ("h2k-fix-linux"),
           h2k_progname);
  exit (status);
}

static const struct {
  const char *action;
  applier_fn apply;
} appliers[] = {
  { "edit-lines", apply_edit_lines },
  { "write-file", apply_write_file },
  { "remove-file", apply_remove_file },
  { "copy-file", apply_copy_file },
  { "command", apply_command },
  { "fstrim", apply_fstrim },
};

typedef int (*planner_fn) (struct fix *f);

/* In the order the changes must happen: the persistent-net rules go
 * before any initramfs is rebuilt (initramfs-tools copies them in), grub
 * is regenerated after fstab, the initramfs last.
 */
static const planner_fn planners[] = {
  plan_network, plan_fstab, plan_grub, plan_efi, plan_tools, plan_initramfs,
};

static int
apply (struct fix *f, json_object *item)
{
  const char *action = h2k_json_get_string (item, "action");

  for (size_t i = 0; i < sizeof appliers / sizeof appliers[0]; ++i)
    if (strcmp (action, appliers[i].action) == 0)
      return appliers[i].apply (f, item);
  h2k_error ("%s: unknown action %s", h2k_json_get_string (item, "id"), action);
  return -1;
}

/* SELinux guests relabel what we wrote at their next boot. */
static int
plan_relabel (struct fix *f, size_t first)
{
  const char *se = h2k_json_get_string (f->guest, "selinux");
  json_object *d;

  if (json_object_array_length (f->fx.plan) == first || se == NULL ||
      (strcmp (se, "enforcing") && strcmp (se, "permissive")) ||
      h2k_guest_is_file (f->fx.g, "/.autorelabel"))
    return 0;
  d = json_object_new_object ();
  if (d == NULL || h2k_json_set_string (d, "path", "/.autorelabel") == -1 ||
      h2k_json_set_string (d, "content", "") == -1)
    return -1;
  return h2k_fixer_plan (&f->fx, "write-file", "/.autorelabel", d,
                         "SELinux is %s: relabel the files we wrote at first boot", se)
         ? 0 : -1;
}

/* Last, when anything changed: trim every mounted filesystem, so that
 * h2k-convert copies less.
 */
static int
plan_fstrim (struct fix *f, size_t first)
{
  CLEANUP_FREE_STRV char **mps = NULL;
  json_object *d, *arr;

  if (json_object_array_length (f->fx.plan) == first)
    return 0;
  mps = guestfs_mountpoints (f->fx.g);
  d = json_object_new_object ();
  arr = json_object_new_array ();
  if (mps == NULL || d == NULL || arr == NULL || h2k_json_set (d, "mountpoints", arr) == -1) {
    json_object_put (d);
    return -1;
  }
  for (size_t i = 0; mps[i] && mps[i + 1]; i += 2)
    if (h2k_json_array_add_string (arr, mps[i + 1]) == -1) {
      json_object_put (d);
      return -1;
    }
  return h2k_fixer_plan (&f->fx, "fstrim", NULL, d,
                         "discard the free space of every filesystem, so that "
                         "h2k-convert copies less") ? 0 : -1;
}

static int
check_input (json_object *guest)
{
  const char *type = h2k_json_get_string (guest, "type");

  if (guest == NULL) {
    h2k_error ("<stdin>: /guest: missing: run h2k-inspect first");
    return -1;
  }
  if (type == NULL || strcmp (type, "linux") != 0) {
    h2k_error ("<stdin>: /guest/type: \"%s\": h2k-fix-linux fixes Linux guests "
               "(see h2k-fix-windows)", type ? type : "");
    return -1;
  }
  return 0;
}

static int
mount_guest (guestfs_h *g, json_object *guest, int mode)
{
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (g);
  const char *root = h2k_json_get_string (guest, "root");

  if (roots == NULL)
    return -1;
  for (size_t i = 0; roots[i]; ++i)
    if (strcmp (roots[i], root) == 0)
      return h2k_guest_mount (g, root, mode);
  h2k_error ("<stdin>: /guest/root: %s is not an OS root on these disks", root);
  return -1;
}

static int
run (json_object *m, const struct fix_opts *o, size_t *first_out)
{
  CLEANUP_GUESTFS guestfs_h *g = NULL;
  json_object *guest = h2k_json_get_object (m, "guest");
  int mode = o->dry_run ? H2K_GUEST_RO : H2K_GUEST_RW;
  struct fix f = {
    .fx = { .tool = "h2k-fix-linux", .backup_dir = BACKUP_DIR },
    .m = m, .guest = guest, .o = o,
  };
  size_t first;

  if (check_input (guest) == -1)
    return -1;
  f.fx.plan = h2k_json_ensure_array (m, "plan");
  f.fx.changes = h2k_json_ensure_array (m, "changes");
  if (f.fx.plan == NULL || f.fx.changes == NULL)
    return -1;
  g = f.fx.g = h2k_guest_launch (m, mode);
  if (g == NULL || mount_guest (g, guest, mode) == -1)
    return -1;
  first = *first_out = json_object_array_length (f.fx.plan);
  for (size_t i = 0; i < sizeof planners / sizeof planners[0]; ++i)
    if (planners[i] (&f) == -1)
      return -1;
  if (plan_relabel (&f, first) == -1 || plan_fstrim (&f, first) == -1)
    return -1;
  h2k_fixer_print_plan (&f.fx, first);
  if (!o->dry_run)
    for (size_t i = first; i < json_object_array_length (f.fx.plan); ++i)
      if (apply (&f, json_object_array_get_idx (f.fx.plan, i)) == -1)
        return -1;
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option long_opts[] = {
    H2K_COMMON_LONG,
    { "dry-run", no_argument, NULL, 'n' },
    { "keep-hypervisor-tools", no_argument, NULL, OPT_KEEP_TOOLS },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL }
  };
  static struct h2k_tool tool;
  struct fix_opts o = { 0 };
  enum h2k_format format = H2K_FORMAT_MANIFEST;
  struct h2k_plan_report rep = { 0 };
  json_object *m = NULL;
  int c, r = -1;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "fix-linux", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, H2K_COMMON_SHORT "n", long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    if (c == 'n')
      o.dry_run = tool.stage.dry_run = 1;
    else if (c == OPT_KEEP_TOOLS)
      o.keep_tools = 1;
    else if (c == OPT_FORMAT && h2k_parse_format (optarg, &format) == -1)
      return H2K_EXIT_USAGE;
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  m = h2k_manifest_read (stdin, "<stdin>");
  if (m)
    r = run (m, &o, &rep.first);
  rep.dry_run = o.dry_run;
  if (format == H2K_FORMAT_TABLE)
    return h2k_tool_finish_report (&tool, m, r, h2k_render_plan, &rep);
  return h2k_tool_finish (&tool, m, r);
}
