/* h2k-fetch: one disk: probe it, reference it read-only or copy it into
 * the workdir with a verified checksum, and append it to the manifest.
 *
 * Sources are only ever opened O_RDONLY.  A copy is written under a
 * temporary name, checked against the source's sha256, then published
 * atomically; every file we publish is noted so that a failed run can
 * remove it again (fetch_undo).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "h2k.h"
#include "vhd.h"
#include "vmdk.h"
#include "fetch.h"

#define COPY_BUF (1u << 20)

/* ---------------------------------------------------------------- */
/* What this run created, for fetch_undo. */

struct created {
  char *path;
  int is_dir;
};
static struct created *created;
static size_t ncreated, created_cap;

int
fetch_note_created (const char *path)
{
  struct stat st;

  if (ncreated == created_cap) {
    size_t ncap = created_cap ? created_cap * 2 : 16;
    struct created *c = realloc (created, ncap * sizeof *c);
    if (c == NULL) {
      h2k_error ("%s: %m", path);
      return -1;
    }
    created = c;
    created_cap = ncap;
  }
  created[ncreated].path = strdup (path);
  if (created[ncreated].path == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  created[ncreated].is_dir = lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
  ncreated++;
  return 0;
}

void
fetch_undo (void)
{
  while (ncreated > 0) {
    struct created *c = &created[--ncreated];
    int r = c->is_dir ? rmdir (c->path) : unlink (c->path);

    if (r == -1 && errno != ENOENT)
      h2k_warning ("%s: could not remove it: %m", c->path);
    else
      h2k_debug ("removed %s", c->path);
    free (c->path);
  }
  free (created);
  created = NULL;
  created_cap = 0;
}

/* ---------------------------------------------------------------- */
/* VMDK text descriptors: the extent files. */

/* Read DESC's descriptor (common/vmdk.c checks it, and says clearly
 * when DESC is a lone extent rather than a disk).  If DESC is a text
 * descriptor, set *EXTENTS to its extent file names as written
 * (NULL-terminated), after checking that each exists inside DESC's
 * directory (common/confine.h).  A binary VMDK (its descriptor embedded,
 * its extent itself) leaves *EXTENTS NULL.
 */
static int
vmdk_extents (const char *desc, char ***extents)
{
  struct h2k_vmdk_descriptor d CLEANUP_VMDK_DESCRIPTOR = { 0 };
  size_t n = 0;

  *extents = NULL;
  if (h2k_vmdk_read_descriptor (desc, &d) == -1)
    return -1;
  if (d.embedded)
    return 0;
  *extents = calloc (d.nr_extents + 1, sizeof (char *));
  if (*extents == NULL) {
    h2k_error ("%s: %m", desc);
    return -1;
  }
  for (size_t i = 0; i < d.nr_extents; ++i) {
    const char *e = d.extents[i].file;

    if (e == NULL)              /* ZERO */
      continue;
    if (h2k_confine_extent (desc, e) == -1)
      return -1;
    if (((*extents)[n++] = strdup (e)) == NULL) {
      h2k_error ("%s: %m", desc);
      return -1;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* Copying with a verified sha256. */

static void
to_hex (const unsigned char *md, unsigned len, char *hex)
{
  for (unsigned i = 0; i < len; ++i)
    sprintf (hex + 2 * i, "%02x", md[i]);
  hex[2 * len] = '\0';
}

static int
all_zero (const char *buf, size_t n)
{
  return n == 0 || (buf[0] == 0 && memcmp (buf, buf + 1, n - 1) == 0);
}

/* Copy [OFF, END) from IN to OUT, hashing it; all-zero blocks are left
 * as holes in OUT.
 */
static int
copy_range (int in, int out, off_t off, off_t end, char *buf,
            EVP_MD_CTX *ctx, const char *src, const char *dst)
{
  while (off < end) {
    size_t want = end - off < COPY_BUF ? (size_t) (end - off) : COPY_BUF;
    ssize_t n = pread (in, buf, want, off);

    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      h2k_error ("%s: read: %s", src,
                 n == 0 ? "file shrank while being copied" : strerror (errno));
      return -1;
    }
    if (EVP_DigestUpdate (ctx, buf, n) != 1) {
      h2k_error ("%s: sha256 failed", src);
      return -1;
    }
    if (!all_zero (buf, n)) {
      for (ssize_t w = 0; w < n; ) {
        ssize_t r = pwrite (out, buf + w, n - w, off + w);
        if (r == -1) {
          h2k_error ("%s: write: %m", dst);
          return -1;
        }
        w += r;
      }
    }
    off += n;
  }
  return 0;
}

/* Hash LEN zero bytes (a hole in the source). */
static int
hash_zeros (EVP_MD_CTX *ctx, off_t len, char *zbuf)
{
  while (len > 0) {
    size_t n = len < COPY_BUF ? (size_t) len : COPY_BUF;
    if (EVP_DigestUpdate (ctx, zbuf, n) != 1)
      return -1;
    len -= n;
  }
  return 0;
}

/* Walk the source's data and holes (SEEK_DATA/SEEK_HOLE where the file
 * system has them) and copy it.
 */
static int
copy_sparse (int in, int out, off_t size, EVP_MD_CTX *ctx,
             const char *src, const char *dst)
{
  CLEANUP_FREE char *buf = malloc (COPY_BUF);
  CLEANUP_FREE char *zbuf = calloc (1, COPY_BUF);
  off_t off = 0;

  if (buf == NULL || zbuf == NULL) {
    h2k_error ("%s: %m", src);
    return -1;
  }
  while (off < size) {
    off_t data = lseek (in, off, SEEK_DATA), hole;

    if (data == -1)
      data = errno == ENXIO ? size : off;
    if (data > size)
      data = size;
    if (data > off && hash_zeros (ctx, data - off, zbuf) == -1) {
      h2k_error ("%s: sha256 failed", src);
      return -1;
    }
    off = data;
    if (off >= size)
      break;
    hole = lseek (in, off, SEEK_HOLE);
    if (hole == -1 || hole > size)
      hole = size;
    if (copy_range (in, out, off, hole, buf, ctx, src, dst) == -1)
      return -1;
    off = hole;
  }
  if (ftruncate (out, size) == -1) {
    h2k_error ("%s: truncate: %m", dst);
    return -1;
  }
  return 0;
}

static int
copy_and_hash (int in, int out, off_t size, const char *src, const char *dst,
               char hex[65])
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  int r = -1;

  if (ctx == NULL || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1) {
    h2k_error ("%s: sha256 failed", src);
    goto out;
  }
  if (copy_sparse (in, out, size, ctx, src, dst) == -1)
    goto out;
  if (EVP_DigestFinal_ex (ctx, md, &mdlen) != 1) {
    h2k_error ("%s: sha256 failed", src);
    goto out;
  }
  to_hex (md, mdlen, hex);
  r = 0;
 out:
  EVP_MD_CTX_free (ctx);
  return r;
}

/* Copy SRC to DST (which must not exist), verify the copy's sha256
 * against the source's, publish it and note it for fetch_undo.  HEX gets
 * the sha256.
 */
static int
copy_verified (const char *src, const char *dst, char hex[65])
{
  CLEANUP_CLOSE int in = open (src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
  char copy_hex[H2K_DIGEST_HEX_MAX];
  struct stat st;

  if (in == -1 || fstat (in, &st) == -1) {
    h2k_error ("%s: %m", src);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", src);
    return -1;
  }
  if (lstat (dst, &st) == 0 || errno != ENOENT) {
    h2k_error ("%s: already exists (not overwritten: remove it or use "
               "another --workdir)", dst);
    return -1;
  }
  if (fstat (in, &st) == -1 || h2k_publish_begin (dst, &p) == -1)
    return -1;
  h2k_debug ("copying %s to %s", src, dst);
  if (copy_and_hash (in, p.fd, st.st_size, src, dst, hex) == -1 ||
      h2k_digest_file (p.tmp, "sha256", copy_hex) == -1)
    return -1;
  if (strcmp (hex, copy_hex) != 0) {
    h2k_error ("%s: the copy's sha256 %s differs from the source's %s",
               dst, copy_hex, hex);
    return -1;
  }
  if (h2k_publish_commit (&p) == -1)
    return -1;
  return fetch_note_created (dst);
}

/* Copy the disk PATH (and, for a VMDK descriptor, its EXTENTS, kept
 * under the names the descriptor gives them) into the workdir.  *COPY
 * gets the new path of PATH, HEX its sha256.
 */
static int
copy_disk (const char *path, char **extents, const struct fetch_opts *o,
           char **copy, char hex[65])
{
  CLEANUP_FREE char *dir = h2k_dirname (path);
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;

  *copy = NULL;
  if (dir == NULL)
    return -1;
  for (char **e = extents; e && *e; ++e) {
    CLEANUP_FREE char *src = NULL, *dst = NULL;
    char ehex[65];

    if (strchr (*e, '/') || strcmp (*e, "..") == 0 || strcmp (*e, ".") == 0) {
      h2k_error ("%s: extent \"%s\": --copy needs extent files that sit "
                 "beside the descriptor", path, *e);
      return -1;
    }
    if ((src = h2k_path_join (dir, *e)) == NULL ||
        (dst = h2k_path_join (o->workdir, *e)) == NULL ||
        copy_verified (src, dst, ehex) == -1)
      return -1;
  }
  *copy = h2k_path_join (o->workdir, base);
  if (*copy == NULL)
    return -1;
  return copy_verified (path, *copy, hex);
}

/* ---------------------------------------------------------------- */
/* Subformats qemu-img does not report. */

/* -1 reported if PATH's VHD metadata is damaged. */
static int
vhd_subformat (const char *path, const char **sub)
{
  struct h2k_vhd_info info CLEANUP_VHD_INFO = { 0 };

  *sub = NULL;
  if (h2k_vhd_read (path, &info) == -1)
    return -1;
  switch (info.footer.disk_type) {
  case H2K_VHD_FIXED: *sub = "fixed"; break;
  case H2K_VHD_DYNAMIC: *sub = "dynamic"; break;
  case H2K_VHD_DIFFERENCING: *sub = "differencing"; break;
  }
  return 0;
}

static const char *
vdi_subformat (const char *path)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  unsigned char h[80];

  if (fd == -1 || pread (fd, h, sizeof h, 0) != (ssize_t) sizeof h)
    return NULL;
  switch (h2k_le32 (h + 76)) {
  case 1: return "dynamic";
  case 2: return "fixed";
  case 3: return "undo";
  case 4: return "differencing";
  default: return NULL;
  }
}

/* The subformat: VMDK create type, VHD/VDI image type, qcow2 compat
 * level.  *SUB NULL if unknown; -1 reported.
 */
static int
subformat (const char *path, const char *fmt, json_object *info,
           const char **sub)
{
  json_object *fs = h2k_json_get_object (info, "format-specific");
  json_object *data = h2k_json_get_object (fs, "data");

  *sub = NULL;
  if (strcmp (fmt, "vmdk") == 0)
    *sub = h2k_json_get_string (data, "create-type");
  else if (strcmp (fmt, "vhd") == 0)
    return vhd_subformat (path, sub);
  else if (strcmp (fmt, "vdi") == 0)
    *sub = vdi_subformat (path);
  else if (strcmp (fmt, "qcow2") == 0)
    *sub = h2k_json_get_string (data, "compat");
  return 0;
}

/* ---------------------------------------------------------------- */

static int
set_attach (json_object *d, const struct fetch_disk_attach *at)
{
  if (at == NULL)
    return 0;
  if ((at->bus && h2k_json_set_string (d, "bus", at->bus) == -1) ||
      (at->controller &&
       h2k_json_set_string (d, "controller", at->controller) == -1) ||
      (at->address && h2k_json_set_string (d, "address", at->address) == -1))
    return -1;
  return 0;
}

/* source and current, from qemu-img's INFO. */
static int
set_source (json_object *d, const char *path, const char *fmt,
            const char *sub, json_object *info, const char *copy,
            const char *sha)
{
  json_object *src = h2k_json_ensure_object (d, "source");
  json_object *cur = h2k_json_ensure_object (d, "current");
  int64_t vsize = h2k_json_get_int (info, "virtual-size", -1);
  int64_t asize = h2k_json_get_int (info, "actual-size", -1);

  if (src == NULL || cur == NULL ||
      h2k_json_set_string (src, "path", copy ? copy : path) == -1 ||
      h2k_json_set_string (src, "format", fmt) == -1 ||
      (sub && h2k_json_set_string (src, "subformat", sub) == -1) ||
      (vsize >= 0 && h2k_json_set_int (src, "virtual_size", vsize) == -1) ||
      (asize >= 0 && h2k_json_set_int (src, "allocated_size", asize) == -1) ||
      h2k_json_set_bool (src, "read_only", copy == NULL) == -1 ||
      (copy && h2k_json_set_string (src, "original_path", path) == -1) ||
      (sha && h2k_json_set_string (src, "sha256", sha) == -1) ||
      h2k_json_set_string (cur, "path", copy ? copy : path) == -1 ||
      h2k_json_set_string (cur, "format", fmt) == -1)
    return -1;
  return 0;
}

static int
check_source (const char *path)
{
  struct stat st;

  if (path[0] != '/') {
    h2k_error ("%s: internal error: disk path is not absolute", path);
    return -1;
  }
  if (stat (path, &st) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", path);
    return -1;
  }
  return 0;
}

/* Ask qemu-img, and check it agrees on the format. */
static json_object *
probe (const char *path, const char *fmt)
{
  json_object *info = h2k_qemu_img_info (path, fmt, 0);
  const char *qf = info ? h2k_json_get_string (info, "format") : NULL;

  if (info == NULL)
    return NULL;
  if (qf == NULL || strcmp (qf, h2k_qemu_format (fmt)) != 0) {
    h2k_error ("%s: qemu-img reports format \"%s\", expected \"%s\"", path,
               qf ? qf : "(none)", h2k_qemu_format (fmt));
    json_object_put (info);
    return NULL;
  }
  if (h2k_json_get (info, "backing-filename"))
    h2k_debug ("%s: has a backing file \"%s\"", path,
               h2k_json_get_string (info, "backing-filename"));
  return info;
}

int
fetch_add_disk (json_object *m, const char *path, const char *format,
                const struct fetch_disk_attach *at,
                const struct fetch_opts *o)
{
  json_object *disks = h2k_json_ensure_array (m, "disks");
  CLEANUP_JSON json_object *info = NULL;
  CLEANUP_JSON json_object *d = NULL;
  CLEANUP_FREE_STRV char **extents = NULL;
  CLEANUP_FREE char *copy = NULL;
  char id[32], sha[65];
  const char *fmt = format, *sub;
  int copied = 0;

  if (disks == NULL || check_source (path) == -1)
    return -1;
  if (fmt == NULL && fetch_sniff (path, &fmt) == -1)
    return -1;
  if (fmt == NULL) {
    h2k_error ("%s: not a recognised disk image (VMDK, VHD, VHDX, qcow2, VDI)",
               path);
    return -1;
  }
  if (h2k_qemu_format (fmt) == NULL) {
    h2k_error ("%s: disk format \"%s\" is not supported", path, fmt);
    return -1;
  }
  /* Every file the image names (extents, backing and data files) stays
   * beside it, before our parsers or qemu open any of them.
   */
  if (h2k_confine_image (path, fmt, NULL) == -1)
    return -1;
  if (strcmp (fmt, "vmdk") == 0 && vmdk_extents (path, &extents) == -1)
    return -1;
  if ((info = probe (path, fmt)) == NULL ||
      subformat (path, fmt, info, &sub) == -1)
    return -1;

  /* A copy of a child alone would lose its parent: the chain is read in
   * place (h2k-flatten follows it).
   */
  if (o->copy && (h2k_json_get (info, "backing-filename") ||
                  (sub && strcmp (sub, "differencing") == 0))) {
    h2k_error ("%s: --copy: this disk is a snapshot or differencing image "
               "with a parent; fetch it without --copy", path);
    return -1;
  }
  if (o->copy && o->dry_run)
    h2k_info ("dry run: would copy %s into %s", path, o->workdir);
  else if (o->copy) {
    if (copy_disk (path, extents, o, &copy, sha) == -1)
      return -1;
    copied = 1;
  }

  snprintf (id, sizeof id, "disk%zu", json_object_array_length (disks));
  if ((d = json_object_new_object ()) == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (h2k_json_set_string (d, "id", id) == -1 ||
      set_attach (d, at) == -1 ||
      set_source (d, path, fmt, sub, info, copy, copied ? sha : NULL) == -1)
    return -1;
  /* DISKS takes a reference of its own; ours goes at the end. */
  if (h2k_json_array_add (disks, json_object_get (d)) == -1)
    return -1;
  h2k_debug ("%s: %s as %s (%s)", path, id, fmt, copied ? "copied" : "referenced");
  return 0;
}
