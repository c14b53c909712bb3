/* h2k-validate: boot the converted VM under QEMU as it will run on KVM
 * and prove that it booted and kept its network.
 *
 * Reads a manifest on stdin, boots every disk's newest image through a
 * throwaway overlay, watches the serial console for the login prompt and
 * the network for the guest's own addresses, and writes the manifest with
 * "validation" on stdout.  See h2k-validate(1).
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "tool.h"

#include "validate.h"

enum {
  OPT_BUS = H2K_OPT_TOOL,
  OPT_MACHINE,
  OPT_MEMORY,
  OPT_TIMEOUT,
  OPT_NET_TIMEOUT,
  OPT_EXPECT,
  OPT_KERNEL,
  OPT_INITRD,
  OPT_APPEND,
  OPT_SIGNAL,
  OPT_NO_OFFLINE,
  OPT_KEEP_TMPDIR,
};

static const char short_opts[] = H2K_COMMON_SHORT "n";
static const struct option long_opts[] = {
  H2K_COMMON_LONG,
  { "bus", required_argument, NULL, OPT_BUS },
  { "machine", required_argument, NULL, OPT_MACHINE },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "timeout", required_argument, NULL, OPT_TIMEOUT },
  { "net-timeout", required_argument, NULL, OPT_NET_TIMEOUT },
  { "expect", required_argument, NULL, OPT_EXPECT },
  { "kernel", required_argument, NULL, OPT_KERNEL },
  { "initrd", required_argument, NULL, OPT_INITRD },
  { "append", required_argument, NULL, OPT_APPEND },
  { "signal", required_argument, NULL, OPT_SIGNAL },
  { "no-offline-checks", no_argument, NULL, OPT_NO_OFFLINE },
  { "keep-tmpdir", no_argument, NULL, OPT_KEEP_TMPDIR },
  { "dry-run", no_argument, NULL, 'n' },
  { NULL }
};

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
"Usage: %s [OPTIONS] < MANIFEST > MANIFEST\n"
"Check the converted VM's images and guest offline, then boot it under\n"
"QEMU (virtio disks and NICs, never writing its images) and prove that it\n"
"came up (a beacon injected into a throwaway overlay reports from inside\n"
"the guest) and answers on its own addresses.  The evidence goes to the\n"
"manifest's \"validation\".\n"
"\n"
"Options:\n"
"      --bus=BUS            virtio-blk (default), virtio-scsi or sata\n"
"      --machine=TYPE       q35 (default) or pc\n"
"      --memory=MIB         cap on vm.memory_mb (default %d)\n"
"      --signal=SIGNAL      beacon (default) or login: what proves the boot\n"
"      --no-offline-checks  skip qemu-img check and the guest checks\n"
"      --timeout=SECONDS    wait for the signal (default %d with\n"
"                           KVM, %d with TCG)\n"
"      --net-timeout=SECONDS\n"
"                           then wait for the network proof (default %d)\n"
"      --expect=REGEX       the login prompt (default '%s')\n"
"      --kernel=FILE        boot this kernel directly (with --initrd=FILE\n"
"      --initrd=FILE        and --append=TEXT), the disks attached\n"
"      --append=TEXT\n"
"      --keep-tmpdir        keep the temporary directory (the overlays the\n"
"                           guest wrote, the serial logs) for a post-mortem\n"
"  -n, --dry-run            print the qemu command line; check and boot\n"
"                           nothing\n"
H2K_COMMON_HELP
"\n"
"Exit status: 0 validation passed, 1 failed (see --failed-manifest),\n"
"2 usage error.\n"
"See h2k-validate(1) and h2k-manifest(5).\n", h2k_progname, VALIDATE_DEFAULT_MEMORY,
           VALIDATE_TIMEOUT_KVM, VALIDATE_TIMEOUT_TCG, VALIDATE_NET_TIMEOUT,
           VALIDATE_LOGIN_REGEX);
  exit (status);
}

/* A positive number up to MAX, or -1. */
static double
number (const char *s, double max)
{
  char *end;
  double d;

  errno = 0;
  d = strtod (s, &end);
  if (errno || end == s || *end || d <= 0 || d > max)
    return -1;
  return d;
}

int
main (int argc, char *argv[])
{
  static struct h2k_tool tool;
  struct validate_opts o = {
    .machine = "q35",
    .bus = "virtio-blk",
    .memory_cap = VALIDATE_DEFAULT_MEMORY,
    .net_timeout = VALIDATE_NET_TIMEOUT,
    .expect = VALIDATE_LOGIN_REGEX,
    .signal = "beacon",
  };
  json_object *m;
  const char *why;
  int c, r;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "validate", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, short_opts, long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    switch (c) {
    case OPT_BUS: o.bus = optarg; o.bus_set = 1; break;
    case OPT_MACHINE: o.machine = optarg; break;
    case OPT_MEMORY: o.memory_cap = (int) number (optarg, 1 << 20); break;
    case OPT_TIMEOUT: o.timeout = number (optarg, 86400); break;
    case OPT_NET_TIMEOUT: o.net_timeout = number (optarg, 86400); break;
    case OPT_EXPECT: o.expect = optarg; break;
    case OPT_KERNEL: o.kernel = optarg; break;
    case OPT_INITRD: o.initrd = optarg; break;
    case OPT_APPEND: o.append = optarg; break;
    case OPT_SIGNAL: o.signal = optarg; break;
    case OPT_NO_OFFLINE: o.no_offline = 1; break;
    case OPT_KEEP_TMPDIR: o.keep_tmpdir = 1; break;
    case 'n': o.dry_run = 1; break;
    default: usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  if (validate_check_opts (&o, &why) == -1) {
    h2k_error ("%s", why);
    return H2K_EXIT_USAGE;
  }
  tool.stage.dry_run = o.dry_run;
  h2k_catch_signals ();

  m = h2k_manifest_read (stdin, "<stdin>");
  r = m ? validate_run (m, &o) : -1;
  return h2k_tool_finish (&tool, m, r);
}
