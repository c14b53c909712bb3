/* h2k-fetch: one file downloaded resumably (see remote.h).
 *
 * DEST.part holds the bytes, sized to the remote size at once so that
 * chunks can land in any order and zero blocks stay holes.
 * DEST.part.state (JSON, published atomically) says which remote file
 * it is ({url, size, validator, chunk}) and which chunks are complete
 * ("done": a string of '0' and '1', one per chunk).  A chunk is marked
 * only after fdatasync, so after kill -9 (or a crash) every chunk the
 * state calls done is on disk; the others are fetched again.
 * DEST.h2k-remote records the identity of a finished DEST.
 *
 * The syncing is done by a thread (the "syncer"), so that the transfer
 * goes on while the disk catches up: partial_chunk_done only notes the
 * chunk as written; the syncer fdatasyncs the part file, then publishes
 * the state with every chunk that was written before that sync began.
 * The syncer touches only the fd, the state file and the two strings
 * under the mutex; it reports nothing itself (errno is kept, and the
 * next partial_* call from the transfer reports it).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "h2k.h"
#include "remote.h"

#define ZERO_BLOCK 4096
#define STATE_MAX (1u << 20)
#define DIGEST_BUF (1u << 20)

struct partial {
  char *dest, *part, *state, *ident, *label;
  char *validator;
  int fd;
  uint64_t size;
  size_t nchunks;
  char *done;                   /* '0'/'1' per chunk, NUL-terminated:
                                   synced and recorded in the state */
  char *written;                /* the same: complete in the part file
                                   (written by the transfer's thread) */
  char *state_json;             /* the state's identity part, "{...," */
  /* the syncer */
  pthread_t syncer;
  int syncer_running;
  pthread_mutex_t mu;
  pthread_cond_t cv;            /* work to do, or stop */
  int stop;
  int sync_errno;               /* a failure, reported by the transfer */
  const char *sync_what;        /* the file it was about */
  int dirfd;
  uint64_t resumed;             /* bytes of done chunks at open */
  char sha256[65];              /* when known (verified now or before) */
  enum { NOTE_NONE, NOTE_CHANGED, NOTE_NO_VALIDATOR, NOTE_RESUMED } note;
                                /* said on success only (partial_commit):
                                   a failure is one line */
  /* progress */
  int tty;
  double t0, last_draw;
  int last_decile;
  int drawn;
};

static int
nomem (const char *what)
{
  h2k_error ("%s: %m", what);
  return -1;
}

/* Report errno about FILE while DOING it ("writing"; or NULL), as one
 * line naming the download's URL first: "URL: writing FILE: error".
 */
static int
fail (const struct partial *p, const char *doing, const char *file)
{
  h2k_error ("%s: %s%s%s: %m", p->label, doing ? doing : "",
             doing ? " " : "", file);
  return -1;
}

static void syncer_stop (struct partial *p);
static int syncer_start (struct partial *p);

void
partial_close (struct partial *p)
{
  if (p == NULL)
    return;
  syncer_stop (p);
  if (p->dirfd >= 0)
    close (p->dirfd);
  free (p->written);
  free (p->state_json);
  if (p->drawn)
    fputs ("\r\033[K", stderr);
  if (p->fd >= 0)
    close (p->fd);
  free (p->dest);
  free (p->part);
  free (p->state);
  free (p->ident);
  free (p->label);
  free (p->validator);
  free (p->done);
  free (p);
}

void
partial_closep (struct partial **p)
{
  partial_close (*p);
}

uint64_t partial_size (const struct partial *p) { return p->size; }
size_t partial_nchunks (const struct partial *p) { return p->nchunks; }
uint64_t partial_resumed (const struct partial *p) { return p->resumed; }
const char *partial_sha256 (const struct partial *p)
{
  return p->sha256[0] ? p->sha256 : NULL;
}

/* Written, synced or not: the transfer need not fetch it again. */
int
partial_chunk_is_done (const struct partial *p, size_t chunk)
{
  return chunk < p->nchunks && p->written[chunk] == '1';
}

void
partial_chunk_range (const struct partial *p, size_t chunk, uint64_t *off,
                     uint64_t *len)
{
  uint64_t o = (uint64_t) chunk * PARTIAL_CHUNK;

  *off = o;
  *len = o >= p->size ? 0 : (p->size - o < PARTIAL_CHUNK ? p->size - o
                             : PARTIAL_CHUNK);
}

/* Read the JSON file PATH, or NULL (missing or unreadable: not an
 * error, the caller starts afresh).
 */
static json_object *
read_json (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  FILE *fp = fopen (path, "r");
  size_t len;

  if (fp == NULL)
    return NULL;
  buf = h2k_read_stream (fp, path, STATE_MAX, &len);
  fclose (fp);
  if (buf == NULL)
    return NULL;
  h2k_clear_error ();           /* a broken state file only means: restart */
  return json_tokener_parse (buf);
}

/* Does the identity object J describe this remote file? */
static int
same_identity (const struct partial *p, json_object *j)
{
  const char *v = h2k_json_get_string (j, "validator");

  return j && p->validator[0] && v && strcmp (v, p->validator) == 0 &&
    (uint64_t) h2k_json_get_int (j, "size", -1) == p->size;
}

static int quiet_publish (const char *path, const char *text, size_t len,
                          int dirfd);

/* Publish J as PATH; -1 reported, naming the URL. */
static int
save_json (const struct partial *p, const char *path, json_object *j)
{
  const char *s = json_object_to_json_string_ext (j, JSON_C_TO_STRING_PLAIN);
  CLEANUP_FREE char *dir = h2k_dirname (path);
  CLEANUP_CLOSE int dirfd = -1;

  if (dir == NULL)
    return -1;
  if ((dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
    return fail (p, NULL, dir);
  if (quiet_publish (path, s, strlen (s), dirfd) == -1)
    return fail (p, "writing", path);
  return 0;
}

static json_object *
identity (const struct partial *p)
{
  json_object *j = json_object_new_object ();

  if (j == NULL ||
      h2k_json_set_string (j, "url", p->label) == -1 ||
      h2k_json_set_int (j, "size", (int64_t) p->size) == -1 ||
      h2k_json_set_string (j, "validator", p->validator) == -1) {
    json_object_put (j);
    return NULL;
  }
  return j;
}

static int
save_state (const struct partial *p)
{
  CLEANUP_JSON json_object *j = identity (p);

  if (j == NULL ||
      h2k_json_set_int (j, "chunk", PARTIAL_CHUNK) == -1 ||
      h2k_json_set_string (j, "done", p->done) == -1)
    return -1;
  return save_json (p, p->state, j);
}

/* The syncer ------------------------------------------------------- */

/* Publish TEXT as PATH (PATH.tmp written, synced, renamed; DIRFD, its
 * directory, synced): no h2k_* reporting, errno kept.
 */
static int
quiet_publish (const char *path, const char *text, size_t len, int dirfd)
{
  CLEANUP_FREE char *tmp = NULL;
  int fd;

  if (asprintf (&tmp, "%s.tmp", path) == -1) {
    tmp = NULL;
    return -1;
  }
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1)
    return -1;
  if (h2k_write_all (fd, text, len) == -1 || fdatasync (fd) == -1) {
    int e = errno;
    close (fd);
    unlink (tmp);
    errno = e;
    return -1;
  }
  if (close (fd) == -1 || rename (tmp, path) == -1)
    return -1;
  return fsync (dirfd);
}

/* Publish the state with DONE, as the syncer: no h2k_* reporting, errno
 * kept.  The identity part was made once (state_json).
 */
static int
syncer_save (struct partial *p, const char *done)
{
  CLEANUP_FREE char *text = NULL;
  int len = asprintf (&text, "%s\"done\":\"%s\"}", p->state_json, done);

  if (len == -1) {
    text = NULL;
    return -1;
  }
  return quiet_publish (p->state, text, len, p->dirfd);
}

static void *
syncer (void *opaque)
{
  struct partial *p = opaque;
  char *snap = malloc (p->nchunks + 1);

  pthread_mutex_lock (&p->mu);
  if (snap == NULL) {
    p->sync_errno = ENOMEM;
    p->sync_what = p->part;
  }
  while (snap && p->sync_errno == 0) {
    int r;
    const char *what;
    while (!p->stop && strcmp (p->written, p->done) == 0)
      pthread_cond_wait (&p->cv, &p->mu);
    if (strcmp (p->written, p->done) == 0)
      break;                            /* stopped, nothing left */
    memcpy (snap, p->written, p->nchunks + 1);
    pthread_mutex_unlock (&p->mu);
    what = p->part;
    r = fdatasync (p->fd);
    if (r == 0) {
      what = p->state;
      r = syncer_save (p, snap);
    }
    pthread_mutex_lock (&p->mu);
    if (r == 0)
      memcpy (p->done, snap, p->nchunks + 1);
    else {
      p->sync_errno = errno ? errno : EIO;
      p->sync_what = what;
    }
  }
  pthread_mutex_unlock (&p->mu);
  free (snap);
  return NULL;
}

static int
syncer_start (struct partial *p)
{
  CLEANUP_JSON json_object *j = identity (p);
  CLEANUP_FREE char *dir = h2k_dirname (p->state);
  const char *s;
  size_t len;

  if (j == NULL || dir == NULL ||
      h2k_json_set_int (j, "chunk", PARTIAL_CHUNK) == -1)
    return -1;
  /* "{...}" without its closing brace, then a comma. */
  s = json_object_to_json_string_ext (j, JSON_C_TO_STRING_PLAIN);
  len = strlen (s);
  if ((p->state_json = malloc (len + 1)) == NULL)
    return fail (p, NULL, p->state);
  memcpy (p->state_json, s, len - 1);
  strcpy (p->state_json + len - 1, ",");
  if ((p->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
    return fail (p, NULL, dir);
  pthread_mutex_init (&p->mu, NULL);
  pthread_cond_init (&p->cv, NULL);
  if ((errno = pthread_create (&p->syncer, NULL, syncer, p)) != 0) {
    fail (p, "cannot start a thread for", p->part);
    pthread_cond_destroy (&p->cv);
    pthread_mutex_destroy (&p->mu);
    return -1;
  }
  p->syncer_running = 1;
  return 0;
}

/* Let the syncer finish what was written, and end it.  Then
 * p->done == p->written unless it failed (p->sync_errno).
 */
static void
syncer_stop (struct partial *p)
{
  if (!p->syncer_running)
    return;
  pthread_mutex_lock (&p->mu);
  p->stop = 1;
  pthread_cond_signal (&p->cv);
  pthread_mutex_unlock (&p->mu);
  pthread_join (p->syncer, NULL);
  pthread_cond_destroy (&p->cv);
  pthread_mutex_destroy (&p->mu);
  p->syncer_running = 0;
}

/* DEST is already this file (a finished earlier run)? */
static int
already_complete (struct partial *p)
{
  CLEANUP_JSON json_object *j = read_json (p->ident);
  const char *sha;
  struct stat st;

  if (!same_identity (p, j) || stat (p->dest, &st) == -1 ||
      !S_ISREG (st.st_mode) || (uint64_t) st.st_size != p->size)
    return 0;
  sha = h2k_json_get_string (j, "sha256");
  if (sha && h2k_is_hex (sha, 64))
    memcpy (p->sha256, sha, 65);
  return 1;
}

/* Take over the chunks of an earlier run if its state is for this very
 * file; else start from nothing.
 */
static void
load_state (struct partial *p)
{
  CLEANUP_JSON json_object *j = read_json (p->state);
  const char *done = h2k_json_get_string (j, "done");
  struct stat st;

  if (j == NULL)
    return;
  if (!same_identity (p, j) ||
      h2k_json_get_int (j, "chunk", 0) != PARTIAL_CHUNK ||
      done == NULL || strlen (done) != p->nchunks ||
      strspn (done, "01") != p->nchunks ||
      stat (p->part, &st) == -1 || (uint64_t) st.st_size != p->size) {
    p->note = p->validator[0] ? NOTE_CHANGED : NOTE_NO_VALIDATOR;
    h2k_debug ("%s: not resuming the part file (note %d)", p->label,
               (int) p->note);
    return;
  }
  memcpy (p->done, done, p->nchunks);
  for (size_t i = 0; i < p->nchunks; ++i)
    if (p->done[i] == '1') {
      uint64_t off, len;
      partial_chunk_range (p, i, &off, &len);
      p->resumed += len;
    }
  if (p->resumed) {
    p->note = NOTE_RESUMED;
    h2k_debug ("%s: resuming: %" PRIu64 " of %" PRIu64 " bytes already here",
               p->label, p->resumed, p->size);
  }
}

/* What partial_open found, noted once the download succeeded (said
 * when the whole fetch did).
 */
static void
say_note (const struct partial *p)
{
  switch (p->note) {
  case NOTE_NONE:
    break;
  case NOTE_CHANGED:
    remote_note ("%s: the remote file was not the one the partial download "
              "was of (size or validator changed); started again from 0",
              p->label);
    break;
  case NOTE_NO_VALIDATOR:
    remote_note ("%s: the server gives no ETag or Last-Modified, so the "
              "partial download could not be trusted; started again from 0",
              p->label);
    break;
  case NOTE_RESUMED:
    remote_note ("%s: resumed: %" PRIu64 " of %" PRIu64 " bytes were already "
              "here", p->label, p->resumed, p->size);
    break;
  }
}

static int
open_part (struct partial *p)
{
  int resume = p->resumed > 0;

  p->fd = open (p->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (p->fd == -1)
    return fail (p, "creating", p->part);
  /* Starting afresh: drop whatever was there, so that skipped zero
   * blocks read as zeros.
   */
  if ((!resume && ftruncate (p->fd, 0) == -1) ||
      ftruncate (p->fd, (off_t) p->size) == -1)
    return fail (p, "sizing", p->part);
  return 0;
}

struct partial *
partial_open (const char *dest, const char *label, uint64_t size,
              const char *validator, int *complete)
{
  struct partial *p = calloc (1, sizeof *p);
  size_t n = size / PARTIAL_CHUNK + (size % PARTIAL_CHUNK != 0);

  *complete = 0;
  if (p == NULL) {
    nomem (label);
    return NULL;
  }
  p->fd = -1;
  p->dirfd = -1;
  p->size = size;
  p->nchunks = n;
  p->last_decile = -1;
  p->tty = isatty (STDERR_FILENO);
  if ((p->dest = strdup (dest)) == NULL ||
      (p->label = strdup (label)) == NULL ||
      (p->validator = strdup (validator ? validator : "")) == NULL ||
      asprintf (&p->part, "%s.part", dest) == -1 ||
      asprintf (&p->state, "%s.part.state", dest) == -1 ||
      asprintf (&p->ident, "%s.h2k-remote", dest) == -1 ||
      (p->done = malloc (n + 1)) == NULL ||
      (p->written = malloc (n + 1)) == NULL) {
    nomem (label);
    partial_close (p);
    return NULL;
  }
  memset (p->done, '0', n);
  p->done[n] = '\0';
  memcpy (p->written, p->done, n + 1);
  p->t0 = p->last_draw = h2k_monotonic ();
  if (already_complete (p)) {
    h2k_debug ("%s: already downloaded to %s", label, dest);
    p->resumed = size;
    *complete = 1;
    return p;
  }
  if (unlink (p->ident) == -1 && errno != ENOENT)
    h2k_debug ("%s: %m", p->ident);
  load_state (p);
  memcpy (p->written, p->done, n + 1);
  /* The state is published before the part file is touched: starting
   * afresh, a kill between truncating the part file and saving the state
   * would otherwise leave the old state (same identity, chunks done)
   * beside a part file of holes, and the next run would take the holes
   * for downloaded data.
   */
  if (save_state (p) == -1 || open_part (p) == -1 || syncer_start (p) == -1) {
    partial_close (p);
    return NULL;
  }
  return p;
}

/* Is BUF[0..LEN) all zero? */
static int
is_zero (const unsigned char *buf, size_t len)
{
  return len == 0 || (buf[0] == 0 && memcmp (buf, buf + 1, len - 1) == 0);
}

static int
write_at (struct partial *p, uint64_t off, const unsigned char *buf,
          size_t len)
{
  while (len > 0) {
    ssize_t r = pwrite (p->fd, buf, len, (off_t) off);
    if (r == -1 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (r == 0)
        errno = EIO;
      return fail (p, "writing", p->part);
    }
    buf += r;
    len -= r;
    off += r;
  }
  return 0;
}

int
partial_write (struct partial *p, uint64_t off, const void *buf, size_t len)
{
  const unsigned char *b = buf;
  size_t run = 0, i = 0;        /* [i - run, i): non-zero bytes to write */

  if (off > p->size || len > p->size - off) {
    h2k_error ("%s: more data than the %" PRIu64 " bytes announced",
               p->label, p->size);
    return -1;
  }
  /* Cut at ZERO_BLOCK boundaries of the file; write runs of non-zero
   * blocks with one pwrite each.
   */
  while (i < len) {
    size_t blk = ZERO_BLOCK - (size_t) ((off + i) % ZERO_BLOCK);
    if (blk > len - i)
      blk = len - i;
    if (is_zero (b + i, blk)) {
      if (run && write_at (p, off + i - run, b + i - run, run) == -1)
        return -1;
      run = 0;
    }
    else
      run += blk;
    i += blk;
  }
  if (run && write_at (p, off + len - run, b + len - run, run) == -1)
    return -1;
  return 0;
}

/* A failure of the syncer, reported once by the transfer's thread.
 * Call with the mutex held.
 */
static int
sync_failed (struct partial *p)
{
  if (p->sync_errno == 0)
    return 0;
  if (p->sync_errno > 0) {
    errno = p->sync_errno;
    fail (p, "writing", p->sync_what);
    p->sync_errno = -1;                 /* reported */
  }
  return -1;
}

int
partial_chunk_done (struct partial *p, size_t chunk)
{
  int r;

  if (chunk >= p->nchunks)
    return 0;
  pthread_mutex_lock (&p->mu);
  r = sync_failed (p);
  if (r == 0) {
    p->written[chunk] = '1';
    pthread_cond_signal (&p->cv);
  }
  pthread_mutex_unlock (&p->mu);
  return r;
}

static void
human (char *buf, size_t len, double v)
{
  static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  size_t u = 0;

  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf (buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void
partial_progress (struct partial *p, uint64_t bytes)
{
  double now = h2k_monotonic (), dt = now - p->t0;
  double rate = dt > 0 ? (double) (bytes - p->resumed) / dt : 0;
  int pct = p->size ? (int) (bytes * 100 / p->size) : 100;
  char got[32], tot[32], rt[32], eta[32] = "?";

  if (p->tty ? now - p->last_draw < 0.5 : !h2k_verbose || pct / 10 == p->last_decile)
    return;
  p->last_draw = now;
  p->last_decile = pct / 10;
  human (got, sizeof got, (double) bytes);
  human (tot, sizeof tot, (double) p->size);
  human (rt, sizeof rt, rate);
  if (rate > 0) {
    unsigned long s = (unsigned long) ((double) (p->size - bytes) / rate);
    snprintf (eta, sizeof eta, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
              s % 60);
  }
  if (p->tty) {
    fprintf (stderr, "\r\033[K%s: %s: %s / %s (%d%%), %s/s, ETA %s",
             h2k_progname, p->label, got, tot, pct, rt, eta);
    p->drawn = 1;
  }
  else
    h2k_debug ("%s: %s / %s (%d%%), %s/s, ETA %s", p->label, got, tot, pct,
               rt, eta);
}

static int
digest_part (struct partial *p, char hex[65])
{
  CLEANUP_FREE char *name = NULL;

  if (lseek (p->fd, 0, SEEK_SET) == -1 ||
      asprintf (&name, "%s: reading %s", p->label, p->part) == -1) {
    name = NULL;
    return fail (p, "reading", p->part);
  }
  return h2k_digest_fd (p->fd, name, "sha256", hex);
}

/* Publish the identity of the finished DEST. */
static int
save_identity (const struct partial *p)
{
  CLEANUP_JSON json_object *j = identity (p);

  if (j == NULL ||
      (p->sha256[0] && h2k_json_set_string (j, "sha256", p->sha256) == -1))
    return -1;
  return save_json (p, p->ident, j);
}

int
partial_commit (struct partial *p, const char *sha256, char *hex)
{
  struct stat st;

  if (p->drawn) {
    fputs ("\r\033[K", stderr);
    p->drawn = 0;
  }
  syncer_stop (p);
  if (p->sync_errno > 0) {
    errno = p->sync_errno;
    fail (p, "writing", p->sync_what);
    return -1;
  }
  if (p->sync_errno)
    return -1;                          /* reported already */
  for (size_t i = 0; i < p->nchunks; ++i)
    if (p->done[i] != '1') {
      h2k_error ("%s: chunk %zu was not received", p->label, i);
      return -1;
    }
  if (fstat (p->fd, &st) == -1 || (uint64_t) st.st_size != p->size) {
    h2k_error ("%s: %s has the wrong size", p->label, p->part);
    return -1;
  }
  if (sha256) {
    if (digest_part (p, p->sha256) == -1)
      return -1;
    if (strcasecmp (sha256, p->sha256) != 0) {
      h2k_error ("%s: sha256 mismatch: expected %s, got %s (the download "
                 "was removed)", p->label, sha256, p->sha256);
      unlink (p->part);
      unlink (p->state);
      return -1;
    }
  }
  if (fsync (p->fd) == -1)
    return fail (p, "writing", p->part);
  if (rename (p->part, p->dest) == -1)
    return fail (p, "renaming to", p->dest);
  if (fsync (p->dirfd) == -1)
    return fail (p, "syncing the directory of", p->dest);
  if (save_identity (p) == -1)
    return -1;
  if (unlink (p->state) == -1 && errno != ENOENT)
    h2k_debug ("%s: %m", p->state);
  if (hex && p->sha256[0])
    memcpy (hex, p->sha256, 65);
  say_note (p);
  return 0;
}
