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
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "fix-windows.h"

#define MAX_DRIVER_SIZE (64 << 20)    /* one file of a package, or an MSI */
#define MAX_PKG_FILES   256           /* files in one package folder */
#define MAX_SRC_FILES   200000        /* files looked at in a source */
#define N_RANKS         (2 * MAX_OS_FOLDERS)

/* The packages, in install order, and their folders in virtio-win. */
static const struct {
  const char *driver, *folder;
} packages[] = {
  { "viostor", "viostor" },
  { "vioscsi", "vioscsi" },
  { "netkvm", "NetKVM" },
  { "balloon", "Balloon" },
  { "vioser", "vioserial" },
  { "viorng", "viorng" },
};
#define N_PACKAGES (sizeof packages / sizeof packages[0])

const char *const win_packages[] = {
  "viostor", "vioscsi", "netkvm", "balloon", "vioser", "viorng", NULL
};

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


/* ---- reading a source: a virtio-win directory or ISO, file by file.
 * An ISO is read once, as a stream (libarchive), never mounted; a
 * directory is walked to the depth of the deepest layout.  Each regular
 * file is handed to a callback, which may copy it out (src_save) while
 * it is the current one.
 */

struct src_entry {
  const char *src;              /* the directory or ISO, for messages */
  const char *rel;              /* the path inside it, no "./" or "/" first */
  const char *path;             /* directory: the file; ISO: NULL */
  struct archive *ar;           /* ISO: positioned at the file's data */
};

/* 0 to go on, -1 reported to stop. */
typedef int (*src_fn) (void *opaque, const struct src_entry *e);

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

/* Copy E's data to FD, at most MAX_DRIVER_SIZE bytes.  -1 reported (TO
 * names FD in messages).
 */
static int
src_copy (const struct src_entry *e, int fd, const char *to)
{
  CLEANUP_CLOSE int in = -1;
  char buf[65536];
  ssize_t r;
  size_t total = 0;

  if (e->path && (in = open (e->path, O_RDONLY | O_CLOEXEC)) == -1) {
    h2k_error ("%s: %m", e->path);
    return -1;
  }
  for (;;) {
    r = e->path ? read (in, buf, sizeof buf) : archive_read_data (e->ar, buf, sizeof buf);
    if (r <= 0)
      break;
    total += (size_t) r;
    if (total > MAX_DRIVER_SIZE) {
      h2k_error ("%s: %s: larger than %d bytes", e->src, e->rel, MAX_DRIVER_SIZE);
      return -1;
    }
    if (h2k_write_all (fd, buf, (size_t) r) == -1) {
      h2k_error ("%s: write: %m", to);
      return -1;
    }
  }
  if (r < 0) {
    if (e->path)
      h2k_error ("%s: read: %m", e->path);
    else
      h2k_error ("%s: %s: %s", e->src, e->rel, archive_error_string (e->ar));
    return -1;
  }
  return 0;
}

/* Copy E to the new file TO (which must not exist).  -1 reported, TO
 * removed.
 */
static int
src_save (const struct src_entry *e, const char *to)
{
  int fd = open (to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  int r;

  if (fd == -1) {
    h2k_error ("%s: %m", to);
    return -1;
  }
  r = src_copy (e, fd, to);
  if (close (fd) == -1 && r == 0) {
    h2k_error ("%s: close: %m", to);
    r = -1;
  }
  if (r == -1)
    unlink (to);
  return r;
}

/* Copy E to a new temporary file, *LOCAL (caller unlinks and frees).
 * -1 reported.
 */
static int
src_save_temp (const struct src_entry *e, char **local)
{
  const char *tmp = getenv ("TMPDIR");
  CLEANUP_CLOSE int fd = -1;

  if (asprintf (local, "%s/h2k-driver.XXXXXX", tmp && *tmp ? tmp : "/tmp") == -1) {
    *local = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  fd = mkstemp (*local);
  if (fd == -1) {
    h2k_error ("%s: cannot create a temporary file: %m", *local);
    free (*local);
    *local = NULL;
    return -1;
  }
  if (src_copy (e, fd, *local) == -1) {
    unlink (*local);
    free (*local);
    *local = NULL;
    return -1;
  }
  return 0;
}

/* Walk DIR (REL inside the source), DEPTH directories down.  Symbolic
 * links to files are followed, to directories not.  -1 reported.
 */
static int
walk_dir (const char *src, const char *dir, const char *rel, int depth,
          size_t *count, src_fn fn, void *opaque)
{
  DIR *d = opendir (dir);
  struct dirent *ent;
  int r = -1;

  if (d == NULL) {
    h2k_error ("%s: %m", dir);
    goto out;
  }
  while ((errno = 0, ent = readdir (d)) != NULL) {
    CLEANUP_FREE char *path = NULL, *sub = NULL;
    struct src_entry e = { .src = src };
    struct stat st;

    if (strcmp (ent->d_name, ".") == 0 || strcmp (ent->d_name, "..") == 0)
      continue;
    if ((path = h2k_path_join (dir, ent->d_name)) == NULL ||
        (sub = rel ? h2k_path_join (rel, ent->d_name) : strdup (ent->d_name)) == NULL) {
      h2k_error ("out of memory");
      goto out;
    }
    if (lstat (path, &st) == -1 || (S_ISLNK (st.st_mode) && stat (path, &st) == -1))
      continue;                 /* gone, or a dangling link */
    if (S_ISDIR (st.st_mode) && depth < 3) {
      if (walk_dir (src, path, sub, depth + 1, count, fn, opaque) == -1)
        goto out;
      continue;
    }
    if (!S_ISREG (st.st_mode))
      continue;
    if (++*count > MAX_SRC_FILES) {
      h2k_error ("%s: --virtio-win: more than %d files", src, MAX_SRC_FILES);
      goto out;
    }
    e.rel = sub;
    e.path = path;
    if (fn (opaque, &e) == -1)
      goto out;
  }
  if (errno != 0) {
    h2k_error ("%s: %m", dir);
    goto out;
  }
  r = 0;
 out:
  if (d)
    closedir (d);
  return r;
}

/* Does the path P have a ".." component? */
static int
has_dotdot (const char *p)
{
  for (const char *c = p; c; c = strchr (c, '/') ? strchr (c, '/') + 1 : NULL)
    if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
      return 1;
  return 0;
}

static int
walk_iso (const char *src, src_fn fn, void *opaque)
{
  struct archive *ar = archive_read_new ();
  struct archive_entry *ae;
  size_t count = 0;
  int r = -1, st;

  if (ar == NULL || archive_read_support_format_iso9660 (ar) != ARCHIVE_OK ||
      archive_read_open_filename (ar, src, 65536) != ARCHIVE_OK) {
    h2k_error ("%s: --virtio-win: neither a directory nor a readable ISO: %s",
               src, ar ? archive_error_string (ar) : "out of memory");
    goto out;
  }
  while ((st = archive_read_next_header (ar, &ae)) == ARCHIVE_OK) {
    const char *p = archive_entry_pathname (ae);
    struct src_entry e = { .src = src, .ar = ar };

    if (p == NULL || archive_entry_filetype (ae) != AE_IFREG)
      continue;
    if (has_dotdot (p)) {
      h2k_error ("%s: --virtio-win: %s: a \"..\" in the path of an entry", src, p);
      goto out;
    }
    if (++count > MAX_SRC_FILES) {
      h2k_error ("%s: --virtio-win: more than %d files", src, MAX_SRC_FILES);
      goto out;
    }
    e.rel = strip_rel (p);
    if (fn (opaque, &e) == -1)
      goto out;
  }
  if (st != ARCHIVE_EOF) {
    h2k_error ("%s: --virtio-win: %s", src, archive_error_string (ar));
    goto out;
  }
  r = 0;
 out:
  archive_read_free (ar);
  return r;
}

/* Hand every regular file of SRC to FN.  -1 reported. */
static int
walk_source (const char *src, src_fn fn, void *opaque)
{
  struct stat st;
  size_t count = 0;

  if (stat (src, &st) == -1) {
    h2k_error ("%s: --virtio-win: %m", src);
    return -1;
  }
  if (S_ISDIR (st.st_mode))
    return walk_dir (src, src, NULL, 0, &count, fn, opaque);
  return walk_iso (src, fn, opaque);
}

/* ---- where a file sits in the virtio-win layouts */

/* Split REL on '/' into at most MAX components (C[i], LEN[i]); their
 * number, or MAX + 1 when there are more.
 */
static size_t
split_rel (const char *rel, const char **c, size_t *len, size_t max)
{
  size_t n = 0;

  for (const char *p = rel; ; ++n) {
    const char *slash = strchr (p, '/');
    if (n == max)
      return max + 1;
    c[n] = p;
    len[n] = slash ? (size_t) (slash - p) : strlen (p);
    if (slash == NULL)
      return n + 1;
    p = slash + 1;
  }
}

static int
comp_is (const char *c, size_t len, const char *word)
{
  return strlen (word) == len && strncasecmp (c, word, len) == 0;
}

/* The rank of REL for the package in folder FOLDER (driver DRV), the OS
 * folders OS (best first) and the arch folder ARCH: 2 x the OS index in
 * the layout FOLDER/OS/ARCH/NAME, 2 x the index + 1 in the older layout
 * ARCH/OS/NAME (arch i386 for x86), whose folders hold several drivers:
 * there only names starting with DRV or WdfCoInstaller are the
 * package's.  -1 if REL is neither.  *NAME gets REL's file name.
 */
static int
layout_rank (const char *rel, const char *folder, const char *drv,
             const char *const *os, const char *arch, const char **name)
{
  const char *c[4], *arch2 = strcmp (arch, "x86") == 0 ? "i386" : arch;
  size_t len[4], n = split_rel (rel, c, len, 4);
  int old;

  if (n == 4 && comp_is (c[0], len[0], folder) && comp_is (c[2], len[2], arch))
    old = 0;
  else if (n == 3 && comp_is (c[0], len[0], arch2) &&
           (strncasecmp (c[2], drv, strlen (drv)) == 0 ||
            strncasecmp (c[2], "WdfCoInstaller", 14) == 0))
    old = 1;
  else
    return -1;
  *name = c[n - 1];
  if (**name == '\0' || strcmp (*name, ".") == 0 || strcmp (*name, "..") == 0)
    return -1;
  for (int i = 0; os[i]; ++i)
    if (comp_is (c[1], len[1], os[i]))
      return 2 * i + old;
  return -1;
}

/* The OS folders and arch folder for W, or -1 reported. */
static int
folders_for (const struct win_id *w, const char **os, const char **arch)
{
  if (win_os_folders (w, os, arch) == -1) {
    h2k_error ("<stdin>: /guest/windows: no virtio-win driver fits Windows build "
               "%" PRId64 " %s %s", w->build, w->server ? "Server" : "Client",
               w->arch ? w->arch : "(no arch)");
    return -1;
  }
  return 0;
}

/* ---- one driver file (win_find_driver) */

/* DRV's folder in virtio-win (vioser: vioserial). */
static const char *
pkg_folder (const char *drv)
{
  for (size_t k = 0; k < N_PACKAGES; ++k)
    if (strcmp (packages[k].driver, drv) == 0)
      return packages[k].folder;
  return drv;
}

struct find_one {
  const char *drv, *folder;
  const char *const *os;
  const char *arch;
  int best;                     /* rank of *LOCAL, INT_MAX if none yet */
  char *local, *rel;
};

static int
find_one_file (void *opaque, const struct src_entry *e)
{
  struct find_one *f = opaque;
  CLEANUP_FREE char *sys = NULL;
  const char *name;
  int rank = layout_rank (e->rel, f->folder, f->drv, f->os, f->arch, &name);

  if (rank < 0 || rank >= f->best)
    return 0;
  if (asprintf (&sys, "%s.sys", f->drv) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  if (strcasecmp (name, sys) != 0)
    return 0;
  if (f->local) {
    unlink (f->local);
    free (f->local);
    f->local = NULL;
  }
  free (f->rel);
  if ((f->rel = strdup (e->rel)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  f->best = rank;
  return src_save_temp (e, &f->local);
}

int
win_find_driver (const char *src, const struct win_id *w, const char *drv,
                 char **local, char **rel)
{
  const char *os[MAX_OS_FOLDERS + 1], *arch;
  struct find_one f = { .drv = drv, .folder = pkg_folder (drv), .os = os,
                        .best = INT_MAX };
  int r = -1;

  *local = *rel = NULL;
  if (folders_for (w, os, &arch) == -1)
    goto out;
  f.arch = arch;
  if (walk_source (src, find_one_file, &f) == -1)
    goto out;
  if (f.local == NULL) {
    h2k_error ("%s: --virtio-win: no %s.sys for %s/%s (nor its fallbacks) in it",
               src, drv, os[0], arch);
    goto out;
  }
  h2k_debug ("%s: using %s", src, f.rel);
  *local = f.local;
  *rel = f.rel;
  f.local = f.rel = NULL;
  r = 0;
 out:
  if (f.local)
    unlink (f.local);
  free (f.local);
  free (f.rel);
  return r;
}

/* ---- whole packages (win_stage_packages) */

/* The files of one package folder of one rank, copied as they come into
 * DEST/.DRIVER.RANK.
 */
struct cand {
  char *dir;
  char *rel_dir;                /* its folder in the source, as spelled there */
  char **names;                 /* NULL-terminated */
  size_t n;
};

struct stage {
  const char *src, *dest;
  const char *const *os;
  const char *arch;
  struct cand cand[N_PACKAGES][N_RANKS];
  int best[N_PACKAGES];         /* the rank chosen, -1 if none */
};

static void
cand_remove (struct cand *c)
{
  for (size_t i = 0; i < c->n && c->dir; ++i) {
    CLEANUP_FREE char *p = h2k_path_join (c->dir, c->names[i]);
    if (p)
      unlink (p);
  }
  if (c->dir)
    rmdir (c->dir);
  free (c->dir);
  free (c->rel_dir);
  h2k_free_strv (c->names);
  memset (c, 0, sizeof *c);
}

/* Start candidate C of package K, rank RANK, for the folder REL_DIR
 * (LEN bytes of it).  -1 reported.
 */
static int
cand_open (struct stage *st, struct cand *c, size_t k, int rank,
           const char *rel_dir, size_t len)
{
  if (asprintf (&c->dir, "%s/.%s.%d", st->dest, packages[k].driver, rank) == -1) {
    c->dir = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  if (mkdir (c->dir, 0755) == -1) {
    h2k_error ("%s: %m", c->dir);
    free (c->dir);
    c->dir = NULL;
    return -1;
  }
  if ((c->rel_dir = strndup (rel_dir, len)) == NULL ||
      (c->names = calloc (MAX_PKG_FILES + 1, sizeof *c->names)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  return 0;
}

/* Add E (named NAME) to candidate C; FIRST is where this entry was
 * already copied for another package (an ISO's data can be read only
 * once), or NULL.  -1 reported.
 */
static int
cand_add (struct stage *st, struct cand *c, const struct src_entry *e,
          const char *name, const char *first, char **saved)
{
  size_t dlen = (size_t) (name - e->rel) - 1;
  struct src_entry again = { .src = st->src, .rel = e->rel, .path = first };
  CLEANUP_FREE char *to = NULL;

  if (strlen (c->rel_dir) != dlen || strncmp (c->rel_dir, e->rel, dlen) != 0) {
    h2k_error ("%s: --virtio-win: both %s and %.*s: which one?", st->src,
               c->rel_dir, (int) dlen, e->rel);
    return -1;
  }
  if (c->n == MAX_PKG_FILES) {
    h2k_error ("%s: --virtio-win: %s: more than %d files", st->src, c->rel_dir,
               MAX_PKG_FILES);
    return -1;
  }
  if ((to = h2k_path_join (c->dir, name)) == NULL ||
      (c->names[c->n] = strdup (name)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (src_save (first ? &again : e, to) == -1) {
    free (c->names[c->n]);
    c->names[c->n] = NULL;
    return -1;
  }
  c->n++;
  if (*saved == NULL)
    *saved = to, to = NULL;
  return 0;
}

static int
stage_file (void *opaque, const struct src_entry *e)
{
  struct stage *st = opaque;
  CLEANUP_FREE char *saved = NULL;

  for (size_t k = 0; k < N_PACKAGES; ++k) {
    const char *name;
    int rank = layout_rank (e->rel, packages[k].folder, packages[k].driver,
                            st->os, st->arch, &name);
    struct cand *c;

    if (rank < 0 || h2k_ends_with_ci (name, ".pdb"))
      continue;
    c = &st->cand[k][rank];
    if (c->dir == NULL &&
        cand_open (st, c, k, rank, e->rel, (size_t) (name - e->rel) - 1) == -1)
      return -1;
    if (cand_add (st, c, e, name, saved, &saved) == -1)
      return -1;
  }
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The INF of candidate C of DRIVER: DRIVER.inf, or else the only .inf;
 * NULL if there is none (or several).
 */
static const char *
cand_inf (const struct cand *c, const char *driver)
{
  size_t dl = strlen (driver), n_inf = 0, n_want = 0;
  const char *inf = NULL, *any = NULL;

  for (size_t i = 0; i < c->n; ++i) {
    const char *f = c->names[i];
    if (strncasecmp (f, driver, dl) == 0 && strcasecmp (f + dl, ".inf") == 0)
      inf = f, n_want++;
    if (h2k_ends_with_ci (f, ".inf"))
      any = f, n_inf++;
  }
  if (n_want == 0 && n_inf == 1)
    return any;
  return n_want == 1 ? inf : NULL;
}

/* Move the best candidate of package K into DEST/DRIVER and describe it
 * in P.  -1 reported.
 */
static int
pkg_make (struct stage *st, size_t k, struct win_pkg *p)
{
  struct cand *c = &st->cand[k][st->best[k]];

  if ((p->driver = strdup (packages[k].driver)) == NULL ||
      (p->inf = strdup (cand_inf (c, packages[k].driver))) == NULL ||
      (p->local_dir = h2k_path_join (st->dest, packages[k].driver)) == NULL ||
      (p->sha256 = calloc (c->n + 1, sizeof *p->sha256)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (rename (c->dir, p->local_dir) == -1) {
    h2k_error ("%s: cannot rename to %s: %m", c->dir, p->local_dir);
    return -1;
  }
  free (c->dir);
  c->dir = NULL;
  p->rel_dir = c->rel_dir;
  p->files = c->names;
  c->rel_dir = NULL;
  c->names = NULL;
  qsort (p->files, c->n, sizeof *p->files, cmp_names);
  for (size_t i = 0; i < c->n; ++i) {
    CLEANUP_FREE char *path = h2k_path_join (p->local_dir, p->files[i]);
    if (path == NULL || (p->sha256[i] = malloc (65)) == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    if (h2k_sha256_file (path, p->sha256[i]) == -1)
      return -1;
  }
  h2k_debug ("%s: staging %s (%zu files)", st->src, p->rel_dir, c->n);
  return 0;
}

/* The best candidate of each package that has an INF (a folder without
 * one, or with only the WdfCoInstaller DLL in the older layout, is not a
 * package).
 */
static void
stage_choose (struct stage *st)
{
  for (size_t k = 0; k < N_PACKAGES; ++k) {
    st->best[k] = -1;
    for (int r = 0; r < N_RANKS && st->best[k] < 0; ++r) {
      const struct cand *c = &st->cand[k][r];
      if (c->dir && cand_inf (c, packages[k].driver))
        st->best[k] = r;
      else if (c->dir)
        h2k_debug ("%s: %s: no INF for %s in it", st->src, c->rel_dir,
                   packages[k].driver);
    }
  }
}

/* After the walk: check that REQUIRED is there, warn about the other
 * missing packages, and make the packages.  -1 reported.
 */
static int
stage_finish (struct stage *st, const char *required,
              struct win_pkg *pkgs, size_t *n)
{
  stage_choose (st);
  for (size_t k = 0; k < N_PACKAGES; ++k)
    if (st->best[k] < 0 && required &&
        strcmp (packages[k].driver, required) == 0) {
      h2k_error ("%s: --virtio-win: no %s driver for %s/%s (nor its fallbacks) in it",
                 st->src, required, st->os[0], st->arch);
      return -1;
    }
  for (size_t k = 0; k < N_PACKAGES; ++k) {
    if (st->best[k] < 0) {
      h2k_warning ("%s: --virtio-win: no %s driver for %s/%s (nor its fallbacks): "
                   "not installing it", st->src, packages[k].driver, st->os[0], st->arch);
      continue;
    }
    if (pkg_make (st, k, &pkgs[*n]) == -1) {
      (*n)++;
      return -1;
    }
    (*n)++;
  }
  return 0;
}

int
win_stage_packages (const char *src, const struct win_id *w,
                    const char *required, const char *dest,
                    struct win_pkg **pkgs, size_t *n)
{
  const char *os[MAX_OS_FOLDERS + 1], *arch;
  struct stage *st = NULL;
  int r = -1, known = required == NULL;

  *pkgs = NULL;
  *n = 0;
  for (size_t k = 0; k < N_PACKAGES && !known; ++k)
    known = strcmp (packages[k].driver, required) == 0;
  if (!known) {
    h2k_error ("%s: not a virtio-win driver package h2k knows", required);
    goto out;
  }
  if (folders_for (w, os, &arch) == -1)
    goto out;
  if ((st = calloc (1, sizeof *st)) == NULL ||
      (*pkgs = calloc (N_PACKAGES, sizeof **pkgs)) == NULL) {
    h2k_error ("out of memory");
    goto out;
  }
  *st = (struct stage) { .src = src, .dest = dest, .os = os, .arch = arch };
  if (walk_source (src, stage_file, st) == -1 ||
      stage_finish (st, required, *pkgs, n) == -1)
    goto out;
  r = 0;
 out:
  for (size_t k = 0; st && k < N_PACKAGES; ++k)
    for (size_t i = 0; i < N_RANKS; ++i)
      cand_remove (&st->cand[k][i]);
  free (st);
  if (r == -1) {
    win_pkgs_free (*pkgs, *n);
    *pkgs = NULL;
    *n = 0;
  }
  return r;
}

void
win_pkgs_free (struct win_pkg *pkgs, size_t n)
{
  for (size_t i = 0; pkgs && i < n; ++i) {
    free (pkgs[i].driver);
    free (pkgs[i].rel_dir);
    free (pkgs[i].local_dir);
    free (pkgs[i].inf);
    h2k_free_strv (pkgs[i].files);
    h2k_free_strv (pkgs[i].sha256);
  }
  free (pkgs);
}

/* ---- the guest agent */

struct find_msi {
  const char *want;             /* qemu-ga-x86_64.msi... */
  const char *dest;
  char *local;
};

static int
find_msi_file (void *opaque, const struct src_entry *e)
{
  struct find_msi *f = opaque;
  const char *c[2];
  size_t len[2];
  CLEANUP_FREE char *to = NULL;

  if (f->local || split_rel (e->rel, c, len, 2) != 2 ||
      !comp_is (c[0], len[0], "guest-agent") || !comp_is (c[1], len[1], f->want))
    return 0;
  if ((to = h2k_path_join (f->dest, c[1])) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (src_save (e, to) == -1)
    return -1;
  h2k_debug ("%s: using %s", e->src, e->rel);
  f->local = to;
  to = NULL;
  return 0;
}

int
win_find_qemu_ga (const char *src, const struct win_id *w,
                  const char *dest, char **local)
{
  struct find_msi f = { .dest = dest };

  *local = NULL;
  if (w->arch && strcmp (w->arch, "x86_64") == 0)
    f.want = "qemu-ga-x86_64.msi";
  else if (w->arch && strcmp (w->arch, "i386") == 0)
    f.want = "qemu-ga-i386.msi";
  else {
    h2k_debug ("no qemu-ga MSI for the architecture %s", w->arch ? w->arch : "(none)");
    return 0;
  }
  if (walk_source (src, find_msi_file, &f) == -1) {
    if (f.local)
      unlink (f.local);
    free (f.local);
    return -1;
  }
  *local = f.local;
  return *local != NULL;
}
