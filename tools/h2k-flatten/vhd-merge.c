/* h2k-flatten: merge VHD and VHDX differencing disks ourselves.
 *
 * qemu's vpc driver reads a differencing VHD as if it had no parent, and
 * its vhdx driver cannot open a differencing VHDX at all, so the VHD or
 * VHDX part of a chain (a parent of a VHD is always a VHD, of a VHDX a
 * VHDX) is merged here, into a sparse raw file in the workdir: qemu-img
 * converts the base to raw, then each differencing disk, from the one
 * nearest the base up to the top, writes over it the sectors it holds.
 * For a VHD: for every block its BAT allocates, the sectors whose bit is
 * set in the block's sector bitmap; for a VHDX see vhdx-merge.c.  Unset
 * sectors keep the parent's data.  The sources are only read.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "run.h"
#include "util.h"
#include "vhd.h"
#include "flatten.h"

size_t
vhd_diff_start (const struct chain *c)
{
  for (size_t i = 0; i < c->n; ++i)
    if ((strcmp (c->nodes[i].format, "vhd") == 0 ||
         strcmp (c->nodes[i].format, "vhdx") == 0) && i + 1 < c->n)
      return i;
  return c->n;
}

/* BASE (a VHD or VHDX without a parent) as raw at RAW; a VHD's size as
 * its footer says (not the CHS geometry qemu uses for some creators).
 */
static int
base_to_raw (const struct node *base, const char *raw)
{
  CLEANUP_JSON json_object *o = json_object_new_object ();
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_FREE char *src = NULL;
  json_object *file = json_object_new_object ();
  const char *argv[] = { "qemu-img", "convert", "-O", "raw", NULL, raw, NULL };
  int is_vhdx = strcmp (base->format, "vhdx") == 0;

  if (o == NULL || file == NULL || h2k_json_set (o, "file", file) == -1 ||
      h2k_json_set_string (o, "driver", is_vhdx ? "vhdx" : "vpc") == -1 ||
      (!is_vhdx &&
       h2k_json_set_string (o, "force_size_calc", "current_size") == -1) ||
      h2k_json_set_bool (o, "read-only", 1) == -1 ||
      h2k_json_set_string (file, "driver", "file") == -1 ||
      h2k_json_set_string (file, "filename", base->path) == -1 ||
      asprintf (&src, "json:%s",
                json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE)) == -1) {
    if (o == NULL)
      json_object_put (file);
    src = NULL;
    h2k_error ("%s: building the qemu-img source: %m", base->path);
    return -1;
  }
  argv[4] = src;
  return h2k_run_ok (argv, 0, &res);
}

int
copy_run (const struct node *n, int fd, uint64_t data, uint64_t vstart,
          uint64_t len, int raw_fd, const char *raw, unsigned char *buf)
{
  while (len > 0) {
    size_t k = len < COPY_CHUNK ? len : COPY_CHUNK;
    ssize_t r = pread (fd, buf, k, data);

    if (r != (ssize_t) k) {
      h2k_error ("%s: block data at offset %" PRIu64 ": %s", n->path, data,
                 r == -1 ? strerror (errno) : "short read");
      return -1;
    }
    if (pwrite (raw_fd, buf, k, vstart) != (ssize_t) k) {
      h2k_error ("%s: writing at offset %" PRIu64 ": %m", raw, vstart);
      return -1;
    }
    data += k;
    vstart += k;
    len -= k;
  }
  return 0;
}

/* Block B of N, at OFF in the file: its bitmap, then each run of set
 * bits copied, clipped to LIMIT bytes of the disk.  BUF holds COPY_CHUNK
 * bytes plus the largest bitmap.
 */
static int
apply_block (const struct node *n, int fd, const struct h2k_vhd_info *in,
             uint32_t b, uint64_t off, uint64_t limit, int raw_fd,
             const char *raw, unsigned char *buf, uint64_t *copied)
{
  uint32_t bs = in->dyn.block_size, spb = bs / 512;
  uint32_t bm = h2k_vhd_bitmap_size (bs);
  uint64_t vblock = (uint64_t) b * bs;
  /* The bitmap goes after the COPY_CHUNK bytes used to copy data. */
  const unsigned char *bits = buf + COPY_CHUNK;
  ssize_t r = pread (fd, buf + COPY_CHUNK, bm, off);

  if (r != (ssize_t) bm) {
    h2k_error ("%s: block %" PRIu32 ": sector bitmap: %s", n->path, b,
               r == -1 ? strerror (errno) : "short read");
    return -1;
  }
  for (uint32_t s = 0; s < spb;) {
    uint32_t e = s;
    uint64_t vstart, len;

    while (e < spb && (bits[e / 8] & (0x80 >> (e % 8))))
      e++;
    if (e == s) {
      s++;
      continue;
    }
    vstart = vblock + (uint64_t) s * 512;
    len = (uint64_t) (e - s) * 512;
    if (vstart < limit) {
      if (len > limit - vstart)
        len = limit - vstart;
      if (copy_run (n, fd, off + bm + (uint64_t) s * 512, vstart, len,
                    raw_fd, raw, buf) == -1)
        return -1;
      *copied += len;
    }
    s = e;
  }
  return 0;
}

/* Write the sectors differencing disk N holds onto the raw file (of
 * RAW_SIZE bytes), within N's own virtual size.
 */
static int
apply_diff (const struct node *n, int raw_fd, const char *raw, uint64_t raw_size)
{
  CLEANUP_VHD_INFO struct h2k_vhd_info in = { 0 };
  CLEANUP_CLOSE int fd = -1;
  CLEANUP_FREE uint32_t *bat = NULL;
  CLEANUP_FREE unsigned char *buf = NULL;
  uint64_t limit, copied = 0;
  struct stat st;

  if (h2k_vhd_read (n->path, &in) == -1)
    return -1;
  fd = open (n->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  bat = h2k_vhd_read_bat (fd, n->path, st.st_size, &in);
  buf = malloc (COPY_CHUNK + h2k_vhd_bitmap_size (H2K_VHD_MAX_BLOCK));
  if (bat == NULL || buf == NULL) {
    if (buf == NULL)
      h2k_error ("%s: %m", n->path);
    return -1;
  }
  limit = in.footer.current_size < raw_size ? in.footer.current_size : raw_size;
  for (uint32_t b = 0; b < in.dyn.max_table_entries; ++b) {
    if (bat[b] == H2K_VHD_BAT_UNUSED || (uint64_t) b * in.dyn.block_size >= limit)
      continue;
    if (apply_block (n, fd, &in, b, (uint64_t) bat[b] * 512, limit, raw_fd,
                     raw, buf, &copied) == -1)
      return -1;
  }
  h2k_debug ("%s: %" PRIu64 " bytes written over its parent", n->path, copied);
  return 0;
}

/* A new temporary name beside DEST: "DIR/.NAME.vhd-XXXXXX" (the file
 * exists, empty).  Caller frees (and unlinks); NULL reported.
 */
static char *
temp_beside (const char *dest)
{
  const char *base = strrchr (dest, '/');
  CLEANUP_FREE char *dir = h2k_dirname (dest);
  char *t = NULL;
  int fd;

  if (dir == NULL)
    return NULL;
  if (asprintf (&t, "%s/.%s.vhd-XXXXXX", dir, base ? base + 1 : dest) == -1) {
    h2k_error ("%s: %m", dest);
    return NULL;
  }
  fd = mkstemp (t);
  if (fd == -1) {
    h2k_error ("%s: %m", t);
    free (t);
    return NULL;
  }
  close (fd);
  return t;
}

static int
merge_into (const struct chain *c, size_t top, const char *raw)
{
  const struct node *base = &c->nodes[c->n - 1];
  uint64_t size = c->nodes[top].virtual_size;
  CLEANUP_CLOSE int fd = -1;

  h2k_info ("merging %zu %s differencing disks over %s into %s",
            c->n - 1 - top, strcmp (base->format, "vhdx") == 0 ? "VHDX" : "VHD",
            base->path, raw);
  if (base_to_raw (base, raw) == -1)
    return -1;
  fd = open (raw, O_RDWR | O_CLOEXEC | O_NOCTTY);
  /* Bytes beyond a smaller base read as zeros. */
  if (fd == -1 || ftruncate (fd, size) == -1) {
    h2k_error ("%s: %m", raw);
    return -1;
  }
  for (size_t i = c->n - 1; i-- > top;)
    if ((strcmp (c->nodes[i].format, "vhdx") == 0
         ? vhdx_apply_diff (&c->nodes[i], fd, raw, size)
         : apply_diff (&c->nodes[i], fd, raw, size)) == -1)
      return -1;
  if (close (fd) == -1) {
    fd = -1;
    h2k_error ("%s: %m", raw);
    return -1;
  }
  fd = -1;
  return 0;
}

char *
vhd_merge (const struct chain *c, size_t top, const char *dest)
{
  CLEANUP_UNLINK_FREE char *raw = temp_beside (dest);
  char *r;

  if (raw == NULL || merge_into (c, top, raw) == -1)
    return NULL;
  r = raw;
  raw = NULL;
  return r;
}
