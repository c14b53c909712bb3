/* h2k-fix-windows: which virtio-win driver fits the guest, and getting
 * it out of a virtio-win directory or ISO.
 *
 * The OS folder is decided by build number and client/server
 * (InstallationType), never by product name: Windows 11 still calls
 * itself "Windows 10".  Fallbacks follow how virtio-win itself grew: a
 * newer folder is added when a new Windows ships, and until then the
 * previous one of the same kind is used (w11 -> w10, 2k25 -> 2k22 ->
 * 2k19 -> 2k16); clients never fall back to server folders nor the
 * reverse, and nothing falls back across kernel versions before 10.0.
 */

#include <archive.h>
#include <dirent.h>
#include <inttypes.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "fixwin.h"

#define MAX_DRIVER_SIZE (64 << 20)

static const char *
arch_folder (const char *arch)
{
  if (arch == NULL)
    return NULL;
  if (strcmp (arch, "x86_64") == 0)
    return "amd64";
  if (strcmp (arch, "i386") == 0)
    return "x86";
  if (strcmp (arch, "aarch64") == 0)
    return "ARM64";
  return NULL;
}

/* Windows 10 and later: the server folder by build. */
static int
server10 (int64_t b, const char **out)
{
  static const char *const chain[] = { "2k25", "2k22", "2k19", "2k16", NULL };
  size_t start;

  if (b >= 26100)
    start = 0;                  /* 2025 */
  else if (b >= 20348)
    start = 1;                  /* 2022 (and 23H2, 25398) */
  else if (b >= 17763)
    start = 2;                  /* 2019 (and the 1809..20H2 channel) */
  else
    start = 3;                  /* 2016 */
  size_t n = 0;
  for (size_t i = start; chain[i]; ++i)
    out[n++] = chain[i];
  out[n] = NULL;
  return (int) n;
}

int
win_os_folders (const struct win_id *w, const char **out, const char **arch)
{
  int64_t b = w->build;
  int n = 0;

  *arch = arch_folder (w->arch);
  out[0] = NULL;
  if (*arch == NULL || b <= 0)
    return -1;
  if (b >= 10240) {
    if (w->server)
      return server10 (b, out);
    if (b >= 22000)
      out[n++] = "w11";
    out[n++] = "w10";
  }
  else if (b == 9600)
    out[n++] = w->server ? "2k12r2" : "w8.1";
  else if (b == 9200)
    out[n++] = w->server ? "2k12" : "w8";
  else if (b == 7600 || b == 7601)
    out[n++] = w->server ? "2k8r2" : "w7";
  else if (b >= 6000 && b <= 6003)
    out[n++] = "2k8";           /* 2008, and Vista which shares its kernel */
  else if (b == 3790)
    out[n++] = "2k3";           /* 2003, and XP x64 which is built from it */
  else if (b == 2600 && strcmp (*arch, "x86") == 0)
    out[n++] = "xp";
  out[n] = NULL;
  if (n == 0)
    return -1;
  /* ARM64 drivers exist for Windows 10 and 11 clients only. */
  if (strcmp (*arch, "ARM64") == 0 && b < 10240)
    return out[0] = NULL, -1;
  return n;
}

/* Is REL (a path inside the tree, "./" or "/" stripped) the driver for
 * OS/ARCH in either layout?
 */
static int
path_matches (const char *rel, const char *drv, const char *os, const char *arch)
{
  CLEANUP_FREE char *a = NULL, *b = NULL;
  const char *arch2 = strcmp (arch, "x86") == 0 ? "i386" : arch;

  while (*rel == '.' && rel[1] == '/')
    rel += 2;
  while (*rel == '/')
    ++rel;
  if (asprintf (&a, "%s/%s/%s/%s.sys", drv, os, arch, drv) == -1 ||
      asprintf (&b, "%s/%s/%s.sys", arch2, os, drv) == -1)
    return 0;
  return strcasecmp (rel, a) == 0 || strcasecmp (rel, b) == 0;
}

/* Copy the archive's current entry into a new temporary file. */
static int
extract_entry (struct archive *ar, const char *src, char **local)
{
  const char *tmp = getenv ("TMPDIR");
  CLEANUP_CLOSE int fd = -1;
  char buf[65536];
  la_ssize_t r;

  if (asprintf (local, "%s/h2k-driver.XXXXXX", tmp && *tmp ? tmp : "/tmp") == -1) {
    *local = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  fd = mkstemp (*local);
  if (fd == -1) {
    h2k_error ("%s: cannot create a temporary file: %m", *local);
    return -1;
  }
  while ((r = archive_read_data (ar, buf, sizeof buf)) > 0)
    if (write (fd, buf, (size_t) r) != r) {
      h2k_error ("%s: write: %m", *local);
      return -1;
    }
  if (r < 0) {
    h2k_error ("%s: %s", src, archive_error_string (ar));
    return -1;
  }
  return 0;
}

/* Strip "./" and "/" prefixes. */
static const char *
strip_rel (const char *p)
{
  while (*p == '.' && p[1] == '/')
    p += 2;
  while (*p == '/')
    ++p;
  return p;
}

/* Search the ISO SRC for the driver: the entry of the best folder (the
 * lowest index into OS) wins.  1 found, 0 not, -1 reported.
 */
static int
find_in_iso (const char *src, const char *drv, const char **os,
             const char *arch, char **local, char **rel)
{
  struct archive *ar = archive_read_new ();
  struct archive_entry *e;
  size_t best = SIZE_MAX;
  int r = -1, st;

  if (ar == NULL || archive_read_support_format_iso9660 (ar) != ARCHIVE_OK ||
      archive_read_open_filename (ar, src, 65536) != ARCHIVE_OK) {
    h2k_error ("%s: --virtio-win: neither a directory nor a readable ISO: %s",
               src, ar ? archive_error_string (ar) : "out of memory");
    goto out;
  }
  while ((st = archive_read_next_header (ar, &e)) == ARCHIVE_OK) {
    const char *p = archive_entry_pathname (e);
    if (p == NULL || archive_entry_filetype (e) != AE_IFREG)
      continue;
    for (size_t i = 0; os[i] && i < best; ++i) {
      if (!path_matches (p, drv, os[i], arch))
        continue;
      if (archive_entry_size (e) > MAX_DRIVER_SIZE) {
        h2k_error ("%s: %s: larger than %d bytes", src, p, MAX_DRIVER_SIZE);
        goto out;
      }
      if (*local) {
        unlink (*local);
        free (*local);
        *local = NULL;
      }
      free (*rel);
      if ((*rel = strdup (strip_rel (p))) == NULL) {
        h2k_error ("out of memory");
        goto out;
      }
      if (extract_entry (ar, src, local) == -1)
        goto out;
      best = i;
      break;
    }
  }
  if (st != ARCHIVE_EOF) {
    h2k_error ("%s: --virtio-win: %s", src, archive_error_string (ar));
    goto out;
  }
  r = best != SIZE_MAX;
 out:
  archive_read_free (ar);
  return r;
}

/* NAME in DIR, matched case-insensitively; caller frees.  NULL if
 * absent (or out of memory: then reported).
 */
static char *
dir_child (const char *dir, const char *name)
{
  DIR *d = opendir (dir);
  struct dirent *ent;
  char *found = NULL;

  if (d == NULL)
    return NULL;
  while (found == NULL && (ent = readdir (d)) != NULL)
    if (strcasecmp (ent->d_name, name) == 0 &&
        (found = h2k_path_join (dir, ent->d_name)) == NULL)
      h2k_error ("out of memory");
  closedir (d);
  return found;
}

/* DIR/A/B/C, each component matched case-insensitively; NULL if absent. */
static char *
dir_path (const char *dir, const char *a, const char *b, const char *c)
{
  CLEANUP_FREE char *p1 = dir_child (dir, a);
  CLEANUP_FREE char *p2 = p1 ? dir_child (p1, b) : NULL;

  if (p2 == NULL)
    return NULL;
  return c ? dir_child (p2, c) : strdup (p2);
}

static int
copy_file (const char *from, char **local)
{
  const char *tmp = getenv ("TMPDIR");
  CLEANUP_FREE char *data = NULL;
  CLEANUP_CLOSE int fd = -1;
  size_t len;

  data = h2k_read_file (from, MAX_DRIVER_SIZE, &len);
  if (data == NULL)
    return -1;
  if (asprintf (local, "%s/h2k-driver.XXXXXX", tmp && *tmp ? tmp : "/tmp") == -1) {
    *local = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  fd = mkstemp (*local);
  if (fd == -1 || write (fd, data, len) != (ssize_t) len) {
    h2k_error ("%s: cannot write a temporary copy: %m", *local);
    return -1;
  }
  return 0;
}

/* Search the directory SRC.  1 found, 0 not, -1 reported. */
static int
find_in_dir (const char *src, const char *drv, const char **os,
             const char *arch, char **local, char **rel)
{
  CLEANUP_FREE char *sys = NULL;
  const char *arch2 = strcmp (arch, "x86") == 0 ? "i386" : arch;

  if (asprintf (&sys, "%s.sys", drv) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  for (size_t i = 0; os[i]; ++i) {
    CLEANUP_FREE char *d1 = dir_path (src, drv, os[i], arch);
    CLEANUP_FREE char *d2 = d1 ? NULL : dir_path (src, arch2, os[i], NULL);
    CLEANUP_FREE char *f = d1 ? dir_child (d1, sys) : d2 ? dir_child (d2, sys) : NULL;

    if (f == NULL)
      continue;
    if (copy_file (f, local) == -1)
      return -1;
    if ((*rel = strdup (f + strlen (src) + (src[strlen (src) - 1] != '/'))) == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    return 1;
  }
  return 0;
}

int
win_find_driver (const char *src, const struct win_id *w, const char *drv,
                 char **local, char **rel)
{
  const char *os[MAX_OS_FOLDERS + 1], *arch;
  struct stat st;
  int r;

  *local = *rel = NULL;
  if (win_os_folders (w, os, &arch) == -1) {
    h2k_error ("<stdin>: /guest/windows: no virtio-win driver fits Windows build "
               "%" PRId64 " %s %s", w->build, w->server ? "Server" : "Client",
               w->arch ? w->arch : "(no arch)");
    return -1;
  }
  if (stat (src, &st) == -1) {
    h2k_error ("%s: --virtio-win: %m", src);
    return -1;
  }
  r = S_ISDIR (st.st_mode) ? find_in_dir (src, drv, os, arch, local, rel)
                           : find_in_iso (src, drv, os, arch, local, rel);
  if (r == 0)
    h2k_error ("%s: --virtio-win: no %s.sys for %s/%s (nor its fallbacks) in it",
               src, drv, os[0], arch);
  if (r != 1 && *local) {
    unlink (*local);
    free (*local);
    *local = NULL;
  }
  if (r != 1) {
    free (*rel);
    *rel = NULL;
    return -1;
  }
  h2k_debug ("%s: using %s", src, *rel);
  return 0;
}
