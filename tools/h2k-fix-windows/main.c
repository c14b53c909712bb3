/* h2k-fix-windows: make a Windows guest boot on KVM with virtio storage.
 * See h2k-fix-windows(1).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"
#include "report.h"

enum {
  OPT_KEEP_TOOLS = H2K_OPT_TOOL, OPT_VIRTIO_WIN, OPT_STORAGE, OPT_STRATEGY, OPT_FORMAT,
};

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
           "Usage: %s [OPTIONS] --virtio-win DIR|ISO < manifest.json > manifest.json\n"
           "Plan, then make, the changes a Windows guest needs to boot on KVM\n"
           "from a virtio disk: the virtio storage driver registered to start at\n"
           "boot in every control set and bound to the virtio PCI ids\n"
           "(CriticalDeviceDatabase before Windows 8, DriverDatabase after), the\n"
           "virtio-win packages staged for pnputil at first boot, a first-boot\n"
           "runner (drivers, hypervisor tools removal, static addresses by MAC),\n"
           "other hypervisors' drivers disabled, the BCD backed up.  Works on the\n"
           "overlays h2k-inspect made; every edited hive and file is backed up in\n"
           "the guest under " BACKUP_DIR_WIN ".\n"
           "\n"
           "Options:\n"
           "      --virtio-win=DIR|ISO the virtio-win drivers: a directory or the ISO\n"
           "                           (read with libarchive, never mounted)\n"
           "      --storage=DRV        viostor (virtio-blk, the default) or vioscsi\n"
           "                           (virtio-scsi)\n"
           "      --boot-strategy=S    single (default: boot-start registration) or\n"
           "                           two-phase (boot 1 on SATA installs the drivers)\n"
           "  -n, --dry-run            plan only: record and print the plan\n"
           "      --format=FMT         what goes to stdout: manifest (default) or\n"
           "                           table (the numbered plan, for review)\n"
           "      --keep-hypervisor-tools\n"
           "                           do not disable other hypervisors' drivers and\n"
           "                           services nor uninstall their tools\n"
           H2K_COMMON_HELP
           H2K_USAGE_END ("h2k-fix-windows"),
           h2k_progname);
  exit (status);
}

int
main (int argc, char **argv)
{
  static const struct option long_opts[] = {
    H2K_COMMON_LONG,
    { "dry-run", no_argument, NULL, 'n' },
    { "keep-hypervisor-tools", no_argument, NULL, OPT_KEEP_TOOLS },
    { "virtio-win", required_argument, NULL, OPT_VIRTIO_WIN },
    { "storage", required_argument, NULL, OPT_STORAGE },
    { "boot-strategy", required_argument, NULL, OPT_STRATEGY },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL }
  };
  static struct h2k_tool tool;
  struct fixwin_opts o = { .storage = "viostor" };
  enum h2k_format format = H2K_FORMAT_MANIFEST;
  struct h2k_plan_report rep = { 0 };
  json_object *m = NULL;
  int c, r = -1;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "fix-windows", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, H2K_COMMON_SHORT "n", long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    switch (c) {
    case 'n':
      o.dry_run = tool.stage.dry_run = 1;
      break;
    case OPT_KEEP_TOOLS:
      o.keep_tools = 1;
      break;
    case OPT_VIRTIO_WIN:
      o.virtio_win = optarg;
      break;
    case OPT_STORAGE:
      if (!h2k_config_is_choice ("fix-windows", "storage", optarg)) {
        h2k_error ("--storage: \"%s\": expected viostor or vioscsi", optarg);
        return H2K_EXIT_USAGE;
      }
      o.storage = optarg;
      break;
    case OPT_STRATEGY:
      if (!h2k_config_is_choice ("fix-windows", "boot-strategy", optarg)) {
        h2k_error ("--boot-strategy: \"%s\": expected single or two-phase", optarg);
        return H2K_EXIT_USAGE;
      }
      o.two_phase = strcmp (optarg, "two-phase") == 0;
      break;
    case OPT_FORMAT:
      if (h2k_parse_format (optarg, &format) == -1)
        return H2K_EXIT_USAGE;
      break;
    default:
      usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  if (o.virtio_win == NULL || *o.virtio_win == 0) {
    h2k_error ("--virtio-win DIR|ISO is required (the virtio-win drivers)");
    return H2K_EXIT_USAGE;
  }
  m = h2k_manifest_read (stdin, "<stdin>");
  if (m)
    r = fixwin_run (m, &o, &rep.first);
  rep.dry_run = o.dry_run;
  if (format == H2K_FORMAT_TABLE)
    return h2k_tool_finish_report (&tool, m, r, h2k_render_plan, &rep);
  return h2k_tool_finish (&tool, m, r);
}
