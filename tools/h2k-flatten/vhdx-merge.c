/* h2k-flatten: write a differencing VHDX over its merged parent.
 *
 * qemu cannot open a differencing VHDX, so vhd-merge.c merges the chain
 * into a raw file and calls this for each differencing VHDX, nearest the
 * base first.  For every payload block its BAT (checked by
 * h2k_vhdx_read_bat) describes: FULLY_PRESENT, the whole block is copied;
 * PARTIALLY_PRESENT, the sectors whose bit is set in the chunk's sector
 * bitmap (least significant bit first); ZERO, zeros are written;
 * NOT_PRESENT, UNDEFINED and UNMAPPED leave the parent's data.  The
 * source is only read.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "vhd.h"
#include "flatten.h"

/* The bitmap bytes of one block: 256 MiB / 512 sectors, a bit each. */
#define MAX_BLOCK_BITMAP (H2K_VHDX_MAX_BLOCK / 512 / 8)

struct vhdx_diff {
  const struct node *n;
  int fd;
  const struct h2k_vhdx_info *in;
  const struct h2k_vhdx_geometry *g;
  const uint64_t *bat;
  uint64_t limit;               /* bytes of the disk to write */
  int raw_fd;
  const char *raw;
  unsigned char *buf;           /* COPY_CHUNK + MAX_BLOCK_BITMAP bytes */
  uint64_t copied;
};

/* LEN bytes of data at DATA to VSTART, clipped to the limit. */
static int
put_run (struct vhdx_diff *d, uint64_t data, uint64_t vstart, uint64_t len)
{
  if (vstart >= d->limit)
    return 0;
  if (len > d->limit - vstart)
    len = d->limit - vstart;
  d->copied += len;
  return copy_run (d->n, d->fd, data, vstart, len, d->raw_fd, d->raw, d->buf);
}

static int
put_zeros (struct vhdx_diff *d, uint64_t vstart, uint64_t len)
{
  if (vstart >= d->limit)
    return 0;
  if (len > d->limit - vstart)
    len = d->limit - vstart;
  memset (d->buf, 0, COPY_CHUNK);
  while (len > 0) {
    size_t k = len < COPY_CHUNK ? len : COPY_CHUNK;

    if (pwrite (d->raw_fd, d->buf, k, vstart) != (ssize_t) k) {
      h2k_error ("%s: writing at offset %" PRIu64 ": %m", d->raw, vstart);
      return -1;
    }
    vstart += k;
    len -= k;
  }
  return 0;
}

/* Block B, partially present at DATA: the runs of set bits in its part
 * of the chunk's sector bitmap.
 */
static int
put_partial (struct vhdx_diff *d, uint64_t b, uint64_t data, uint64_t vblock)
{
  uint32_t cr = d->g->chunk_ratio, lss = d->in->logical_sector_size;
  uint32_t spb = d->in->block_size / lss;
  uint64_t sb = H2K_VHDX_BAT_OFFSET (d->bat[h2k_vhdx_bitmap_index (b / cr, cr)]);
  uint64_t at = sb + (b % cr) * (uint64_t) spb / 8;
  const unsigned char *bits = d->buf + COPY_CHUNK;
  ssize_t r = pread (d->fd, d->buf + COPY_CHUNK, spb / 8, at);

  if (r != (ssize_t) (spb / 8)) {
    h2k_error ("%s: BAT: block %" PRIu64 ": sector bitmap at offset %" PRIu64
               ": %s", d->n->path, b, at,
               r == -1 ? strerror (errno) : "short read");
    return -1;
  }
  for (uint32_t s = 0; s < spb;) {
    uint32_t e = s;

    while (e < spb && (bits[e / 8] & (1u << (e % 8))))
      e++;
    if (e == s) {
      s++;
      continue;
    }
    if (put_run (d, data + (uint64_t) s * lss, vblock + (uint64_t) s * lss,
                 (uint64_t) (e - s) * lss) == -1)
      return -1;
    s = e;
  }
  return 0;
}

static int
put_block (struct vhdx_diff *d, uint64_t b)
{
  uint64_t e = d->bat[h2k_vhdx_payload_index (b, d->g->chunk_ratio)];
  uint64_t bs = d->in->block_size, vblock = b * bs;

  switch (H2K_VHDX_BAT_STATE (e)) {
  case H2K_VHDX_PAYLOAD_FULLY_PRESENT:
    return put_run (d, H2K_VHDX_BAT_OFFSET (e), vblock, bs);
  case H2K_VHDX_PAYLOAD_PARTIALLY_PRESENT:
    return put_partial (d, b, H2K_VHDX_BAT_OFFSET (e), vblock);
  case H2K_VHDX_PAYLOAD_ZERO:
    return put_zeros (d, vblock, bs);
  default:                      /* the parent shows through */
    return 0;
  }
}

int
vhdx_apply_diff (const struct node *n, int raw_fd, const char *raw,
                 uint64_t raw_size)
{
  CLEANUP_VHDX_INFO struct h2k_vhdx_info in = { 0 };
  CLEANUP_CLOSE int fd = -1;
  CLEANUP_FREE uint64_t *bat = NULL;
  CLEANUP_FREE unsigned char *buf = NULL;
  struct h2k_vhdx_geometry g;
  struct vhdx_diff d;
  struct stat st;

  if (h2k_vhdx_read (n->path, &in) == -1)
    return -1;
  fd = open (n->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  bat = h2k_vhdx_read_bat (fd, n->path, st.st_size, &in, &g);
  buf = malloc (COPY_CHUNK + MAX_BLOCK_BITMAP);
  if (bat == NULL || buf == NULL) {
    if (buf == NULL)
      h2k_error ("%s: %m", n->path);
    return -1;
  }
  d = (struct vhdx_diff) {
    .n = n, .fd = fd, .in = &in, .g = &g, .bat = bat,
    .limit = in.virtual_size < raw_size ? in.virtual_size : raw_size,
    .raw_fd = raw_fd, .raw = raw, .buf = buf,
  };
  for (uint64_t b = 0; b < g.nr_blocks && b * in.block_size < d.limit; ++b)
    if (put_block (&d, b) == -1)
      return -1;
  h2k_debug ("%s: %" PRIu64 " bytes written over its parent", n->path, d.copied);
  return 0;
}
