/* h2k-convert: options to a qemu-img command line.
 *
 * The flags were chosen by measuring (tests/bench/convert.sh, see the
 * README):
 *
 *   -t unsafe   no flushes while converting.  qcow2 with -t writeback
 *               flushes on metadata updates and was 2-2.5x slower; the
 *               output is a temporary file that we fsync once before it is
 *               renamed into place, so nothing unsafe is ever published.
 *   -T writeback  (the default) for the source: -t none / -T none
 *               (O_DIRECT) were 2.5-3x slower, and fail on file systems
 *               without O_DIRECT (tmpfs).
 *   -m 16       16 parallel requests instead of 8: the fastest
 *               invocation measured (1.15-1.25x faster than the defaults).
 *   -W          out-of-order writes, for raw output only.  For qcow2 and
 *               vdi it gave no gain beyond the noise and allocates the
 *               clusters in completion order, scattering the image; with
 *               -c qemu-img refuses it.
 *   -S 4k       (the default) zero detection: runs of 4 KiB of zeroes in
 *               the source are not written, so outputs stay sparse.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "qemu-img.h"

#include "convert.h"

static int
in_list (const char *s, const char *const *list)
{
  for (size_t i = 0; list[i]; ++i)
    if (strcmp (s, list[i]) == 0)
      return 1;
  return 0;
}

/* Preallocation modes each output format supports.  VDI's "metadata" is
 * qemu's static=on (the block map is allocated, data stays sparse).
 */
static const char *const prealloc_qcow2[] = { "off", "metadata", "falloc", "full", NULL };
static const char *const prealloc_raw[] = { "off", "falloc", "full", NULL };
static const char *const prealloc_vdi[] = { "off", "metadata", NULL };

static const char *const *
prealloc_modes (const char *format)
{
  if (strcmp (format, "qcow2") == 0)
    return prealloc_qcow2;
  if (strcmp (format, "raw") == 0)
    return prealloc_raw;
  return prealloc_vdi;
}

int
convert_check_opts (const struct convert_opts *o, const char **why)
{
  /* The choices are the configuration schema's (config-schema.c); each
   * output format then supports some preallocation modes only.
   */
  if (!h2k_config_is_choice ("convert", "output-format", o->format)) {
    *why = "--output-format: must be qcow2, raw or vdi";
    return -1;
  }
  if (o->compress && !h2k_config_is_choice ("convert", "compress", o->compress)) {
    *why = "--compress: must be zstd or zlib";
    return -1;
  }
  if (o->compress && strcmp (o->format, "qcow2") != 0) {
    *why = "--compress: only qcow2 output can be compressed";
    return -1;
  }
  if (!h2k_config_is_choice ("convert", "preallocation", o->preallocation)) {
    *why = "--preallocation: must be off, metadata, falloc or full";
    return -1;
  }
  if (!in_list (o->preallocation, prealloc_modes (o->format))) {
    *why = strcmp (o->format, "raw") == 0
      ? "--preallocation: raw output supports off, falloc and full"
      : "--preallocation: vdi output supports off and metadata";
    return -1;
  }
  if (o->compress && strcmp (o->preallocation, "off") != 0) {
    *why = "--preallocation: cannot be combined with --compress";
    return -1;
  }
  return 0;
}

const char *
convert_format_ext (const char *format)
{
  return format;
}

/* The -o option string, or NULL when there is none. */
static int
build_opts (const struct convert_opts *o, char **opts)
{
  const char *prealloc = o->preallocation;
  int r;

  *opts = NULL;
  if (strcmp (prealloc, "off") == 0) {
    if (!o->compress)
      return 0;
    r = asprintf (opts, "compression_type=%s", o->compress);
  }
  else if (strcmp (o->format, "vdi") == 0)
    r = asprintf (opts, "static=on");
  else
    r = asprintf (opts, "preallocation=%s", prealloc);
  if (r == -1) {
    *opts = NULL;
    h2k_error ("asprintf: %m");
    return -1;
  }
  return 0;
}

int
convert_build_argv (const struct convert_opts *o, const char *src_fmt,
                    const char *src, const char *dst, int progress,
                    struct convert_argv *a)
{
  const char *qfmt = h2k_qemu_format (src_fmt);
  size_t i = 0;

  memset (a, 0, sizeof *a);
  if (qfmt == NULL) {
    h2k_error ("%s: unknown source format \"%s\"", src, src_fmt);
    return -1;
  }
  if (build_opts (o, &a->opts) == -1)
    return -1;
  a->argv[i++] = "qemu-img";
  a->argv[i++] = "convert";
  if (progress)
    a->argv[i++] = "-p";
  a->argv[i++] = "-f";
  a->argv[i++] = qfmt;
  a->argv[i++] = "-O";
  a->argv[i++] = o->format;
  if (a->opts) {
    a->argv[i++] = "-o";
    a->argv[i++] = a->opts;
  }
  if (o->compress)
    a->argv[i++] = "-c";
  a->argv[i++] = "-t";
  a->argv[i++] = "unsafe";
  a->argv[i++] = "-T";
  a->argv[i++] = "writeback";
  a->argv[i++] = "-m";
  a->argv[i++] = "16";
  if (strcmp (o->format, "raw") == 0)
    a->argv[i++] = "-W";
  a->argv[i++] = "-S";
  a->argv[i++] = "4k";
  a->argv[i++] = "--";
  a->argv[i++] = src;
  a->argv[i++] = dst;
  a->argv[i] = NULL;
  return 0;
}

void
convert_argv_free (struct convert_argv *a)
{
  free (a->opts);
  a->opts = NULL;
}
