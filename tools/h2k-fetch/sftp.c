/* h2k-fetch: one file over SFTP, into a resumable partial download.
 *
 * SSH_REQUESTS read requests of SSH_READ bytes are kept in flight
 * (OpenSSH's sftp keeps 64 of 32 KiB); each reply is written at its
 * offset through partial.c (which leaves zero blocks as holes), and the
 * 32 MiB chunks are marked done as they complete, so that memory stays
 * bounded and a killed run resumes from its last complete chunk.  The
 * file must be the one stat'ed at the start (size and mtime) until the
 * end, else the run fails and the next one starts it over.
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "digest.h"
#include "error.h"
#include "publish.h"
#include "util.h"
#include "vmdk.h"
#include "remote.h"
#include "ssh.h"

/* A plan reads at most this much of a sparse extent: its header and
 * embedded descriptor.
 */
#define PLAN_HEAD_MAX (8u << 20)

#define SSH_READ      (64u << 10)       /* bytes per read request */
#define SSH_REQUESTS  48                /* read requests in flight */

struct xfer {
  struct ssh_conn *c;
  struct partial *p;
  sftp_file f;
  const char *label;
  uint64_t size;
  uint64_t received;            /* bytes, including resumed chunks */
  unsigned char buf[SSH_READ];
};

struct request {
  int id;
  uint64_t off;
  uint32_t len;
  size_t chunk;
  int last;                     /* the last request of its chunk */
};

static int
changed_size (struct xfer *x, uint64_t off)
{
  h2k_error ("%s: the file changed size during the transfer (end of file "
             "at byte %" PRIu64 ", %" PRIu64 " expected); run again to "
             "start it over", x->label, off, x->size);
  return -1;
}

/* A short reply: read the rest of [OFF, OFF + LEN) synchronously.  The
 * file offset is left for the caller to set again.
 */
static int
fill_short (struct xfer *x, uint64_t off, uint32_t len)
{
  while (len > 0) {
    ssize_t n;

    if (sftp_seek64 (x->f, off) < 0 ||
        (n = sftp_read (x->f, x->buf, len)) < 0) {
      h2k_error ("%s: read at byte %" PRIu64 ": %s", x->label, off,
                 ssh_conn_strerror (x->c));
      return -1;
    }
    if (n == 0)
      return changed_size (x, off);
    if (partial_write (x->p, off, x->buf, n) == -1)
      return -1;
    off += n;
    len -= n;
    x->received += n;
  }
  return 0;
}

static int
receive (struct xfer *x, const struct request *rq)
{
  int n = sftp_async_read (x->f, x->buf, rq->len, rq->id);

  if (n < 0) {
    h2k_error ("%s: read at byte %" PRIu64 ": %s", x->label, rq->off,
               ssh_conn_strerror (x->c));
    return -1;
  }
  if (n == 0)
    return changed_size (x, rq->off);
  if (partial_write (x->p, rq->off, x->buf, n) == -1)
    return -1;
  x->received += n;
  if ((uint32_t) n < rq->len &&
      fill_short (x, rq->off + n, rq->len - n) == -1)
    return -1;
  partial_progress (x->p, x->received);
  if (rq->last && partial_chunk_done (x->p, rq->chunk) == -1)
    return -1;
  return 0;
}

/* The next request to send, after (*CHUNK, *OFF); 0 when none is left. */
static int
next_request (struct xfer *x, size_t *chunk, uint64_t *off,
              struct request *rq)
{
  size_t n = partial_nchunks (x->p);
  uint64_t start, len;

  for (; *chunk < n; ++*chunk, *off = UINT64_MAX) {
    if (partial_chunk_is_done (x->p, *chunk))
      continue;
    partial_chunk_range (x->p, *chunk, &start, &len);
    if (*off == UINT64_MAX)
      *off = start;
    if (*off < start + len) {
      rq->off = *off;
      rq->len = start + len - *off < SSH_READ ? start + len - *off : SSH_READ;
      rq->chunk = *chunk;
      rq->last = rq->off + rq->len == start + len;
      *off += rq->len;
      return 1;
    }
  }
  return 0;
}

static int
send_request (struct xfer *x, struct request *rq)
{
  if (sftp_seek64 (x->f, rq->off) < 0 ||
      (rq->id = sftp_async_read_begin (x->f, rq->len)) < 0) {
    h2k_error ("%s: read request at byte %" PRIu64 ": %s", x->label,
               rq->off, ssh_conn_strerror (x->c));
    return -1;
  }
  return 0;
}

/* Keep SSH_REQUESTS requests in flight; replies come back in order. */
static int
pipeline (struct xfer *x)
{
  struct request ring[SSH_REQUESTS];
  size_t head = 0, count = 0, chunk = 0;
  uint64_t off = UINT64_MAX;

  for (;;) {
    while (count < SSH_REQUESTS) {
      struct request *rq = &ring[(head + count) % SSH_REQUESTS];

      if (!next_request (x, &chunk, &off, rq))
        break;
      if (send_request (x, rq) == -1)
        return -1;
      count++;
    }
    if (count == 0)
      return 0;
    if (receive (x, &ring[head]) == -1)
      return -1;
    head = (head + 1) % SSH_REQUESTS;
    count--;
  }
}

/* The file must still be the one stat'ed at the start. */
static int
check_unchanged (struct xfer *x, uint64_t mtime)
{
  sftp_attributes a = sftp_fstat (x->f);
  int r = 0;

  if (a == NULL) {
    h2k_error ("%s: %s", x->label, ssh_conn_strerror (x->c));
    return -1;
  }
  if (a->size != x->size || ssh_attr_mtime (a) != mtime) {
    h2k_error ("%s: the file changed during the transfer (size %" PRIu64
               " -> %" PRIu64 ", mtime %" PRIu64 " -> %" PRIu64 "); run "
               "again to start it over", x->label, x->size, a->size, mtime,
               ssh_attr_mtime (a));
    r = -1;
  }
  sftp_attributes_free (a);
  return r;
}

static int
make_parent (const char *dest)
{
  CLEANUP_FREE char *dir = h2k_dirname (dest);

  return dir == NULL ? -1 : h2k_mkdir_p (dir);
}

static int
record (const char *label, const char *dest, uint64_t size,
        uint64_t resumed, const char *validator, const char *hex)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (dest);
  struct remote_record r = {
    .url = (char *) label, .path = abs, .size = size,
    .resumed_from = resumed, .validator = (char *) validator,
    .sha256 = hex && hex[0] ? (char *) hex : NULL,
  };

  return abs == NULL ? -1 : remote_record_file (&r);
}

/* Transfer the open file X->f into X->p and publish it. */
static int
transfer (struct xfer *x, uint64_t mtime, const char *sha256, char *hex)
{
  x->received = partial_resumed (x->p);
  if (pipeline (x) == -1 || check_unchanged (x, mtime) == -1)
    return -1;
  return partial_commit (x->p, sha256, hex);
}

/* DEST, complete from an earlier run, against the expected SHA256 (or
 * none); *HEX gets its digest when known.
 */
static int
check_complete (const struct partial *p, const char *label, const char *dest,
                const char *sha256, char hex[65])
{
  const char *known = partial_sha256 (p);

  if (known)
    snprintf (hex, 65, "%s", known);
  if (sha256 == NULL || (known && strcasecmp (known, sha256) == 0))
    return 0;
  if (!known && h2k_sha256_file (dest, hex) == -1)
    return -1;
  if (strcasecmp (hex, sha256) != 0) {
    h2k_error ("%s: sha256 mismatch: expected %s, %s has %s", label, sha256,
               dest, hex);
    return -1;
  }
  return 0;
}

/* Up to LEN bytes from the start of F into BUF; *GOT is how many (less
 * at the end of the file).  -1 reported.
 */
static int
read_head (struct ssh_conn *c, sftp_file f, const char *label, char *buf,
           size_t len, size_t *got)
{
  ssize_t n = 1;

  *got = 0;
  if (sftp_seek64 (f, 0) < 0)
    n = -1;
  while (n > 0 && *got < len)
    if ((n = sftp_read (f, buf + *got, len - *got)) > 0)
      *got += n;
  if (n < 0) {
    h2k_error ("%s: read at byte %zu: %s", label, *got,
               ssh_conn_strerror (c));
    return -1;
  }
  return 0;
}

/* A plan reading a VMDK too large to be a text descriptor: when it is a
 * sparse extent with an embedded descriptor, its header and descriptor
 * (nothing else) go to DEST, in the plan's temporary directory, for the
 * walk to find its extents and parent.  Else nothing is written (the
 * walk then takes the file alone).  -1 reported.
 */
static int
plan_head (struct ssh_conn *c, const char *path, const char *label,
           const char *dest)
{
  sftp_file f = sftp_open (c->sftp, path, O_RDONLY, 0);
  struct h2k_vmdk_sparse_header h;
  CLEANUP_FREE char *buf = malloc (PLAN_HEAD_MAX);
  size_t got = 0, want = 0;
  int r = -1;

  if (f == NULL)
    h2k_error ("%s: cannot open: %s", label, ssh_conn_strerror (c));
  else if (buf == NULL)
    h2k_error ("%s: %m", label);
  else if (read_head (c, f, label, buf, 512, &got) == 0) {
    r = 0;
    if (got == 512 && memcmp (buf, H2K_VMDK_SPARSE_MAGIC, 4) == 0) {
      r = h2k_vmdk_parse_sparse_header (buf, got, label, &h);
      want = r == 0 && h.desc_offset && h.desc_size &&
        h.desc_offset + h.desc_size <= PLAN_HEAD_MAX / 512
        ? (h.desc_offset + h.desc_size) * 512 : 0;
    }
    if (want && (read_head (c, f, label, buf, want, &got) == -1 ||
                 make_parent (dest) == -1 ||
                 h2k_publish_buffer (dest, buf, got) == -1))
      r = -1;
  }
  if (f)
    sftp_close (f);
  return r;
}

static int
download_open (struct ssh_conn *c, const char *path, const char *label,
               const char *dest, const char *sha256, int read)
{
  struct xfer *x = NULL;
  CLEANUP_PARTIAL struct partial *p = NULL;
  uint64_t size = 0, mtime = 0, resumed;
  char validator[32], hex[65] = "";
  int complete = 0, r = -1;

  if (ssh_conn_stat (c, path, label, &size, &mtime) != 1) {
    if (sftp_get_error (c->sftp) == SSH_FX_NO_SUCH_FILE)
      h2k_error ("%s: no such file on the host", label);
    return -1;
  }
  snprintf (validator, sizeof validator, "mtime:%" PRIu64, mtime);
  if (c->plan && !(read && remote_plan_reads (dest, size)))
    return read && h2k_ends_with_ci (dest, ".vmdk") &&
      plan_head (c, path, label, dest) == -1 ? -1
      : record (label, dest, size, 0, validator, NULL);
  if (make_parent (dest) == -1 ||
      (p = partial_open (dest, label, size, validator, &complete)) == NULL)
    return -1;
  resumed = partial_resumed (p);
  if (complete)
    return check_complete (p, label, dest, sha256, hex) == -1 ? -1
      : record (label, dest, size, resumed, validator, hex);
  x = calloc (1, sizeof *x);
  if (x == NULL) {
    h2k_error ("%s: %m", label);
    return -1;
  }
  *x = (struct xfer) { .c = c, .p = p, .label = label, .size = size };
  x->f = sftp_open (c->sftp, path, O_RDONLY, 0);
  if (x->f == NULL)
    h2k_error ("%s: cannot open: %s", label, ssh_conn_strerror (c));
  else if (transfer (x, mtime, sha256, hex) == 0)
    r = record (label, dest, size, resumed, validator, hex);
  if (x->f)
    sftp_close (x->f);
  free (x);
  return r;
}

int
ssh_download (struct ssh_conn *c, const char *path, const char *dest,
              const char *sha256, int read)
{
  CLEANUP_FREE char *label = ssh_conn_label (c, path);

  if (label == NULL)
    return -1;
  h2k_debug ("%s -> %s", label, dest);
  return download_open (c, path, label, dest, c->plan ? NULL : sha256,
                        read);
}
