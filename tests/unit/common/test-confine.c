/* Unit tests: common/confine.c, the files image metadata may name. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "byteorder.h"
#include "cleanup.h"
#include "confine.h"
#include "error.h"
#include "util.h"

/* top/pkg holds the images; top/outside is elsewhere on the "host". */
static char top[] = "/tmp/h2k-test-confine-XXXXXX";

static char *
at (const char *name)
{
  char *p;

  if (asprintf (&p, "%s/%s", top, name) == -1)
    abort ();
  return p;
}

static void
make_file (const char *name, const void *data, size_t len)
{
  CLEANUP_FREE char *p = at (name);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (fd == -1 || write (fd, data, len) != (ssize_t) len || close (fd) == -1)
    abort ();
}

static void
make_text (const char *name, const char *text)
{
  make_file (name, text, strlen (text));
}

static void
make_link (const char *target, const char *name)
{
  CLEANUP_FREE char *p = at (name);

  unlink (p);
  if (symlink (target, p) == -1)
    abort ();
}

/* The first error contains WANT (and is one line). */
static int
error_has (const char *want)
{
  const char *e = h2k_first_error ();
  int ok = e && strstr (e, want) != NULL && strchr (e, '\n') == NULL;

  if (!ok)
    printf ("# error \"%s\", wanted \"%s\"\n", e ? e : "(none)", want);
  h2k_clear_error ();
  return ok;
}

/* h2k_confine_path of NAMED in pkg/x.vmdk's FIELD: 0 or -1. */
static int
confine (const char *named)
{
  CLEANUP_FREE char *naming = at ("pkg/x.vmdk"), *p = NULL;
  int r;

  h2k_clear_error ();
  r = h2k_confine_path (naming, "extent", named, &p);
  if (r == 0 && (p == NULL || p[0] != '/'))
    r = -2;
  return r;
}

TEST (inside)
{
  CLEANUP_FREE char *naming = at ("pkg/x.vmdk"), *p = NULL, *want = NULL;
  CLEANUP_FREE char *abs = at ("pkg/x-flat.vmdk");

  CHECK (confine ("x-flat.vmdk") == 0);
  CHECK (confine ("./x-flat.vmdk") == 0);
  CHECK (confine ("sub/y.vmdk") == 0);
  CHECK (confine ("sub/../x-flat.vmdk") == 0);
  CHECK (confine (abs) == 0);
  /* A link inside the package to a file inside it. */
  CHECK (confine ("inner-link") == 0);
  /* The path as it will be opened: joined, links not resolved. */
  CHECK (h2k_confine_path (naming, "extent", "inner-link", &p) == 0);
  want = at ("pkg/inner-link");
  CHECK_STR (p, want);
}

TEST (outside)
{
  CLEANUP_FREE char *host = at ("outside/secret"), *want = NULL;

  CHECK (confine (host) == -1);
  if (asprintf (&want, "x.vmdk: extent \"%s\" resolves to %s, outside %s/pkg: "
                "refused", host, host, top) == -1)
    abort ();
  CHECK (error_has (want));
  CHECK (confine ("../outside/secret") == -1);
  CHECK (error_has ("extent \"../outside/secret\" resolves to"));
  CHECK (confine ("sub/../../outside/secret") == -1);
  CHECK (error_has ("outside"));
  /* A symbolic link in the package pointing out of it. */
  CHECK (confine ("evil-link") == -1);
  CHECK (error_has ("extent \"evil-link\" resolves to"));
  /* A directory in the package that is a link out of it. */
  CHECK (confine ("evil-dir/secret") == -1);
  CHECK (error_has ("extent \"evil-dir/secret\" resolves to"));
  /* The real thing is refused without being read. */
  CHECK (confine ("/etc/shadow") == -1);
  CHECK (error_has ("extent \"/etc/shadow\" resolves to /etc/shadow, outside"));
  CHECK (confine ("missing.vmdk") == -1);
  CHECK (error_has ("extent \"missing.vmdk\": No such file or directory"));
}

/* A name that resolves inside, through a directory outside: qemu would
 * take that file's own names against the outside directory.
 */
TEST (outside_directory)
{
  CLEANUP_FREE char *via = at ("outside/link-in");

  CHECK (confine (via) == -1);
  CHECK (error_has ("link-in\": its directory resolves to"));
}

TEST (types)
{
  CHECK (confine ("fifo") == -1);
  CHECK (error_has ("/pkg/fifo is a FIFO: refused"));
  CHECK (confine ("sub") == -1);
  CHECK (error_has ("is a directory: refused"));
  CHECK (h2k_confine_allow_dir ("/dev") == 0);
  CHECK (confine ("/dev/null") == -1);
  CHECK (error_has ("/dev/null is a character device (allow with --allow-devices): refused"));
  h2k_confine_allow_devices (1);
  CHECK (confine ("/dev/null") == 0);
  CHECK (confine ("fifo") == -1);
  CHECK (error_has ("is a FIFO"));
  h2k_confine_reset ();
  CHECK (confine ("/dev/null") == -1);
  h2k_clear_error ();
}

TEST (allow_dir)
{
  CLEANUP_FREE char *outside = at ("outside"), *host = at ("outside/secret");
  CLEANUP_FREE char *file = at ("outside/secret");

  h2k_clear_error ();
  CHECK (h2k_confine_allow_dir ("/") == -1);
  CHECK (error_has ("--allow-disk-dir: /: is the root directory: refused"));
  CHECK (h2k_confine_allow_dir ("/.") == -1);
  CHECK (error_has ("root directory"));
  CHECK (h2k_confine_allow_dir ("/tmp/..") == -1);
  CHECK (error_has ("root directory"));
  CHECK (h2k_confine_allow_dir ("relative/dir") == -1);
  CHECK (error_has ("not an absolute path"));
  CHECK (h2k_confine_allow_dir ("/nonexistent-h2k") == -1);
  CHECK (error_has ("No such file or directory"));
  CHECK (h2k_confine_allow_dir (file) == -1);
  CHECK (error_has ("not a directory"));
  CHECK (confine (host) == -1);
  h2k_clear_error ();
  CHECK (h2k_confine_allow_dir (outside) == 0);
  CHECK (confine (host) == 0);
  CHECK (confine ("../outside/secret") == 0);
  CHECK (confine ("evil-link") == 0);
  CHECK (confine ("/etc/shadow") == -1);
  h2k_confine_reset ();
  CHECK (confine (host) == -1);
  h2k_clear_error ();
}

/* A qcow2 header (version 3, 64 KiB clusters) naming BACKING (or NULL),
 * with BACKING_FMT and DATA_FILE header extensions (or NULL).
 */
static size_t
put_ext (unsigned char *b, size_t off, uint32_t type, const char *s)
{
  size_t len = strlen (s);

  h2k_put_be32 (b + off, type);
  h2k_put_be32 (b + off + 4, len);
  memcpy (b + off + 8, s, len);
  return off + 8 + ((len + 7) & ~(size_t) 7);
}

static void
make_qcow2 (const char *name, const char *backing, const char *backing_fmt,
            const char *data_file)
{
  static unsigned char b[4096];
  size_t off = 104;

  memset (b, 0, sizeof b);
  memcpy (b, "QFI\xfb", 4);
  h2k_put_be32 (b + 4, 3);
  h2k_put_be32 (b + 20, 16);
  h2k_put_be32 (b + 100, 104);
  if (backing_fmt)
    off = put_ext (b, off, 0xe2792aca, backing_fmt);
  if (data_file)
    off = put_ext (b, off, 0x44415441, data_file);
  off += 8;                     /* end of extensions */
  if (backing) {
    h2k_put_be32 (b + 12, off);        /* backing_file_offset (low half) */
    h2k_put_be32 (b + 16, strlen (backing));
    memcpy (b + off, backing, strlen (backing));
  }
  make_file (name, b, sizeof b);
}

static int
image (const char *name, const char *format, const char *trusted)
{
  CLEANUP_FREE char *p = at (name);

  h2k_clear_error ();
  return h2k_confine_image (p, format, trusted);
}

TEST (qcow2)
{
  CLEANUP_FREE char *host = at ("outside/secret"), *dir = at ("pkg");
  CLEANUP_FREE char *cwd = get_current_dir_name ();

  make_qcow2 ("pkg/base.qcow2", NULL, NULL, NULL);
  make_qcow2 ("pkg/top.qcow2", "base.qcow2", "qcow2", NULL);
  CHECK (image ("pkg/top.qcow2", "qcow2", NULL) == 0);
  /* Without a recorded format, the base is probed by its magic. */
  make_qcow2 ("pkg/top2.qcow2", "top.qcow2", NULL, NULL);
  CHECK (image ("pkg/top2.qcow2", "qcow2", NULL) == 0);
  make_qcow2 ("pkg/host.qcow2", host, "raw", NULL);
  CHECK (image ("pkg/host.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("host.qcow2: backing file \""));
  CHECK (image ("pkg/host.qcow2", NULL, NULL) == -1);
  h2k_clear_error ();
  /* Two levels down: the middle image is fine, its backing file is not. */
  make_qcow2 ("pkg/mid.qcow2", "host.qcow2", "qcow2", NULL);
  CHECK (image ("pkg/mid.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("host.qcow2: backing file"));
  make_qcow2 ("pkg/shadow.qcow2", "/etc/shadow", NULL, NULL);
  CHECK (image ("pkg/shadow.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("shadow.qcow2: backing file \"/etc/shadow\" resolves to /etc/shadow, outside"));
  make_qcow2 ("pkg/nbd.qcow2", "nbd://127.0.0.1:10809", "raw", NULL);
  CHECK (image ("pkg/nbd.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("backing file \"nbd://127.0.0.1:10809\" is not a local file: refused"));
  make_qcow2 ("pkg/json.qcow2", "json:{\"file.filename\":\"/etc/shadow\"}", NULL, NULL);
  CHECK (image ("pkg/json.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("is not a local file"));
  /* A parent that does not exist: qemu cannot open it either. */
  make_qcow2 ("pkg/gone.qcow2", "/vmfs/volumes/ds/gone.qcow2", "qcow2", NULL);
  CHECK (image ("pkg/gone.qcow2", "qcow2", NULL) == 0);
  make_qcow2 ("pkg/qed.qcow2", "base.qcow2", "qed", NULL);
  CHECK (image ("pkg/qed.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("backing format: \"qed\" is not supported"));
  /* External data files; relative ones are opened against the cwd. */
  make_qcow2 ("pkg/data.qcow2", NULL, NULL, host);
  CHECK (image ("pkg/data.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("data.qcow2: data-file \""));
  make_qcow2 ("pkg/data-in.qcow2", NULL, NULL, "x-flat.vmdk");
  CHECK (chdir (dir) == 0);
  CHECK (image ("pkg/data-in.qcow2", "qcow2", NULL) == 0);
  CHECK (chdir ("/") == 0);
  CHECK (image ("pkg/data-in.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("data-file \"/x-flat.vmdk\": No such file or directory"));
  CHECK (chdir (cwd) == 0);
  /* An overlay (ours) may name its recorded backing file, which is then
   * walked in turn.
   */
  {
    CLEANUP_FREE char *top_q = at ("pkg/top.qcow2"), *host_q = at ("pkg/host.qcow2");

    make_qcow2 ("outside/overlay.qcow2", top_q, "qcow2", NULL);
    CHECK (image ("outside/overlay.qcow2", "qcow2", NULL) == -1);
    h2k_clear_error ();
    CHECK (image ("outside/overlay.qcow2", "qcow2", top_q) == 0);
    make_qcow2 ("outside/overlay.qcow2", host_q, "qcow2", NULL);
    CHECK (image ("outside/overlay.qcow2", "qcow2", host_q) == -1);
    CHECK (error_has ("host.qcow2: backing file"));
  }
  /* Hostile headers. */
  {
    unsigned char b[512] = "QFI\xfb";

    b[7] = 1;                   /* version 1 */
    make_file ("pkg/v1.img", b, sizeof b);
    CHECK (image ("pkg/v1.img", NULL, NULL) == -1);
    CHECK (error_has ("qcow version 1"));
    make_file ("pkg/qed.img", "QED\0", 4);
    CHECK (image ("pkg/qed.img", NULL, NULL) == -1);
    CHECK (error_has ("QED"));
  }
  {
    static unsigned char b[4096];

    memcpy (b, "QFI\xfb", 4);
    h2k_put_be32 (b + 4, 3);
    h2k_put_be32 (b + 20, 16);
    h2k_put_be32 (b + 100, 104);
    h2k_put_be32 (b + 104, 0x44415441);
    h2k_put_be32 (b + 108, 0x7fffffff);  /* longer than the cluster */
    make_file ("pkg/ext.qcow2", b, sizeof b);
    CHECK (image ("pkg/ext.qcow2", "qcow2", NULL) == -1);
    CHECK (error_has ("longer than the header area"));
    h2k_put_be32 (b + 108, 0);
    h2k_put_be32 (b + 16, 2000);       /* backing name length */
    h2k_put_be32 (b + 12, 512);
    make_file ("pkg/long.qcow2", b, sizeof b);
    CHECK (image ("pkg/long.qcow2", "qcow2", NULL) == -1);
    CHECK (error_has ("out of range"));
  }
}

TEST (vmdk)
{
  CLEANUP_FREE char *text = NULL, *host = at ("outside/secret");

  make_text ("pkg/ok.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/ok.vmdk", "vmdk", NULL) == 0);
  if (asprintf (&text, "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
                "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
                "RW 8 FLAT \"x-flat.vmdk\" 0\nRW 8 FLAT \"%s\" 0\n", host) == -1)
    abort ();
  make_text ("pkg/abs.vmdk", text);
  CHECK (image ("pkg/abs.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("abs.vmdk: extent \""));
  make_text ("pkg/fifo.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
             "RW 8 FLAT \"fifo\" 0\n");
  CHECK (image ("pkg/fifo.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("fifo.vmdk: extent \"fifo\": "));
  make_text ("pkg/child.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=12345678\ncreateType=\"monolithicFlat\"\n"
             "parentFileNameHint=\"../outside/parent.vmdk\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/child.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("child.vmdk: parentFileNameHint \"../outside/parent.vmdk\" resolves to"));
  make_text ("pkg/child2.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=12345678\ncreateType=\"monolithicFlat\"\n"
             "parentFileNameHint=\"ok.vmdk\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/child2.vmdk", "vmdk", NULL) == 0);
  /* A parent that names a host file in turn. */
  make_text ("pkg/child3.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=12345678\ncreateType=\"monolithicFlat\"\n"
             "parentFileNameHint=\"abs.vmdk\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/child3.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("abs.vmdk: extent"));
  /* Written on Windows or ESXi and absent here: qemu cannot follow it. */
  make_text ("pkg/win.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=12345678\ncreateType=\"monolithicFlat\"\n"
             "parentFileNameHint=\"C:\\\\VMs\\\\base.vmdk\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/win.vmdk", "vmdk", NULL) == 0);
  /* A backing file probed as a VMDK text descriptor is walked as one. */
  make_qcow2 ("pkg/over-vmdk.qcow2", "abs.vmdk", NULL, NULL);
  CHECK (image ("pkg/over-vmdk.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("abs.vmdk: extent"));
  /* Formats qemu opens nothing else for. */
  CHECK (image ("pkg/x-flat.vmdk", "raw", NULL) == 0);
  CHECK (image ("pkg/x-flat.vmdk", "vhd", NULL) == 0);
  CHECK (image ("pkg/x-flat.vmdk", "bochs", NULL) == -1);
  h2k_clear_error ();
}

/* A sparse header (MAGIC "KDMV" or "COWD", CAPACITY sectors, the
 * descriptor TEXT at sector SECTOR for 20 sectors), and AT512 (or NULL)
 * at byte 512.
 */
static void
make_sparse (const char *name, const char *magic, uint64_t capacity,
             unsigned sector, const char *text, const char *at512)
{
  static unsigned char b[24 * 512];

  memset (b, 0, sizeof b);
  memcpy (b, magic, 4);
  b[4] = 1;                                     /* version */
  for (int i = 0; i < 8; ++i)
    b[12 + i] = capacity >> (8 * i);
  b[28] = sector;                               /* descriptorOffset */
  b[36] = 20;                                   /* descriptorSize */
  memcpy (b + sector * 512, text, strlen (text));
  if (at512)
    memcpy (b + 512, at512, strlen (at512));
  make_file (name, b, sizeof b);
}

/* What qemu itself reads, where our parser reads otherwise. */
TEST (qemu_view)
{
  CLEANUP_FREE char *host = at ("outside/secret"), *text = NULL;
  CLEANUP_FREE char *hint = NULL, *back = NULL, *dotdot = NULL;

  /* Capacity 0 and an embedded descriptor: qemu opens its extents. */
  if (asprintf (&text, "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
                "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
                "RW 8 FLAT \"%s\" 0\n", host) == -1)
    abort ();
  make_sparse ("pkg/cap0.vmdk", "KDMV", 0, 1, text, NULL);
  CHECK (image ("pkg/cap0.vmdk", NULL, NULL) == -1);
  CHECK (error_has ("cap0.vmdk: sparse header: capacity 0 with an embedded "
                    "descriptor"));
  make_sparse ("pkg/cap8.vmdk", "KDMV", 8, 1, text, NULL);
  CHECK (image ("pkg/cap8.vmdk", NULL, NULL) == 0);
  make_text ("pkg/sp.vmdk",
             "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
             "parentCID=ffffffff\ncreateType=\"twoGbMaxExtentSparse\"\n"
             "RW 8 SPARSE \"cap0.vmdk\"\n");
  CHECK (image ("pkg/sp.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("sp.vmdk: extent \"cap0.vmdk\": a sparse header of "
                    "capacity 0"));
  /* parentFileNameHint in a comment, in a value, past the descriptor. */
  make_text ("pkg/comment.vmdk",
             "# Disk DescriptorFile\n"
             "# parentFileNameHint=\"../outside/secret\"\n"
             "version=1\nCID=12345678\n"
             "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/comment.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("comment.vmdk: parentFileNameHint: qemu would read "
                    "\"../outside/secret\" but the descriptor names no "
                    "parent: refused"));
  make_text ("pkg/value.vmdk",
             "# Disk DescriptorFile\nversion=1\n"
             "ddb.comment = \"parentFileNameHint=@evil.vmdk\"\n"
             "CID=12345678\nparentCID=12345678\n"
             "createType=\"monolithicFlat\"\n"
             "parentFileNameHint=\"ok.vmdk\"\n"
             "RW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/value.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("value.vmdk: parentFileNameHint: qemu would read "
                    "\"evil.vmdk\" but the descriptor says \"ok.vmdk\""));
  make_text ("pkg/noquote.vmdk",
             "# Disk DescriptorFile\nversion=1\n"
             "CID=12345678\nparentCID=ffffffff\n"
             "createType=\"monolithicFlat\"\nRW 8 FLAT \"x-flat.vmdk\" 0\n"
             "# parentFileNameHint\n");
  CHECK (image ("pkg/noquote.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("noquote.vmdk: parentFileNameHint: no name qemu could "
                    "read"));
  /* qemu's name runs to the next quote, over lines: one line here. */
  make_text ("pkg/lines.vmdk",
             "# Disk DescriptorFile\n# parentFileNameHint=\"x\nversion=1\n"
             "CID=12345678\nparentCID=ffffffff\n"
             "createType=\"monolithicFlat\"\nRW 8 FLAT \"x-flat.vmdk\" 0\n");
  CHECK (image ("pkg/lines.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("lines.vmdk: parentFileNameHint: qemu would read "
                    "\"x?version=1?CID=12345678?parentCID=ffffffff?"
                    "createType=\" but"));
  /* A sparse extent: qemu reads from 0x200 whatever descriptorOffset. */
  if (asprintf (&hint, "parentFileNameHint=\"%s\"", host) == -1)
    abort ();
  make_sparse ("pkg/sector2.vmdk", "KDMV", 8, 2,
               "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
               "parentCID=ffffffff\ncreateType=\"monolithicSparse\"\n"
               "RW 8 SPARSE \"sector2.vmdk\"\n", hint);
  CHECK (image ("pkg/sector2.vmdk", NULL, NULL) == -1);
  CHECK (error_has ("sector2.vmdk: parentFileNameHint: qemu would read \""));
  make_sparse ("pkg/sector1.vmdk", "KDMV", 8, 1,
               "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
               "parentCID=ffffffff\ncreateType=\"monolithicSparse\"\n"
               "RW 8 SPARSE \"sector1.vmdk\"\n", NULL);
  CHECK (image ("pkg/sector1.vmdk", NULL, NULL) == 0);
  make_sparse ("pkg/cowd.vmdk", "COWD", 8, 1, hint, NULL);
  CHECK (image ("pkg/cowd.vmdk", "vmdk", NULL) == -1);
  CHECK (error_has ("cowd.vmdk: parentFileNameHint: qemu would read"));
  /* ".." after a link goes through the link; "\\h" is a relative name. */
  make_link ("/", "pkg/L");
  if (asprintf (&dotdot, "L/..%s", host) == -1)
    abort ();
  make_qcow2 ("pkg/dotdot.qcow2", dotdot, "raw", NULL);
  CHECK (image ("pkg/dotdot.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("dotdot.qcow2: backing file \"L/.."));
  make_link ("/", "pkg/\\\\h");
  if (asprintf (&back, "\\\\h%s", host) == -1)
    abort ();
  make_qcow2 ("pkg/unc.qcow2", back, "raw", NULL);
  CHECK (image ("pkg/unc.qcow2", "qcow2", NULL) == -1);
  CHECK (error_has ("unc.qcow2: backing file \"\\\\h"));
  make_qcow2 ("pkg/drive.qcow2", "C:\\VMs\\base.qcow2", NULL, NULL);
  CHECK (image ("pkg/drive.qcow2", "qcow2", NULL) == 0);
  h2k_clear_error ();
}

int
main (void)
{
  CLEANUP_FREE char *fifo = NULL, *pkg = NULL;
  int r;

  if (mkdtemp (top) == NULL)
    abort ();
  {
    const char *dirs[] = { "pkg", "pkg/sub", "outside" };
    for (size_t i = 0; i < 3; ++i) {
      CLEANUP_FREE char *d = at (dirs[i]);
      if (mkdir (d, 0755) == -1)
        abort ();
    }
  }
  make_text ("pkg/x-flat.vmdk", "data");
  make_text ("pkg/sub/y.vmdk", "data");
  make_text ("outside/secret", "host secret");
  make_text ("outside/parent.vmdk", "# Disk DescriptorFile\n");
  make_link ("x-flat.vmdk", "pkg/inner-link");
  make_link ("../outside/secret", "pkg/evil-link");
  make_link ("../outside", "pkg/evil-dir");
  pkg = at ("pkg/x-flat.vmdk");
  make_link (pkg, "outside/link-in");
  fifo = at ("pkg/fifo");
  if (mkfifo (fifo, 0644) == -1)
    abort ();

  RUN (inside);
  RUN (outside);
  RUN (outside_directory);
  RUN (types);
  RUN (allow_dir);
  RUN (qcow2);
  RUN (vmdk);
  RUN (qemu_view);
  r = test_done ();
  h2k_confine_reset ();
  h2k_remove_tree (top);
  return r;
}
