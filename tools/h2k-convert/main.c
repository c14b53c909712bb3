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

enum {
  OPT_COMPRESS = H2K_OPT_TOOL,
  OPT_PREALLOCATION,
  OPT_OUTPUT_DIR,
  OPT_NO_COMPARE,
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
  { NULL }
};

static void
usage (FILE *fp, int status)
{
  fprintf (fp,
"Usage: %s [OPTIONS] < MANIFEST > MANIFEST\n"
"Convert every disk of the VM to qcow2, raw or vdi, verify each output\n"
"(qemu-img check and compare) and record it in disks[].output.\n"
"\n"
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
H2K_COMMON_HELP
"\n"
"Outputs are named VMNAME-DISKID.FMT.  Exit status: 0 success, 1 failure,\n"
"2 usage error.\n", h2k_progname);
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
  CLEANUP_FREE_STRV char **published = NULL;
  json_object *m;
  const char *why;
  int c, r, status;

  h2k_tool_init (&tool, argv[0]);
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
    default: usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  if (convert_check_opts (&o, &why) == -1) {
    h2k_error ("%s", why);
    return H2K_EXIT_USAGE;
  }
  if (o.output_dir && o.output_dir[0] == '\0') {
    h2k_error ("--output-dir: empty");
    return H2K_EXIT_USAGE;
  }
  o.progress = isatty (STDERR_FILENO);
  tool.stage.dry_run = o.dry_run;
  h2k_catch_signals ();

  m = h2k_manifest_read (stdin, "<stdin>");
  r = m ? convert_all (m, &o, &published) : -1;
  status = h2k_tool_finish (&tool, m, r);
  if (status != H2K_EXIT_OK && r == 0)
    convert_unpublish (published);
  return status;
}
