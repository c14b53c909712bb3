/* h2k-convert: convert a VM's disks to qcow2, raw or vdi.
 *
 * Reads a manifest on stdin, converts every disk's current image with
 * qemu-img into the output directory, verifies each output, and writes the
 * manifest with disks[].output on stdout.  See h2k-convert(1).
 */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "tool.h"

#include "convert.h"
#include "libvirt.h"

enum {
  OPT_COMPRESS = H2K_OPT_TOOL,
  OPT_PREALLOCATION,
  OPT_OUTPUT_DIR,
  OPT_NO_COMPARE,
  OPT_LIBVIRT_XML,
  OPT_NETWORK,
  OPT_BRIDGE,
  OPT_BUS,
};

static const char short_opts[] = H2K_COMMON_SHORT "O:fn";
static const struct option long_opts[] = {
  H2K_COMMON_LONG,
  { "output-format", required_argument, NULL, 'O' },
  { "compress", required_argument, NULL, OPT_COMPRESS },
  { "preallocation", required_argument, NULL, OPT_PREALLOCATION },
  { "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
  { "force", no_argument, NULL, 'f' },
  { "no-compare", no_argument, NULL, OPT_NO_COMPARE },
  { "dry-run", no_argument, NULL, 'n' },
  { "libvirt-xml", required_argument, NULL, OPT_LIBVIRT_XML },
  { "network", required_argument, NULL, OPT_NETWORK },
  { "bridge", required_argument, NULL, OPT_BRIDGE },
  { "bus", required_argument, NULL, OPT_BUS },
  { NULL }
};

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
"Usage: %s [OPTIONS] < MANIFEST > MANIFEST\n"
"Convert every disk of the VM to qcow2, raw or vdi, verify each output\n"
"(qemu-img check and compare) and record it in disks[].output.  Outputs\n"
"are named VMNAME-DISKID.FMT.\n"
"\n"
"Options:\n"
"  -O, --output-format=FMT  qcow2 (default), raw or vdi\n"
"      --compress=ALGO      zstd or zlib: compressed qcow2\n"
"      --preallocation=MODE off (default), metadata, falloc or full\n"
"                           (raw: off, falloc, full; vdi: off, metadata)\n"
"      --output-dir=DIR     where outputs go (default: WORKDIR/out);\n"
"                           created if missing\n"
"  -f, --force              overwrite existing outputs\n"
"      --no-compare         skip qemu-img compare (faster; then\n"
"                           identical_to_source is not recorded)\n"
"  -n, --dry-run            say what would be done; write nothing\n"
"      --libvirt-xml=FILE   also write a libvirt domain XML for the VM\n"
"      --bus=BUS            its disks' bus: virtio-blk (default),\n"
"                           virtio-scsi or sata\n"
"      --network=IN:OUT     NICs on source network IN go to libvirt\n"
"                           network OUT (repeatable; unmapped NICs go to\n"
"                           network \"default\")\n"
"      --bridge=IN:OUT      NICs on source network IN go to host bridge OUT\n"
H2K_COMMON_HELP
H2K_USAGE_END ("h2k-convert"), h2k_progname);
  exit (status);
}

int
main (int argc, char *argv[])
{
  static struct h2k_tool tool;
  struct convert_opts o = {
    .format = "qcow2",
    .preallocation = "off",
    .compare = 1,
  };
  struct libvirt_opts lv = LIBVIRT_OPTS_INIT;
  CLEANUP_FREE_STRV char **published = NULL;
  json_object *m;
  const char *why;
  int c, r, status, bus_given = 0;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "convert", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, short_opts, long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    switch (c) {
    case 'O': o.format = optarg; break;
    case OPT_COMPRESS: o.compress = optarg; break;
    case OPT_PREALLOCATION: o.preallocation = optarg; break;
    case OPT_OUTPUT_DIR: o.output_dir = optarg; break;
    case 'f': o.force = 1; break;
    case OPT_NO_COMPARE: o.compare = 0; break;
    case 'n': o.dry_run = 1; break;
    case OPT_LIBVIRT_XML: lv.path = optarg; break;
    case OPT_NETWORK: case OPT_BRIDGE:
      if (libvirt_add_map (&lv, c == OPT_BRIDGE ? "bridge" : "network", optarg) == -1)
        goto usage;
      break;
    case OPT_BUS:
      if (libvirt_parse_bus (optarg, &lv.bus) == -1)
        goto usage;
      bus_given = 1;
      break;
    default: usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (!lv.path && (lv.nmaps > 0 || lv.bus != LIBVIRT_BUS_VIRTIO_BLK)) {
    h2k_error ("--network, --bridge and --bus need --libvirt-xml");
    goto usage;
  }
  if (lv.path && lv.path[0] == '\0') {
    h2k_error ("--libvirt-xml: empty");
    goto usage;
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    goto usage;
  if (convert_check_opts (&o, &why) == -1) {
    h2k_error ("%s", why);
    goto usage;
  }
  if (o.output_dir && o.output_dir[0] == '\0') {
    h2k_error ("--output-dir: empty");
    goto usage;
  }
  o.progress = isatty (STDERR_FILENO);
  tool.stage.dry_run = o.dry_run;
  h2k_catch_signals ();

  m = h2k_manifest_read (stdin, "<stdin>");
  r = m && (!lv.path || (libvirt_windows_bus (m, &lv, bus_given) == 0 &&
                         libvirt_check (m, &lv, o.force, o.dry_run) == 0)) ?
      convert_all (m, &o, &published) : -1;
  if (r == 0 && lv.path && !o.dry_run &&
      libvirt_publish (m, &lv, o.force, &published) == -1) {
    convert_unpublish (published);
    r = -1;
  }
  status = h2k_tool_finish (&tool, m, r);
  if (status != H2K_EXIT_OK && r == 0)
    convert_unpublish (published);
  libvirt_opts_free (&lv);
  return status;

 usage:
  libvirt_opts_free (&lv);
  return H2K_EXIT_USAGE;
}
