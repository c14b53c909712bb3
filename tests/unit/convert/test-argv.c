/* h2k-convert: options to qemu-img argv. */

#include <stdio.h>
#include <string.h>

#include "test.h"
#include "run.h"
#include "cleanup.h"
#include "../../../tools/h2k-convert/convert.h"

static struct convert_opts
opts (const char *format, const char *compress, const char *prealloc)
{
  struct convert_opts o = { .format = format, .compress = compress,
                            .preallocation = prealloc, .compare = 1 };
  return o;
}

/* The command line as one string, for easy comparison. */
static char *
cmdline (const struct convert_opts *o, const char *src_fmt, int progress)
{
  struct convert_argv a;
  char *s;

  if (convert_build_argv (o, src_fmt, "/src/a.img", "/out/.b.tmp", progress, &a) == -1)
    return NULL;
  s = h2k_argv_to_string (a.argv);
  convert_argv_free (&a);
  return s;
}

TEST (default_qcow2)
{
  struct convert_opts o = opts ("qcow2", NULL, "off");
  CLEANUP_FREE char *s = cmdline (&o, "vmdk", 0);

  CHECK_STR (s, "qemu-img convert -f vmdk -O qcow2 -t unsafe -T writeback "
                "-m 16 -S 4k -- /src/a.img /out/.b.tmp");
}

TEST (vhd_is_vpc_and_progress)
{
  struct convert_opts o = opts ("raw", NULL, "off");
  CLEANUP_FREE char *s = cmdline (&o, "vhd", 1);

  CHECK_STR (s, "qemu-img convert -p -f vpc -O raw -t unsafe -T writeback "
                "-m 16 -W -S 4k -- /src/a.img /out/.b.tmp");
}

TEST (compress_zstd)
{
  struct convert_opts o = opts ("qcow2", "zstd", "off");
  CLEANUP_FREE char *s = cmdline (&o, "qcow2", 0);

  CHECK_STR (s, "qemu-img convert -f qcow2 -O qcow2 -o compression_type=zstd -c "
                "-t unsafe -T writeback -m 16 -S 4k -- /src/a.img /out/.b.tmp");
}

TEST (preallocation)
{
  struct convert_opts q = opts ("qcow2", NULL, "metadata");
  struct convert_opts r = opts ("raw", NULL, "full");
  struct convert_opts v = opts ("vdi", NULL, "metadata");
  CLEANUP_FREE char *sq = cmdline (&q, "raw", 0);
  CLEANUP_FREE char *sr = cmdline (&r, "raw", 0);
  CLEANUP_FREE char *sv = cmdline (&v, "vdi", 0);

  CHECK (sq && strstr (sq, " -o preallocation=metadata "));
  CHECK (sr && strstr (sr, " -O raw -o preallocation=full "));
  CHECK (sv && strstr (sv, " -O vdi -o static=on "));
  /* Out-of-order writes only for raw. */
  CHECK (sq && !strstr (sq, " -W "));
  CHECK (sr && strstr (sr, " -m 16 -W -S 4k "));
  CHECK (sv && !strstr (sv, " -W "));
}

TEST (unknown_source_format)
{
  struct convert_opts o = opts ("qcow2", NULL, "off");
  struct convert_argv a;

  CHECK_INT (convert_build_argv (&o, "iso", "/a", "/b", 0, &a), -1);
}

TEST (check_opts)
{
  struct { const char *f, *c, *p; int ok; const char *why; } t[] = {
    { "qcow2", NULL, "off", 0, NULL },
    { "qcow2", "zstd", "off", 0, NULL },
    { "qcow2", "zlib", "off", 0, NULL },
    { "qcow2", NULL, "full", 0, NULL },
    { "raw", NULL, "falloc", 0, NULL },
    { "vdi", NULL, "metadata", 0, NULL },
    { "vmdk", NULL, "off", -1, "--output-format: must be qcow2, raw or vdi" },
    { "qcow2", "lz4", "off", -1, "--compress: must be zstd or zlib" },
    { "raw", "zstd", "off", -1, "--compress: only qcow2 output can be compressed" },
    { "vdi", "zlib", "off", -1, "--compress: only qcow2 output can be compressed" },
    { "qcow2", NULL, "sparse", -1, "--preallocation: must be off, metadata, falloc or full" },
    { "raw", NULL, "metadata", -1, "--preallocation: raw output supports off, falloc and full" },
    { "vdi", NULL, "full", -1, "--preallocation: vdi output supports off and metadata" },
    { "qcow2", "zstd", "full", -1, "--preallocation: cannot be combined with --compress" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    struct convert_opts o = opts (t[i].f, t[i].c, t[i].p);
    const char *why = NULL;

    CHECK_INT (convert_check_opts (&o, &why), t[i].ok);
    if (t[i].why)
      CHECK_STR (why, t[i].why);
  }
}

int
main (void)
{
  RUN (default_qcow2);
  RUN (vhd_is_vpc_and_progress);
  RUN (compress_zstd);
  RUN (preallocation);
  RUN (unknown_source_format);
  RUN (check_opts);
  return test_done ();
}
