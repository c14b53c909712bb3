/* h2k: keep the files that image metadata names inside the image's
 * directory (see confine.h).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "byteorder.h"
#include "cleanup.h"
#include "confine.h"
#include "error.h"
#include "manifest.h"
#include "qemu-img.h"
#include "util.h"
#include "vmdk.h"

/* The policy ------------------------------------------------------------ */

#define MAX_ALLOWED 64

static char *allowed[MAX_ALLOWED];     /* resolved, never "/" */
static size_t nallowed;
static int allow_devices;

int
h2k_confine_allow_dir (const char *dir)
{
  CLEANUP_FREE char *real = NULL;
  struct stat st;

  if (dir[0] != '/') {
    h2k_error ("--allow-disk-dir: %s: not an absolute path", dir);
    return -1;
  }
  if ((real = realpath (dir, NULL)) == NULL || stat (real, &st) == -1) {
    h2k_error ("--allow-disk-dir: %s: %m", dir);
    return -1;
  }
  if (!S_ISDIR (st.st_mode)) {
    h2k_error ("--allow-disk-dir: %s: not a directory", dir);
    return -1;
  }
  if (strcmp (real, "/") == 0) {
    h2k_error ("--allow-disk-dir: %s: is the root directory: refused (that "
               "would allow any file on the host; name the directory that "
               "holds the disks)", dir);
    return -1;
  }
  if (nallowed == MAX_ALLOWED) {
    h2k_error ("--allow-disk-dir: %s: more than %d directories", dir,
               MAX_ALLOWED);
    return -1;
  }
  h2k_debug ("disk files may also be under %s", real);
  allowed[nallowed++] = real;
  real = NULL;
  return 0;
}

void
h2k_confine_allow_devices (int yes)
{
  allow_devices = yes;
}

void
h2k_confine_reset (void)
{
  while (nallowed > 0)
    free (allowed[--nallowed]);
  allow_devices = 0;
}

/* Is PATH (resolved) inside DIR (resolved)?  Under "/" only a file
 * directly in it is: "/" must never mean the whole host.
 */
static int
inside (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  if (strcmp (dir, "/") == 0)
    return path[0] == '/' && strchr (path + 1, '/') == NULL;
  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int
permitted (const char *path, const char *area)
{
  if (inside (path, area))
    return 1;
  for (size_t i = 0; i < nallowed; ++i)
    if (inside (path, allowed[i]))
      return 1;
  return 0;
}

/* What a file of MODE is, when it may not be a disk file; NULL if it
 * may.
 */
static const char *
refused_type (mode_t mode)
{
  if (S_ISREG (mode))
    return NULL;
  if (S_ISBLK (mode))
    return allow_devices ? NULL : "a block device (allow with --allow-devices)";
  if (S_ISCHR (mode))
    return allow_devices ? NULL
                         : "a character device (allow with --allow-devices)";
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

int
h2k_confine_path (const char *naming_file, const char *field,
                  const char *named, char **path)
{
  CLEANUP_FREE char *dir = h2k_dirname (naming_file);
  CLEANUP_FREE char *full = NULL, *fdir = NULL;
  CLEANUP_FREE char *area = NULL, *real = NULL, *real_dir = NULL;
  const char *why;
  struct stat st;

  if (path)
    *path = NULL;
  /* Joined as qemu joins it: "L/../x" goes through the link L. */
  if (dir == NULL || (full = h2k_path_join_raw (dir, named)) == NULL ||
      (fdir = h2k_dirname (full)) == NULL)
    return -1;
  if ((area = realpath (dir, NULL)) == NULL) {
    h2k_error ("%s: %s \"%s\": the image's directory %s: %m", naming_file,
               field, named, dir);
    return -1;
  }
  if ((real = realpath (full, NULL)) == NULL ||
      (real_dir = realpath (fdir, NULL)) == NULL || stat (real, &st) == -1) {
    h2k_error ("%s: %s \"%s\": %m", naming_file, field, named);
    return -1;
  }
  /* The file, and the directory qemu takes its own names against. */
  if (!permitted (real, area)) {
    h2k_error ("%s: %s \"%s\" resolves to %s, outside %s: refused (allow "
               "its directory with --allow-disk-dir)", naming_file, field,
               named, real, area);
    return -1;
  }
  if (!permitted (real_dir, area)) {
    h2k_error ("%s: %s \"%s\": its directory resolves to %s, outside %s: "
               "refused (allow it with --allow-disk-dir)", naming_file, field,
               named, real_dir, area);
    return -1;
  }
  if ((why = refused_type (st.st_mode)) != NULL) {
    h2k_error ("%s: %s \"%s\": %s is %s: refused", naming_file, field, named,
               real, why);
    return -1;
  }
  if (path) {
    *path = full;
    full = NULL;
  }
  return 0;
}

/* Reading headers ------------------------------------------------------- */

/* Open an image for reading its header, never blocking on a FIFO. */
static int
open_image (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  const char *why;

  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", path);
    if (fd >= 0)
      close (fd);
    return -1;
  }
  if ((why = refused_type (st.st_mode)) != NULL) {
    h2k_error ("%s: is %s: refused", path, why);
    close (fd);
    return -1;
  }
  return fd;
}

/* Read LEN bytes at OFF (zeros past the end of the file). */
static int
read_at (int fd, const char *path, void *buf, size_t len, uint64_t off)
{
  ssize_t r;

  memset (buf, 0, len);
  if (off > INT64_MAX || (r = pread (fd, buf, len, off)) == -1) {
    h2k_error ("%s: read: %s", path, off > INT64_MAX ? "offset out of range"
                                                     : strerror (errno));
    return -1;
  }
  return 0;
}

/* Like qemu's probe: is this text a VMDK descriptor (comments and blank
 * lines, then "version=N")?
 */
static int
probes_as_vmdk_text (const unsigned char *b, size_t n)
{
  const char *p = (const char *) b, *end = p + n;

  while (p < end) {
    if (*p == '#') {
      while (p < end && *p != '\n')
        p++;
      p++;
      continue;
    }
    if (*p == ' ') {
      while (p < end && *p == ' ')
        p++;
      if (p < end && *p == '\r')
        p++;
      if (p == end || *p != '\n')
        return 0;
      p++;
      continue;
    }
    return end - p >= 9 && strncmp (p, "version=", 8) == 0 &&
           p[8] >= '1' && p[8] <= '3';
  }
  return 0;
}

/* The format qemu would probe PATH as, when nothing says: "qcow2",
 * "vmdk", or "raw" for everything that names no other file.  Formats
 * that name files we do not read (QED, qcow version 1) are refused.
 */
static int
sniff (const char *path, const char **format)
{
  CLEANUP_CLOSE int fd = open_image (path);
  unsigned char b[2048];

  if (fd == -1 || read_at (fd, path, b, sizeof b, 0) == -1)
    return -1;
  if (memcmp (b, "QFI\xfb", 4) == 0 && h2k_be32 (b + 4) < 2) {
    h2k_error ("%s: a qcow version 1 image: not supported", path);
    return -1;
  }
  if (memcmp (b, "QED\0", 4) == 0) {
    h2k_error ("%s: a QED image: not supported", path);
    return -1;
  }
  if (memcmp (b, "QFI\xfb", 4) == 0)
    *format = "qcow2";
  else if (memcmp (b, "KDMV", 4) == 0 || memcmp (b, "COWD", 4) == 0 ||
           probes_as_vmdk_text (b, sizeof b))
    *format = "vmdk";
  else
    *format = "raw";
  return 0;
}

/* The names in a qcow2 header (NULL when absent). */
struct qcow2_names {
  char *backing;
  char *backing_format;         /* qemu's name */
  char *data_file;
};

static void
qcow2_names_free (struct qcow2_names *q)
{
  free (q->backing);
  free (q->backing_format);
  free (q->data_file);
}

#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_DATA_FILE      0x44415441u

/* A name of LEN bytes at P, cut at a NUL as qemu reads it. */
static char *
name_at (const unsigned char *p, size_t len, const char *path)
{
  char *s = strndup ((const char *) p, len);

  if (s == NULL)
    h2k_error ("%s: %m", path);
  return s;
}

/* The header extensions in BUF[START, END). */
static int
qcow2_extensions (const unsigned char *buf, uint64_t start, uint64_t end,
                  const char *path, struct qcow2_names *q)
{
  uint64_t off = start;

  while (off + 8 <= end) {
    uint32_t type = h2k_be32 (buf + off), len = h2k_be32 (buf + off + 4);
    char **dst = NULL;

    off += 8;
    if (type == 0)
      return 0;
    if (len > end - off) {
      h2k_error ("%s: qcow2 header extension 0x%08x: longer than the header "
                 "area", path, type);
      return -1;
    }
    if (type == QCOW2_EXT_BACKING_FORMAT)
      dst = &q->backing_format;
    else if (type == QCOW2_EXT_DATA_FILE)
      dst = &q->data_file;
    if (dst && (*dst != NULL || len > H2K_CONFINE_MAX_NAME)) {
      h2k_error ("%s: qcow2 header extension 0x%08x: repeated or longer "
                 "than %d bytes", path, type, H2K_CONFINE_MAX_NAME);
      return -1;
    }
    if (dst && (*dst = name_at (buf + off, len, path)) == NULL)
      return -1;
    off += ((uint64_t) len + 7) & ~(uint64_t) 7;
  }
  return 0;
}

static int
qcow2_read (const char *path, struct qcow2_names *q)
{
  CLEANUP_CLOSE int fd = open_image (path);
  CLEANUP_FREE unsigned char *buf = NULL;
  unsigned char h[104];
  uint32_t version, cluster_bits, header_len, backing_len;
  uint64_t backing_off, cluster_size, ext_end;

  if (fd == -1 || read_at (fd, path, h, sizeof h, 0) == -1)
    return -1;
  version = h2k_be32 (h + 4);
  backing_off = h2k_be64 (h + 8);
  backing_len = h2k_be32 (h + 16);
  cluster_bits = h2k_be32 (h + 20);
  header_len = version >= 3 ? h2k_be32 (h + 100) : 72;
  if (memcmp (h, "QFI\xfb", 4) != 0 || version < 2 || version > 3 ||
      cluster_bits < 9 || cluster_bits > 21) {
    h2k_error ("%s: not a qcow2 image (version 2 or 3) qemu would open", path);
    return -1;
  }
  cluster_size = (uint64_t) 1 << cluster_bits;
  ext_end = backing_off ? backing_off : cluster_size;
  if (header_len < 72 || header_len > cluster_size || ext_end > cluster_size ||
      backing_len > 1023) {
    h2k_error ("%s: qcow2 header: header length, backing file offset or "
               "size out of range", path);
    return -1;
  }
  if ((buf = malloc (cluster_size + 1024)) == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (read_at (fd, path, buf, cluster_size + 1024, 0) == -1 ||
      qcow2_extensions (buf, header_len, ext_end, path, q) == -1)
    return -1;
  if (backing_off && backing_len > 0 &&
      (q->backing = name_at (buf + backing_off, backing_len, path)) == NULL)
    return -1;
  if (q->backing && q->backing[0] == '\0') {
    free (q->backing);
    q->backing = NULL;
  }
  return 0;
}

/* The walk ---------------------------------------------------------------- */

/* qemu reads "proto:..." and "json:{...}" as protocols, not file names. */
static int
has_protocol (const char *s)
{
  return s[strcspn (s, ":/")] == ':';
}

/* "C:\...", "C:/...": written on a Windows host; qemu takes "C:" for a
 * protocol it does not know and opens nothing.  "\\server\..." is no
 * such thing on Linux: qemu opens it as a relative name, and so it is
 * confined like any other.
 */
static int
is_windows_path (const char *s)
{
  return ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) &&
         s[1] == ':' && (s[2] == '\\' || s[2] == '/');
}

static int walk (const char *path, const char *format, const char *trusted,
                 unsigned depth);

/* A parent (backing file) NAME of CHILD, as qemu would follow it. */
static int
follow_parent (const char *child, const char *field, const char *name,
               const char *format, unsigned depth)
{
  CLEANUP_FREE char *dir = h2k_dirname (child), *full = NULL, *p = NULL;
  struct stat st;

  if (is_windows_path (name)) {
    h2k_debug ("%s: %s \"%s\": a Windows path, not followed", child, field,
               name);
    return 0;
  }
  if (has_protocol (name)) {
    h2k_error ("%s: %s \"%.64s\" is not a local file: refused", child,
               field, name);
    return -1;
  }
  if (dir == NULL || (full = h2k_path_join_raw (dir, name)) == NULL)
    return -1;
  if (stat (full, &st) == -1 && errno == ENOENT) {
    h2k_debug ("%s: %s \"%s\" does not exist: not followed", child, field,
               name);
    return 0;
  }
  if (h2k_confine_path (child, field, name, &p) == -1)
    return -1;
  return walk (p, format, NULL, depth + 1);
}

/* How qemu (vmdk_parent_open) finds a VMDK's parent: the first
 * "parentFileNameHint" in the QEMU_VMDK_DESC_SIZE bytes at OFF (0 for a
 * text descriptor, 0x200 for a sparse extent whatever its header says),
 * read as a C string, anywhere (in a comment, in another key's value);
 * the name starts 20 bytes past the match, whatever those bytes are, and
 * ends at the next '"'.  *HINT gets that name, or NULL when qemu finds
 * none (or an empty one).  A match qemu would fail on (no '"', too long)
 * is refused.
 */
#define QEMU_VMDK_DESC_SIZE 10240
#define QEMU_HINT_KEY "parentFileNameHint"

static int
qemu_parent_hint (int fd, const char *path, uint64_t off, char **hint)
{
  /* Zeros past the area: qemu's name may start just past its end. */
  char buf[QEMU_VMDK_DESC_SIZE + sizeof QEMU_HINT_KEY + 8] = { 0 };
  const char *m, *p, *e;

  *hint = NULL;
  if (read_at (fd, path, buf, QEMU_VMDK_DESC_SIZE, off) == -1)
    return -1;
  if ((m = strstr (buf, QEMU_HINT_KEY)) == NULL)
    return 0;
  p = m + sizeof QEMU_HINT_KEY + 1;
  if ((e = strchr (p, '"')) == NULL || e - p > PATH_MAX - 1) {
    h2k_error ("%s: parentFileNameHint: no name qemu could read (no closing "
               "quote, or longer than %d bytes): refused", path, PATH_MAX - 1);
    return -1;
  }
  if (e > p && (*hint = strndup (p, e - p)) == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  return 0;
}

/* S (at most 256 bytes of it) with control characters as '?', for a
 * one-line message.  Caller frees; NULL reported.
 */
static char *
printable (const char *path, const char *s)
{
  char *r = strndup (s, 256);

  if (r == NULL)
    h2k_error ("%s: %m", path);
  for (char *p = r; p && *p; ++p)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return r;
}

/* qemu must find the parent our parser found (PARSED, NULL if none). */
static int
same_parent (const char *path, const char *qemu, const char *parsed)
{
  CLEANUP_FREE char *q = NULL, *d = NULL;

  if (parsed && parsed[0] == '\0')
    parsed = NULL;
  if (qemu == NULL && parsed == NULL)
    return 0;
  if (qemu && parsed && strcmp (qemu, parsed) == 0)
    return 0;
  if ((qemu && (q = printable (path, qemu)) == NULL) ||
      (parsed && (d = printable (path, parsed)) == NULL))
    return -1;
  if (parsed == NULL)
    h2k_error ("%s: parentFileNameHint: qemu would read \"%s\" but the "
               "descriptor names no parent: refused", path, q);
  else if (qemu == NULL)
    h2k_error ("%s: parentFileNameHint: qemu would read no parent but the "
               "descriptor says \"%s\": refused", path, d);
  else
    h2k_error ("%s: parentFileNameHint: qemu would read \"%s\" but the "
               "descriptor says \"%s\": refused", path, q, d);
  return -1;
}

/* An extent qemu opens as a sparse file must not be one whose embedded
 * descriptor qemu would open as a descriptor file (vmdk.h).
 */
static int
check_sparse_extent (const char *desc, const char *name, const char *path)
{
  CLEANUP_CLOSE int fd = open_image (path);
  unsigned char b[512];
  struct h2k_vmdk_sparse_header h;

  if (fd == -1 || read_at (fd, path, b, sizeof b, 0) == -1)
    return -1;
  if (memcmp (b, H2K_VMDK_SPARSE_MAGIC, 4) != 0)
    return 0;
  if (h2k_vmdk_parse_sparse_header (b, sizeof b, path, &h) == -1)
    return -1;
  if (h2k_vmdk_sparse_is_descriptor (&h)) {
    h2k_error ("%s: extent \"%s\": a sparse header of capacity 0 with an "
               "embedded descriptor (qemu would open the extents that "
               "descriptor names): refused", desc, name);
    return -1;
  }
  return 0;
}

int
h2k_confine_extent (const char *naming_file, const char *named)
{
  CLEANUP_FREE char *p = NULL;

  if (h2k_confine_path (naming_file, "extent", named, &p) == -1)
    return -1;
  return check_sparse_extent (naming_file, named, p);
}

static int
walk_extents (const char *path, const struct h2k_vmdk_descriptor *d)
{
  for (size_t i = 0; !d->embedded && i < d->nr_extents; ++i)
    if (d->extents[i].file &&
        h2k_confine_extent (path, d->extents[i].file) == -1)
      return -1;
  return 0;
}

static int
walk_vmdk (const char *path, unsigned depth)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d = { 0 };
  CLEANUP_CLOSE int fd = open_image (path);
  CLEANUP_FREE char *hint = NULL;
  unsigned char magic[4];
  int cowd, sparse;

  if (fd == -1 || read_at (fd, path, magic, sizeof magic, 0) == -1)
    return -1;
  cowd = memcmp (magic, "COWD", 4) == 0;
  sparse = cowd || memcmp (magic, "KDMV", 4) == 0;
  if (qemu_parent_hint (fd, path, sparse ? 0x200 : 0, &hint) == -1)
    return -1;
  /* An ESX delta extent opened by itself: qemu reads no descriptor (but
   * looks for a parent all the same).
   */
  if (!cowd && (h2k_vmdk_read_descriptor (path, &d) == -1 ||
                walk_extents (path, &d) == -1))
    return -1;
  if (same_parent (path, hint, d.parent_hint) == -1)
    return -1;
  if (hint == NULL)
    return 0;
  return follow_parent (path, "parentFileNameHint", hint, "vmdk", depth);
}

/* NAME against the current directory, as written (h2k_path_join_raw). */
static char *
cwd_join (const char *name)
{
  CLEANUP_FREE char *cwd = NULL;

  if (name[0] != '/' && (cwd = getcwd (NULL, 0)) == NULL) {
    h2k_error ("getcwd: %m");
    return NULL;
  }
  return h2k_path_join_raw (cwd ? cwd : "/", name);
}

/* qemu opens a relative data file name against its current directory. */
static int
check_data_file (const char *path, const char *name)
{
  CLEANUP_FREE char *abs = NULL;

  if (has_protocol (name)) {
    h2k_error ("%s: data-file \"%.64s\" is not a local file: refused", path,
               name);
    return -1;
  }
  if ((abs = cwd_join (name)) == NULL)
    return -1;
  return h2k_confine_path (path, "data-file", abs, NULL);
}

static int
walk_qcow2 (const char *path, const char *trusted, unsigned depth)
{
  struct qcow2_names q __attribute__((cleanup (qcow2_names_free))) = { 0 };
  const char *format = NULL;

  if (qcow2_read (path, &q) == -1)
    return -1;
  if (q.data_file && check_data_file (path, q.data_file) == -1)
    return -1;
  if (q.backing == NULL)
    return 0;
  if (q.backing_format &&
      (format = h2k_format_from_qemu (q.backing_format)) == NULL) {
    h2k_error ("%s: backing format: \"%.32s\" is not supported", path,
               q.backing_format);
    return -1;
  }
  if (trusted && strcmp (q.backing, trusted) == 0)
    return walk (trusted, format, NULL, depth + 1);
  return follow_parent (path, "backing file", q.backing, format, depth);
}

static int
walk (const char *path, const char *format, const char *trusted,
      unsigned depth)
{
  if (depth >= H2K_CONFINE_MAX_DEPTH) {
    h2k_error ("%s: backing chain deeper than %d images", path,
               H2K_CONFINE_MAX_DEPTH);
    return -1;
  }
  if (format == NULL && sniff (path, &format) == -1)
    return -1;
  if (strcmp (format, "vmdk") == 0)
    return walk_vmdk (path, depth);
  if (strcmp (format, "qcow2") == 0)
    return walk_qcow2 (path, trusted, depth);
  if (strcmp (format, "raw") == 0 || strcmp (format, "vdi") == 0 ||
      strcmp (format, "vhd") == 0 || strcmp (format, "vhdx") == 0)
    return 0;                   /* qemu opens no other file for these */
  h2k_error ("%s: format \"%s\" is not supported", path, format);
  return -1;
}

int
h2k_confine_image (const char *path, const char *format, const char *trusted)
{
  return walk (path, format, trusted, 0);
}

int
h2k_confine_disk (json_object *disk, size_t i, const char *key)
{
  json_object *img = h2k_json_get_object (disk, key);
  const char *path = h2k_json_get_string (img, "path");
  const char *format = h2k_json_get_string (img, "format");
  const char *trusted = strcmp (key, "overlay") == 0
    ? h2k_json_get_string (img, "backing") : NULL;

  if (path == NULL || format == NULL) {
    h2k_error ("<stdin>: /disks/%zu/%s: no path or format", i, key);
    return -1;
  }
  return h2k_confine_image (path, format, trusted);
}
