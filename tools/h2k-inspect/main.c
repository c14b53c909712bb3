/* h2k-inspect: look inside the guest and record what matters for moving
 * it to KVM.  See h2k-inspect(1).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"
#include "report.h"

enum { OPT_FORMAT = H2K_OPT_TOOL };

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
           "Usage: %s [OPTIONS] < manifest.json > manifest.json\n"
           "Inspect the guest on the VM's disks: OS, filesystems, boot loader,\n"
           "kernels and initramfs, network configuration, hypervisor tools,\n"
           "and the risks to its first boot on KVM.  Records them in \"guest\".\n"
           "\n"
           "Each disk gets a qcow2 overlay in the workdir backed by its current\n"
           "image; later stages write only the overlay.  Sources are opened\n"
           "read-only.\n"
           "\n"
           "Options:\n"
           "  -n, --dry-run            make no overlays: inspect the current images\n"
           "      --format=FMT         what goes to stdout: manifest (default) or\n"
           "                           table (a summary for people; a manifest\n"
           "                           already inspected is only rendered)\n"
           H2K_COMMON_HELP
           "\n"
           "Environment: H2K_ACCEL=kvm|tcg skips the KVM probe.\n"
           H2K_USAGE_END ("h2k-inspect"),
           h2k_progname);
  exit (status);
}

static int
inspect_guest (guestfs_h *g, json_object *m, json_object *guest)
{
  CLEANUP_FREE char *root = inspect_os (g, guest);
  const char *type = h2k_json_get_string (guest, "type");

  if (root == NULL || h2k_guest_mount (g, root, H2K_GUEST_RO) == -1 ||
      inspect_storage (g, m, root, guest) == -1)
    return -1;
  if (type && strcmp (type, "linux") == 0 &&
      (inspect_init (g, guest) == -1 ||
       inspect_boot (g, guest) == -1 ||
       inspect_network (g, guest) == -1 ||
       inspect_tools (g, root, guest) == -1))
    return -1;
  if (type && strcmp (type, "windows") == 0 && inspect_windows (g, root, guest) == -1)
    return -1;
  return compute_risks (m, guest);
}

static int
run (json_object *m, const struct inspect_opts *o)
{
  CLEANUP_GUESTFS guestfs_h *g = NULL;
  CLEANUP_JSON json_object *guest = json_object_new_object ();

  if (guest == NULL || make_overlays (m, o) == -1)
    return -1;
  g = h2k_guest_launch (m, H2K_GUEST_RO);
  if (g == NULL || inspect_guest (g, m, guest) == -1)
    return -1;
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    return -1;
  if (h2k_json_set (m, "guest", json_object_get (guest)) == -1)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option long_opts[] = {
    H2K_COMMON_LONG,
    { "dry-run", no_argument, NULL, 'n' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL }
  };
  static struct h2k_tool tool;
  struct inspect_opts o = { 0 };
  enum h2k_format format = H2K_FORMAT_MANIFEST;
  json_object *m = NULL;
  int c, r = -1;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "inspect", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, H2K_COMMON_SHORT "n", long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    if (c == 'n')
      o.dry_run = tool.stage.dry_run = 1;
    else if (c == OPT_FORMAT && h2k_parse_format (optarg, &format) == -1)
      return H2K_EXIT_USAGE;
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  m = h2k_manifest_read (stdin, "<stdin>");
  if (m && format == H2K_FORMAT_TABLE && h2k_json_get_object (m, "guest"))
    r = 0;                      /* already inspected: only render it */
  else if (m)
    r = run (m, &o);
  if (format == H2K_FORMAT_TABLE)
    return h2k_tool_finish_report (&tool, m, r, inspect_render_table, NULL);
  return h2k_tool_finish (&tool, m, r);
}
