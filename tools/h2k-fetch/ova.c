/* h2k-fetch: OVA packages.
 *
 * An OVA is a tar archive (ustar, pax or GNU; we also take one that is
 * gzip-compressed) of an OVF package: the .ovf first, then usually the
 * .mf (and .cert), then the disks.  We unpack it into a temporary
 * directory of the workdir, entry by entry, refusing anything that could
 * write outside it or is not a plain file or directory; verify it; and
 * only then rename the directory to WORKDIR/NAME.ova.d, so a failed run
 * leaves nothing.  In a dry run the archive is only read and checked.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "error.h"
#include "fetch.h"
#include "manifest.h"
#include "ovf.h"
#include "publish.h"
#include "size.h"
#include "util.h"

/* Limits against hostile or broken input. */
#define OVA_MAX_ENTRIES 1024
#define OVA_MAX_NAME    1024

struct scan {
  const char *ova;              /* for messages */
  const char *dir;              /* extract here; NULL: only check */
  uint64_t max;                 /* bytes, 0: no limit */
  uint64_t total;
  size_t nentries;
  char **files;                 /* regular files, normalized (NULL-ended) */
  int64_t *sizes;               /* files[i]'s size in the archive */
  size_t nfiles;
  char **dirs;
  size_t ndirs;
  char *ovf_name;               /* the .ovf member */
  char **local;                 /* per disk: its name once extracted (a
                                   gzip'd disk loses its .gz), or NULL */
  size_t nlocal;
  char *ovf_buf;                /* its content (dry run only) */
  size_t ovf_len;
};

static void
scan_free (struct scan *s)
{
  for (size_t i = 0; i < s->nfiles; ++i)
    free (s->files[i]);
  for (size_t i = 0; i < s->ndirs; ++i)
    free (s->dirs[i]);
  free (s->files);
  free (s->sizes);
  free (s->dirs);
  free (s->ovf_name);
  free (s->ovf_buf);
  for (size_t i = 0; i < s->nlocal; ++i)
    free (s->local[i]);
  free (s->local);
}

H2K_DEFINE_CLEANUP_STRUCT (struct scan, scan_free)

/* NAME without "./" and empty components, or NULL (*WHY set) if it is
 * absolute, has a ".." component or control characters.  An empty result
 * ("./") is the archive's root.
 */
static char *
normalize (const char *name, const char **why)
{
  CLEANUP_FREE char *copy = strdup (name);
  char *r, *tok, *save;
  size_t n = 0;

  if (copy == NULL || (r = malloc (strlen (name) + 1)) == NULL) {
    *why = "out of memory";
    return NULL;
  }
  *why = NULL;
  if (name[0] == '/')
    *why = "absolute path";
  else if (strlen (name) > OVA_MAX_NAME)
    *why = "name too long";
  for (const char *p = name; *why == NULL && *p; ++p)
    if ((unsigned char) *p < 0x20 || *p == 0x7f || *p == '\\')
      *why = "control character or backslash in the name";
  for (tok = strtok_r (copy, "/", &save); *why == NULL && tok;
       tok = strtok_r (NULL, "/", &save)) {
    if (strcmp (tok, ".") == 0)
      continue;
    if (strcmp (tok, "..") == 0) {
      *why = "'..' in the path";
      break;
    }
    if (n)
      r[n++] = '/';
    memcpy (r + n, tok, strlen (tok));
    n += strlen (tok);
  }
  if (*why) {
    free (r);
    return NULL;
  }
  r[n] = '\0';
  return r;
}

static int
in_list (char **v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; ++i)
    if (strcmp (v[i], s) == 0)
      return 1;
  return 0;
}

static int
in_strv (char **v, const char *s)
{
  for (; v && *v; ++v)
    if (strcmp (*v, s) == 0)
      return 1;
  return 0;
}

static int
push (char ***v, size_t *n, char *s)
{
  char **p = realloc (*v, (*n + 2) * sizeof *p);

  if (p == NULL)
    return -1;
  *v = p;
  p[(*n)++] = s;
  p[*n] = NULL;
  return 0;
}

/* The size of the file about to be pushed on S->files. */
static int
push_size (struct scan *s, int64_t size)
{
  int64_t *p = realloc (s->sizes, (s->nfiles + 1) * sizeof *p);

  if (p == NULL)
    return -1;
  s->sizes = p;
  p[s->nfiles] = size;
  return 0;
}

/* Make the directories of the relative PATH below DIR (ours: no links). */
static int
make_parents (const struct scan *s, const char *rel)
{
  CLEANUP_FREE char *full = h2k_path_join (s->dir, rel);
  char *slash;

  if (full == NULL)
    return -1;
  slash = strrchr (full, '/');
  *slash = '\0';
  return h2k_mkdir_p (full);
}

/* Copy the current entry's data (SIZE bytes) into the new file DIR/REL. */
static int
write_entry (struct scan *s, struct archive *a, const char *rel, int64_t size)
{
  CLEANUP_FREE char *full = h2k_path_join (s->dir, rel);
  CLEANUP_CLOSE int fd = -1;
  const void *buf;
  size_t len;
  int64_t off;
  int r;

  if (full == NULL || make_parents (s, rel) == -1)
    return -1;
  fd = open (full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd == -1) {
    h2k_error ("%s: entry '%s': cannot create it: %m", s->ova, rel);
    return -1;
  }
  while ((r = archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK) {
    if (off < 0 || off > INT64_MAX - (int64_t) len) {
      h2k_error ("%s: entry '%s': bad data offset", s->ova, rel);
      return -1;
    }
    s->total += len;
    if (s->max && s->total > s->max) {
      h2k_error ("%s: entry '%s': the archive expands past the limit of "
                 "%" PRIu64 " bytes (--max-extract)", s->ova, rel, s->max);
      return -1;
    }
    for (size_t done = 0; done < len; ) {
      ssize_t w = pwrite (fd, (const char *) buf + done, len - done, off + done);
      if (w == -1 && errno == EINTR)
        continue;
      if (w == -1) {
        h2k_error ("%s: write: %m", full);
        return -1;
      }
      done += w;
    }
  }
  if (r != ARCHIVE_EOF) {
    h2k_error ("%s: entry '%s': %s", s->ova, rel, archive_error_string (a));
    return -1;
  }
  /* A sparse entry may end in a hole. */
  if (ftruncate (fd, size) == -1 || fsync (fd) == -1) {
    h2k_error ("%s: %m", full);
    return -1;
  }
  if (close (fd) == -1) {
    fd = -1;
    h2k_error ("%s: %m", full);
    return -1;
  }
  fd = -1;
  return 0;
}

/* Dry run: read the .ovf into memory, skip everything else. */
static int
read_or_skip (struct scan *s, struct archive *a, const char *rel,
              int64_t size, int is_ovf)
{
  ssize_t n;

  if (!is_ovf) {
    if (archive_read_data_skip (a) != ARCHIVE_OK) {
      h2k_error ("%s: entry '%s': %s", s->ova, rel, archive_error_string (a));
      return -1;
    }
    return 0;
  }
  if (size > OVF_MAX_FILE) {
    h2k_error ("%s: entry '%s': larger than %u bytes", s->ova, rel, OVF_MAX_FILE);
    return -1;
  }
  s->ovf_buf = malloc (size + 1);
  if (s->ovf_buf == NULL) {
    h2k_error ("%s: %m", s->ova);
    return -1;
  }
  n = archive_read_data (a, s->ovf_buf, size);
  if (n != size) {
    h2k_error ("%s: entry '%s': %s", s->ova, rel,
               n < 0 ? archive_error_string (a) : "truncated");
    return -1;
  }
  s->ovf_buf[size] = '\0';
  s->ovf_len = size;
  return 0;
}

static const char *
type_name (mode_t t)
{
  switch (t) {
  case AE_IFLNK: return "a symbolic link";
  case AE_IFCHR: return "a character device";
  case AE_IFBLK: return "a block device";
  case AE_IFIFO: return "a FIFO";
  case AE_IFSOCK: return "a socket";
  default: return "not a regular file or directory";
  }
}

static int
nomem (const struct scan *s)
{
  h2k_error ("%s: %m", s->ova);
  return -1;
}

/* Check (and extract) one entry. */
static int
one_entry (struct scan *s, struct archive *a, struct archive_entry *e)
{
  const char *name = archive_entry_pathname (e);
  mode_t type = archive_entry_filetype (e);
  int64_t size = archive_entry_size (e);
  CLEANUP_FREE char *rel = NULL;
  const char *why;
  int is_ovf;

  if (name == NULL) {
    h2k_error ("%s: entry %zu: no name", s->ova, s->nentries);
    return -1;
  }
  if (++s->nentries > OVA_MAX_ENTRIES) {
    h2k_error ("%s: more than %d entries", s->ova, OVA_MAX_ENTRIES);
    return -1;
  }
  if ((rel = normalize (name, &why)) == NULL) {
    h2k_error ("%s: entry '%.256s': %s: refused", s->ova, name, why);
    return -1;
  }
  if (archive_entry_hardlink (e)) {
    h2k_error ("%s: entry '%.256s': a hard link: refused", s->ova, name);
    return -1;
  }
  if (archive_entry_symlink (e) || (type != AE_IFREG && type != AE_IFDIR)) {
    h2k_error ("%s: entry '%.256s': %s: refused", s->ova, name,
               type_name (archive_entry_symlink (e) ? AE_IFLNK : type));
    return -1;
  }
  if (in_list (s->files, s->nfiles, rel) ||
      (type == AE_IFREG && in_list (s->dirs, s->ndirs, rel))) {
    h2k_error ("%s: entry '%.256s': duplicate name: refused", s->ova, name);
    return -1;
  }
  if (type == AE_IFDIR) {
    CLEANUP_FREE char *full = NULL;
    if (rel[0] == '\0' || in_list (s->dirs, s->ndirs, rel))
      return 0;
    if (s->dir && ((full = h2k_path_join (s->dir, rel)) == NULL ||
                   h2k_mkdir_p (full) == -1))
      return -1;
    if (push (&s->dirs, &s->ndirs, rel) == -1)
      return nomem (s);
    rel = NULL;
    return 0;
  }
  if (rel[0] == '\0') {
    h2k_error ("%s: entry '%.256s': a file with an empty name: refused",
               s->ova, name);
    return -1;
  }
  if (size < 0 || (s->max && (uint64_t) size > s->max - s->total)) {
    h2k_error ("%s: entry '%.256s': the archive expands past the limit of "
               "%" PRIu64 " bytes (--max-extract)", s->ova, name, s->max);
    return -1;
  }
  is_ovf = h2k_ends_with_ci (rel, ".ovf");
  if (is_ovf && s->ovf_name) {
    h2k_error ("%s: entry '%.256s': a second .ovf (the first is '%s'): "
               "one OVF per OVA", s->ova, name, s->ovf_name);
    return -1;
  }
  if (is_ovf && s->nfiles > 0)
    h2k_warning ("%s: the .ovf ('%s') is not the first entry", s->ova, rel);
  h2k_debug ("%s: %s (%" PRId64 " bytes)", s->ova, rel, size);
  if ((s->dir ? write_entry (s, a, rel, size)
              : read_or_skip (s, a, rel, size, is_ovf)) == -1)
    return -1;
  if (!s->dir)
    s->total += size;
  if (is_ovf && (s->ovf_name = strdup (rel)) == NULL)
    return nomem (s);
  if (push_size (s, size) == -1 || push (&s->files, &s->nfiles, rel) == -1)
    return nomem (s);
  rel = NULL;
  return 0;
}

static int
scan_archive (struct scan *s)
{
  CLEANUP_ARCHIVE struct archive *a = archive_read_new ();
  struct archive_entry *e;
  int r;

  if (a == NULL || archive_read_support_format_tar (a) != ARCHIVE_OK ||
      archive_read_support_filter_gzip (a) != ARCHIVE_OK) {
    h2k_error ("%s: cannot set up libarchive", s->ova);
    return -1;
  }
  if (archive_read_open_filename (a, s->ova, 1 << 16) != ARCHIVE_OK) {
    h2k_error ("%s: not a tar archive: %s", s->ova, archive_error_string (a));
    return -1;
  }
  while ((r = archive_read_next_header (a, &e)) != ARCHIVE_EOF) {
    if (r == ARCHIVE_WARN)
      h2k_debug ("%s: %s", s->ova, archive_error_string (a));
    else if (r != ARCHIVE_OK) {
      const char *msg = archive_error_string (a);
      h2k_error ("%s: %s (after %zu entries)", s->ova,
                 msg ? msg : "read error", s->nentries);
      return -1;
    }
    if (one_entry (s, a, e) == -1)
      return -1;
  }
  if (s->ovf_name == NULL) {
    h2k_error ("%s: no .ovf descriptor in the archive", s->ova);
    return -1;
  }
  return 0;
}

/* The package's files, relative to the directory of the .ovf. */
static char **
members_beside_ovf (const struct scan *s)
{
  const char *slash = strrchr (s->ovf_name, '/');
  size_t plen = slash ? (size_t) (slash - s->ovf_name) + 1 : 0;
  char **v = calloc (s->nfiles + 1, sizeof *v);
  size_t n = 0;

  if (v == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < s->nfiles; ++i)
    if (strncmp (s->files[i], s->ovf_name, plen) == 0 &&
        (v[n++] = strdup (s->files[i] + plen)) == NULL) {
      h2k_free_strv (v);
      h2k_error ("%m");
      return NULL;
    }
  return v;
}

static char *
ovf_label (const struct scan *s)
{
  char *r;

  if (asprintf (&r, "%s: %s", s->ova, s->ovf_name) == -1) {
    h2k_error ("%m");
    return NULL;
  }
  return r;
}

/* The sizes of the referenced members, from the archive's headers (as
 * ovf_check_package checks them once extracted).
 */
static int
check_member_sizes (const struct scan *s, const struct ovf_vm *vm)
{
  const char *slash = strrchr (s->ovf_name, '/');
  size_t plen = slash ? (size_t) (slash - s->ovf_name) + 1 : 0;

  for (size_t i = 0; i < s->nfiles; ++i)
    if (strncmp (s->files[i], s->ovf_name, plen) == 0 &&
        ovf_check_size (vm, s->files[i] + plen, s->sizes[i], s->ova) == -1)
      return -1;
  return 0;
}

static int
dry_run (struct scan *s, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_FREE char *label = NULL;
  CLEANUP_FREE_STRV char **members = NULL;
  H2K_CLEANUP (ovf_free) struct ovf_vm *vm = NULL;
  CLEANUP_FREE char **paths = NULL;
  struct ovf_fetch f = { .kind = "ova", .source_path = s->ova };
  char size[H2K_HUMAN_SIZE_LEN];

  if (scan_archive (s) == -1 || (label = ovf_label (s)) == NULL ||
      (vm = ovf_parse (s->ovf_buf, s->ovf_len, label)) == NULL ||
      ovf_check_name (vm, label, o) == -1 ||
      (members = members_beside_ovf (s)) == NULL)
    return -1;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct ovf_disk *d = &vm->disks[i];
    if (d->href && !in_strv (members, d->href)) {
      h2k_error ("%s: %s: disk file missing from the archive (File ovf:id "
                 "'%s' of %s)", s->ova, d->href, d->file_id, s->ovf_name);
      return -1;
    }
  }
  if (check_member_sizes (s, vm) == -1)
    return -1;
  h2k_info ("dry run: %s: %zu entries checked; would extract %s into %s/; "
            "digests and disks are checked only when extracting", s->ova,
            s->nentries, h2k_human_size (size, s->total), o->workdir);
  paths = calloc (vm->ndisks + 1, sizeof *paths);
  if (paths == NULL) {
    h2k_error ("%m");
    return -1;
  }
  return ovf_fill_manifest (vm, &f, paths, o, m);
}

/* Decompress the gzip'd disk D of the extracted package in DIR: "x.gz"
 * becomes "x" (unless the package has an "x" too), anything else is
 * replaced.  *LOCAL gets the name.  A disk that is not compressed keeps
 * its name.
 */
static int
gunzip_disk (const struct scan *s, const char *dir, const struct ovf_disk *d,
             char **local)
{
  CLEANUP_FREE char *src = h2k_path_join (dir, d->href);
  CLEANUP_FREE char *dest = NULL;

  if (src == NULL)
    return -1;
  *local = NULL;
  if (d->compression && h2k_ends_with_ci (d->href, ".gz")) {
    *local = strndup (d->href, strlen (d->href) - 3);
    dest = *local ? h2k_path_join (dir, *local) : NULL;
    if (dest == NULL)
      return -1;
    if (access (dest, F_OK) == 0) {   /* the package has an "x" too */
      free (*local);
      *local = NULL;
    }
  }
  if (*local == NULL) {
    free (dest);
    if ((*local = strdup (d->href)) == NULL ||
        (dest = h2k_path_join (dir, *local)) == NULL) {
      h2k_error ("%s: %m", d->href);
      return -1;
    }
  }
  if (d->compression == NULL)
    return 0;
  h2k_info ("%s: decompressing %s", s->ova, d->href);
  if (ovf_gunzip (src, dest, s->max) == -1)
    return -1;
  if (strcmp (src, dest) != 0 && unlink (src) == -1) {
    h2k_error ("%s: %m", src);
    return -1;
  }
  return 0;
}

/* Parse the extracted .ovf, verify the package, decompress gzip'd disks
 * in place.  *VM gets the description.
 */
static int
verify_extracted (struct scan *s, const char *tmp, const struct fetch_opts *o,
                  struct ovf_vm **vm, const char **verified)
{
  CLEANUP_FREE char *label = ovf_label (s);
  CLEANUP_FREE char *ovf_path = h2k_path_join (tmp, s->ovf_name);
  CLEANUP_FREE char *dir = ovf_path ? h2k_dirname (ovf_path) : NULL;
  CLEANUP_FREE_STRV char **members = members_beside_ovf (s);
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  if (label == NULL || dir == NULL || members == NULL ||
      (buf = h2k_read_file (ovf_path, OVF_MAX_FILE, &len)) == NULL ||
      (*vm = ovf_parse (buf, len, label)) == NULL ||
      ovf_check_name (*vm, label, o) == -1 ||
      ovf_check_package (*vm, ovf_path, s->ova, (const char *const *) members,
                         verified) == -1)
    return -1;
  s->local = calloc ((*vm)->ndisks + 1, sizeof (char *));
  if (s->local == NULL) {
    h2k_error ("%m");
    return -1;
  }
  s->nlocal = (*vm)->ndisks;
  for (size_t i = 0; i < (*vm)->ndisks; ++i)
    if ((*vm)->disks[i].href &&
        gunzip_disk (s, dir, &(*vm)->disks[i], &s->local[i]) == -1)
      return -1;
  return 0;
}

/* Paths of the disks in the extracted package at FINAL. */
static int
disk_paths (const struct scan *s, const struct ovf_vm *vm, const char *final,
            char ***out)
{
  CLEANUP_FREE char *ovf_path = h2k_path_join (final, s->ovf_name);
  CLEANUP_FREE char *dir = ovf_path ? h2k_dirname (ovf_path) : NULL;
  char **v = calloc (vm->ndisks + 1, sizeof *v);

  *out = v;
  if (v == NULL || dir == NULL) {
    h2k_error ("%m");
    return -1;
  }
  for (size_t i = 0; i < vm->ndisks; ++i)
    if (s->local[i] && (v[i] = h2k_path_join (dir, s->local[i])) == NULL)
      return -1;
  return 0;
}

static void
free_paths (char **v, size_t n)
{
  for (size_t i = 0; v && i < n; ++i)
    free (v[i]);
  free (v);
}

int
fetch_ova (const char *path, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  CLEANUP_FREE char *final = NULL;
  CLEANUP_FREE char *tmp = NULL;
  H2K_CLEANUP (scan_free) struct scan s = { 0 };
  H2K_CLEANUP (ovf_free) struct ovf_vm *vm = NULL;
  struct ovf_fetch f = { .kind = "ova" };
  const char *base;
  char **paths = NULL;
  mode_t mask;
  int r;

  if (abs == NULL)
    return -1;
  s.ova = abs;
  s.max = o->max_extract;
  if (o->dry_run)
    return dry_run (&s, o, m);
  base = strrchr (abs, '/') + 1;
  if (asprintf (&final, "%s/%s.d", o->workdir, base) == -1 ||
      asprintf (&tmp, "%s/.%s.d.h2k-XXXXXX", o->workdir, base) == -1) {
    final = tmp = NULL;
    h2k_error ("%m");
    return -1;
  }
  if (access (final, F_OK) == 0) {
    h2k_error ("%s: already exists (left by an earlier run? remove it or "
               "use another --workdir)", final);
    return -1;
  }
  if (mkdtemp (tmp) == NULL) {
    h2k_error ("%s: cannot create a temporary directory: %m", tmp);
    return -1;
  }
  mask = umask (0);
  umask (mask);
  if (chmod (tmp, 0755 & ~mask) == -1) {
    h2k_error ("%s: %m", tmp);
    ovf_remove_tree (tmp);
    return -1;
  }
  s.dir = tmp;
  if (scan_archive (&s) == -1 ||
      verify_extracted (&s, tmp, o, &vm, &f.manifest_verified) == -1) {
    ovf_remove_tree (tmp);
    return -1;
  }
  if (rename (tmp, final) == -1) {
    h2k_error ("%s: cannot rename to %s: %m", tmp, final);
    ovf_remove_tree (tmp);
    return -1;
  }
  h2k_info ("%s: extracted %zu files into %s", abs, s.nfiles, final);
  /* From here on main's fetch_undo removes it all on failure. */
  if (ovf_note_tree (final) == -1 || h2k_fsync_parent (final) == -1)
    return -1;
  f.source_path = abs;
  f.extracted_dir = final;
  r = disk_paths (&s, vm, final, &paths) == -1 ? -1 :
    ovf_fill_manifest (vm, &f, paths, o, m);
  free_paths (paths, vm->ndisks);
  return r;
}
