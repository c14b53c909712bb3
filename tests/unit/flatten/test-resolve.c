/* Unit tests: h2k-flatten's parent name resolution and probe safety. */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "cleanup.h"
#include "error.h"
#include "../../../tools/h2k-flatten/flatten.h"

static char dir[] = "/tmp/h2k-test-resolve-XXXXXX";

static char *
in_dir (const char *name)
{
  char *p;

  if (asprintf (&p, "%s/%s", dir, name) == -1)
    abort ();
  return p;
}

static void
make_file (const char *name, const void *data, size_t len)
{
  CLEANUP_FREE char *p = in_dir (name);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (fd == -1 || write (fd, data, len) != (ssize_t) len || close (fd) == -1)
    abort ();
}

static int
resolves_to (const char *hint, int beside, const char *want)
{
  CLEANUP_FREE char *child = in_dir ("child.vmdk");
  CLEANUP_FREE char *w = want ? in_dir (want) : NULL;
  CLEANUP_FREE char *got = NULL;

  errno = 0;
  got = try_parent (child, hint, "parentFileNameHint", beside);
  if ((got == NULL) != (w == NULL) || (got && strcmp (got, w) != 0)) {
    printf ("# \"%s\": got %s, wanted %s\n", hint, got ? got : "(none)",
            w ? w : "(none)");
    return 0;
  }
  return got != NULL || errno == ENOENT;
}

TEST (relative)
{
  CHECK (resolves_to ("base.vmdk", 0, "base.vmdk"));
  CHECK (resolves_to ("./base.vmdk", 0, "base.vmdk"));
  CHECK (resolves_to ("sub/b2.vmdk", 0, "sub/b2.vmdk"));
  CHECK (resolves_to ("sub\\b2.vmdk", 0, "sub/b2.vmdk"));
  CHECK (resolves_to (".\\base.vmdk", 1, "base.vmdk"));
  CHECK (resolves_to ("nope.vmdk", 1, NULL));
  /* A relative name is never looked for elsewhere. */
  CHECK (resolves_to ("sub/base2.vmdk", 1, NULL));
}

TEST (absolute)
{
  CLEANUP_FREE char *abs = in_dir ("sub/b2.vmdk");

  /* As written, when it exists. */
  CHECK (resolves_to (abs, 1, "sub/b2.vmdk"));
  CHECK (resolves_to (abs, 0, "sub/b2.vmdk"));
  /* Written on the source host: the same name beside the child. */
  CHECK (resolves_to ("/vmfs/volumes/ds1/vm/base.vmdk", 1, "base.vmdk"));
  CHECK (resolves_to ("/vmfs/volumes/ds1/vm/base.vmdk", 0, NULL));
  CHECK (resolves_to ("C:\\VMs\\vm\\base.vmdk", 1, "base.vmdk"));
  CHECK (resolves_to ("\\\\server\\share\\base.vmdk", 1, "base.vmdk"));
  CHECK (resolves_to ("C:\\VMs\\vm\\base.vmdk", 0, NULL));
  CHECK (resolves_to ("/vmfs/volumes/ds1/vm/other.vmdk", 1, NULL));
  CHECK (resolves_to ("/vmfs/volumes/ds1/vm/", 1, NULL));
}

TEST (resolve_messages)
{
  CLEANUP_FREE char *child = in_dir ("child.vmdk");
  CLEANUP_FREE char *want = NULL;
  const char *e;

  h2k_clear_error ();
  CHECK (resolve_parent (child, "/x/gone.vmdk", "parentFileNameHint", 1) == NULL);
  e = h2k_first_error ();
  if (asprintf (&want, "%s: parentFileNameHint: parent \"/x/gone.vmdk\" not "
                "found (nor beside the child)", child) == -1)
    abort ();
  CHECK_STR (e, want);
  h2k_clear_error ();
}

/* A parent that exists outside the child's directory is refused, not
 * looked for beside the child (common/confine.h).
 */
TEST (confined)
{
  CLEANUP_FREE char *child = in_dir ("child.vmdk");
  CLEANUP_FREE char *got = NULL, *want = NULL;

  h2k_clear_error ();
  errno = 0;
  got = try_parent (child, "/etc/passwd", "parentFileNameHint", 1);
  CHECK (got == NULL && errno == EPERM);
  if (asprintf (&want, "%s: parentFileNameHint \"/etc/passwd\" resolves to "
                "/etc/passwd, outside %s: refused (allow its directory with "
                "--allow-disk-dir)", child, dir) == -1)
    abort ();
  CHECK_STR (h2k_first_error (), want);
  h2k_clear_error ();
  CHECK (try_parent (child, "../../etc/passwd", "parentFileNameHint", 0) == NULL);
  CHECK (errno == EPERM);
  h2k_clear_error ();
  CHECK (resolve_parent (child, "../../etc/passwd", "backing file", 0) == NULL);
  CHECK (strstr (h2k_first_error (), "backing file \"") != NULL);
  h2k_clear_error ();
}

TEST (probe)
{
  CLEANUP_FREE char *q = in_dir ("q"), *r = in_dir ("r"), *t = in_dir ("t");
  CLEANUP_FREE char *e = in_dir ("e"), *v = in_dir ("v");
  const char *f;
  char vdi[0x48] = { 0 };

  make_file ("q", "QFI\xfb\0\0\0\3", 8);
  make_file ("r", "\0\0\0\0\0\0\0\0", 8);
  make_file ("t", "# Disk DescriptorFile\nversion=1\n", 32);
  make_file ("e", "", 0);
  memcpy (vdi + 0x40, "\x7f\x10\xda\xbe", 4);
  make_file ("v", vdi, sizeof vdi);
  CHECK (probe_safe_format (q, &f) == 0 && f && strcmp (f, "qcow2") == 0);
  CHECK (probe_safe_format (r, &f) == 0 && f == NULL);
  CHECK (probe_safe_format (t, &f) == 0 && f && strcmp (f, "vmdk") == 0);
  CHECK (probe_safe_format (e, &f) == 0 && f == NULL);
  CHECK (probe_safe_format (v, &f) == 0 && f && strcmp (f, "vdi") == 0);
  h2k_clear_error ();
  CHECK (probe_safe_format ("/nonexistent", &f) == -1);
  h2k_clear_error ();
}

int
main (void)
{
  CLEANUP_FREE char *sub = NULL;

  if (mkdtemp (dir) == NULL)
    abort ();
  sub = in_dir ("sub");
  if (mkdir (sub, 0755) == -1)
    abort ();
  make_file ("base.vmdk", "x", 1);
  make_file ("sub/b2.vmdk", "x", 1);
  RUN (relative);
  RUN (absolute);
  RUN (resolve_messages);
  RUN (confined);
  RUN (probe);
  {
    const char *names[] = { "base.vmdk", "sub/b2.vmdk", "q", "r", "t", "e", "v" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
      CLEANUP_FREE char *p = in_dir (names[i]);
      unlink (p);
    }
    rmdir (sub);
    rmdir (dir);
  }
  return test_done ();
}
