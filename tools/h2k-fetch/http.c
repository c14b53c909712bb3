/* h2k-fetch: http:// and https:// sources (libcurl), see remote.h.
 *
 * One file (http_download): a first request for byte 0 only learns the
 * size, the validator (ETag, else Last-Modified) and whether the server
 * honours Range (206) or not (200).  Then, with ranges, up to
 * --connections easy handles on one multi handle each fetch one chunk
 * of the part file (partial.c) with "Range" and "If-Range", writing the
 * bytes where they belong as they arrive (memory: curl's buffer per
 * handle); without ranges, one stream from byte 0.  A chunk whose
 * transfer breaks (connection reset, timeout, 502/503/504) is retried
 * from where it stopped after 1, 2, then 4 seconds; a fourth failure
 * ends the run (the part file stays, a rerun resumes).  Every 206 must
 * be for the same file: a 200 to an If-Range request, another total size
 * or another ETag means the file changed: an error.
 *
 * Redirects: up to 5, never from https to http; credentials are only
 * sent to the host named in the URL (curl's rule), and every request
 * starts from the URL given.  TLS: curl's verification against the
 * system's CAs or --cacert; --insecure turns it off.
 * Secrets: the password (basic auth, for the URL's user) or the bearer
 * token are read here, given to curl, and wiped; curl's verbose output
 * (-vvv) goes through a callback that drops request headers when a
 * credential or extra header is set.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "h2k.h"
#include "ovf.h"
#include "vmdk.h"
#include "remote.h"

#define MAX_REDIRS 5
#define MAX_TRIES 4             /* the first and three retries */
#define CONNECT_TIMEOUT 30L
#define LOW_SPEED_LIMIT 1024L   /* bytes/s ... */
#define LOW_SPEED_TIME 60L      /* ... for this long: stalled */
#define RECV_BUFFER (256L * 1024)
#define HDR_MAX 1024

/* What one response said (the last one, after redirects). */
struct resp {
  long code;
  char reason[128];
  char etag[HDR_MAX];
  char last_modified[HDR_MAX];
  int have_range;
  uint64_t range_start, range_total;    /* Content-Range */
  int64_t length;                       /* Content-Length, -1 */
};

/* One file's transfer. */
struct xfer {
  const char *url, *label;
  const struct remote_opts *ro;
  struct curl_slist *headers;           /* extra + If-Range */
  int hide_headers;                     /* credentials: no header dumps */
  char *password, *token;
  uint64_t size;
  char validator[HDR_MAX + 8];          /* "etag:..." or "date:..." */
  char if_range[HDR_MAX + 16];          /* the header line, or "" */
  char etag[HDR_MAX];                   /* to compare each 206 with */
  int ranges;
  struct partial *p;
  uint64_t received;                    /* bytes on disk, this run + resumed */
  int failed;                           /* an error was reported */
  int quiet;                            /* probe only: errors are debug */
  int head;                             /* probe with HEAD (a plan) */
  int retries;                          /* transient failures retried */
  char last_retry[CURL_ERROR_SIZE + 64];/* the last one, in words */
};

/* Report an error about X (or, for a quiet probe, only debug it). */
#define xerror(x, fs, ...)                                      \
  do {                                                          \
    if ((x)->quiet)                                             \
      h2k_debug (fs, ##__VA_ARGS__);                            \
    else                                                        \
      h2k_error (fs, ##__VA_ARGS__);                            \
  } while (0)

/* One request in flight: a chunk [off, off + len), or the whole file. */
struct job {
  struct xfer *x;
  CURL *e;
  struct curl_slist *hdrs;
  size_t chunk;
  uint64_t off, len, got;
  int whole;                            /* no Range: the whole file */
  int tries;
  double due;                           /* start not before */
  int body_checked;
  struct resp r;
  char errbuf[CURL_ERROR_SIZE];
};

/* ---------------------------------------------------------------- */
/* Headers */

static void
copy_value (char *dst, size_t dlen, const char *v, size_t vlen)
{
  while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
                  v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
    vlen--;
  while (vlen && (*v == ' ' || *v == '\t')) {
    v++;
    vlen--;
  }
  if (vlen >= dlen)
    vlen = dlen - 1;
  memcpy (dst, v, vlen);
  dst[vlen] = '\0';
}

static int
header_is (const char *line, size_t len, const char *name, const char **v,
           size_t *vlen)
{
  size_t n = strlen (name);

  if (len <= n || strncasecmp (line, name, n) != 0 || line[n] != ':')
    return 0;
  *v = line + n + 1;
  *vlen = len - n - 1;
  return 1;
}

static void
parse_header (struct resp *r, const char *line, size_t len)
{
  const char *v;
  size_t vl;
  char buf[HDR_MAX];

  if (len > 5 && strncmp (line, "HTTP/", 5) == 0) {
    const char *sp = memchr (line, ' ', len);
    memset (r, 0, sizeof *r);
    r->length = -1;
    if (sp) {
      copy_value (buf, sizeof buf, sp + 1, len - (sp + 1 - line));
      r->code = strtol (buf, NULL, 10);
      sp = strchr (buf, ' ');
      snprintf (r->reason, sizeof r->reason, "%s", sp ? sp + 1 : "");
    }
  }
  else if (header_is (line, len, "ETag", &v, &vl))
    copy_value (r->etag, sizeof r->etag, v, vl);
  else if (header_is (line, len, "Last-Modified", &v, &vl))
    copy_value (r->last_modified, sizeof r->last_modified, v, vl);
  else if (header_is (line, len, "Content-Length", &v, &vl)) {
    copy_value (buf, sizeof buf, v, vl);
    r->length = strtoll (buf, NULL, 10);
  }
  else if (header_is (line, len, "Content-Range", &v, &vl)) {
    uint64_t a, b, t;
    copy_value (buf, sizeof buf, v, vl);
    if (sscanf (buf, "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, &a, &b, &t) == 3) {
      r->have_range = 1;
      r->range_start = a;
      r->range_total = t;
    }
    else if (sscanf (buf, "bytes */%" SCNu64, &t) == 1)
      r->range_total = t;
  }
}

static size_t
header_cb (char *buf, size_t size, size_t n, void *opaque)
{
  struct job *j = opaque;

  parse_header (&j->r, buf, size * n);
  return size * n;
}

/* -vvv: curl's own trace, without request headers when they may hold
 * credentials.
 */
static int
debug_cb (CURL *e, curl_infotype type, char *data, size_t len, void *opaque)
{
  struct job *j = opaque;

  (void) e;
  if (type == CURLINFO_TEXT ||
      type == CURLINFO_HEADER_IN ||
      (type == CURLINFO_HEADER_OUT && !j->x->hide_headers))
    fprintf (stderr, "%s: curl: %s%.*s", h2k_progname,
             type == CURLINFO_HEADER_OUT ? "> " :
             type == CURLINFO_HEADER_IN ? "< " : "",
             (int) (len > 4096 ? 4096 : len), data);
  else if (type == CURLINFO_HEADER_OUT)
    fprintf (stderr, "%s: curl: > (request headers hidden: they carry "
             "credentials)\n", h2k_progname);
  return 0;
}

/* ---------------------------------------------------------------- */
/* Requests */

static void
job_reset (struct job *j)
{
  if (j->e)
    curl_easy_cleanup (j->e);
  curl_slist_free_all (j->hdrs);
  j->e = NULL;
  j->hdrs = NULL;
  j->body_checked = 0;
  memset (&j->r, 0, sizeof j->r);
  j->r.length = -1;
  j->errbuf[0] = '\0';
}

static size_t write_cb (char *buf, size_t size, size_t n, void *opaque);
static size_t discard_cb (char *buf, size_t size, size_t n, void *opaque);

#define SETOPT(e, o, v) (curl_easy_setopt ((e), (o), (v)) != CURLE_OK)

/* Set up J's easy handle for bytes [from, to] (to == UINT64_MAX: no
 * Range at all).
 */
static int
job_prepare (struct job *j, uint64_t from, uint64_t to, int probe)
{
  const struct xfer *x = j->x;
  const struct remote_opts *ro = x->ro;
  int https = strncasecmp (x->url, "https:", 6) == 0;
  char range[80];
  CURL *e;

  job_reset (j);
  if ((e = j->e = curl_easy_init ()) == NULL)
    goto nomem;
  if (probe && x->head) {
    to = UINT64_MAX;                    /* no Range: HEAD gives the length */
    if (SETOPT (e, CURLOPT_NOBODY, 1L))
      goto setopt;
  }
  for (const struct curl_slist *h = x->headers; h; h = h->next)
    if ((j->hdrs = curl_slist_append (j->hdrs, h->data)) == NULL)
      goto nomem;
  if (to != UINT64_MAX) {
    snprintf (range, sizeof range, "Range: bytes=%" PRIu64 "-%" PRIu64,
              from, to);
    if ((j->hdrs = curl_slist_append (j->hdrs, range)) == NULL ||
        (!probe && x->if_range[0] &&
         (j->hdrs = curl_slist_append (j->hdrs, x->if_range)) == NULL))
      goto nomem;
  }
  if (SETOPT (e, CURLOPT_URL, x->url) ||
      SETOPT (e, CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https") ||
      SETOPT (e, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https") ||
      SETOPT (e, CURLOPT_FOLLOWLOCATION, 1L) ||
      SETOPT (e, CURLOPT_MAXREDIRS, (long) MAX_REDIRS) ||
      SETOPT (e, CURLOPT_HTTPHEADER, j->hdrs) ||
      SETOPT (e, CURLOPT_ERRORBUFFER, j->errbuf) ||
      SETOPT (e, CURLOPT_HEADERFUNCTION, header_cb) ||
      SETOPT (e, CURLOPT_HEADERDATA, j) ||
      SETOPT (e, CURLOPT_WRITEFUNCTION, probe ? discard_cb : write_cb) ||
      SETOPT (e, CURLOPT_WRITEDATA, j) ||
      SETOPT (e, CURLOPT_PRIVATE, j) ||
      SETOPT (e, CURLOPT_NOSIGNAL, 1L) ||
      SETOPT (e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT) ||
      SETOPT (e, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT) ||
      SETOPT (e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME) ||
      SETOPT (e, CURLOPT_BUFFERSIZE, RECV_BUFFER) ||
      SETOPT (e, CURLOPT_USERAGENT, "h2k-fetch/" H2K_VERSION) ||
      SETOPT (e, CURLOPT_ACCEPT_ENCODING, NULL))
    goto setopt;
  if (ro->cacert && SETOPT (e, CURLOPT_CAINFO, ro->cacert))
    goto setopt;
  if (ro->insecure &&
      (SETOPT (e, CURLOPT_SSL_VERIFYPEER, 0L) ||
       SETOPT (e, CURLOPT_SSL_VERIFYHOST, 0L)))
    goto setopt;
  if (ro->tls_setup && ro->tls_setup (e, ro->tls_data) == -1)
    goto setopt;
  if (x->password &&
      (SETOPT (e, CURLOPT_PASSWORD, x->password) ||
       SETOPT (e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC)))
    goto setopt;
  if (x->token &&
      (SETOPT (e, CURLOPT_XOAUTH2_BEARER, x->token) ||
       SETOPT (e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER)))
    goto setopt;
  if (ro->verbose >= 3 &&
      (SETOPT (e, CURLOPT_DEBUGFUNCTION, debug_cb) ||
       SETOPT (e, CURLOPT_DEBUGDATA, j) ||
       SETOPT (e, CURLOPT_VERBOSE, 1L)))
    goto setopt;
  return 0;

 nomem:
  h2k_error ("%s: %m", x->label);
  return -1;
 setopt:
  h2k_error ("%s: libcurl refused an option (too old?)", x->label);
  return -1;
}

/* The one-line message for a response code. */
static void
http_error (const struct xfer *x, const struct resp *r)
{
  const char *hint = "";

  if (r->code == 401)
    hint = x->token ? " (wrong or expired token?)"
      : x->password ? " (wrong user or password?)"
      : " (credentials needed: --password-file or --token-file)";
  else if (r->code == 403)
    hint = " (forbidden)";
  if (r->code == 403 && strcasecmp (r->reason, "Forbidden") == 0)
    hint = "";
  xerror (x, "%s: HTTP %ld%s%s%s", x->label, r->code,
          r->reason[0] ? " " : "", r->reason, hint);
}

static int
retriable (CURLcode c, long code)
{
  switch (c) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return 1;
  case CURLE_OK:
    return code == 502 || code == 503 || code == 504;
  default:
    return 0;
  }
}

static void
curl_failure (const struct xfer *x, const struct job *j, CURLcode c)
{
  if (c == CURLE_UNSUPPORTED_PROTOCOL)
    xerror (x, "%s: redirected to another protocol, refused (https never "
            "goes to http; %s)", x->label, j->errbuf[0] ? j->errbuf
            : curl_easy_strerror (c));
  else
    xerror (x, "%s: %s", x->label, j->errbuf[0] ? j->errbuf
            : curl_easy_strerror (c));
}

static double
backoff (int tries)
{
  return (double) (1 << (tries - 1 < 0 ? 0 : tries - 1 > 2 ? 2 : tries - 1));
}

static void
sleep_s (double s)
{
  struct timespec ts = { (time_t) s, (long) ((s - (time_t) s) * 1e9) };

  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

static size_t
discard_cb (char *buf, size_t size, size_t n, void *opaque)
{
  struct job *j = opaque;

  (void) buf;
  /* A 200 to our Range request: the headers told us enough. */
  return j->r.code == 200 ? 0 : size * n;
}

/* A transient failure, retried: debugged now, noted on success
 * (say_retries, remote_note), so that a failure stays one line.
 */
static void
note_retry (struct xfer *x, const char *why, uint64_t at, double delay)
{
  x->retries++;
  snprintf (x->last_retry, sizeof x->last_retry, "%s at byte %" PRIu64,
            why, at);
  h2k_debug ("%s: %s; retrying in %.0f s", x->label, x->last_retry, delay);
}

static void
say_retries (const struct xfer *x)
{
  if (x->retries)
    remote_note ("%s: complete after %d transient failure%s, retried (the "
              "last: %s)", x->label, x->retries, x->retries == 1 ? "" : "s",
              x->last_retry);
}

/* The first request: bytes 0-0. */
static int
probe (struct xfer *x)
{
  struct job j = { .x = x };
  CURLcode c = CURLE_OK;
  int r = -1;

  for (j.tries = 1; j.tries <= MAX_TRIES; ++j.tries) {
    if (job_prepare (&j, 0, 0, 1) == -1)
      goto out;
    c = curl_easy_perform (j.e);
    if (c == CURLE_WRITE_ERROR && j.r.code == 200)
      c = CURLE_OK;                     /* we stopped it */
    if (!retriable (c, j.r.code) || j.tries == MAX_TRIES)
      break;
    note_retry (x, c ? (j.errbuf[0] ? j.errbuf : curl_easy_strerror (c))
                : j.r.reason, 0, backoff (j.tries));
    sleep_s (backoff (j.tries));
  }
  if (c == CURLE_OK && x->head &&
      (j.r.code == 400 || j.r.code == 403 || j.r.code == 405 ||
       j.r.code == 501)) {
    /* A server (or a URL signed for GET only) refusing HEAD: ask for
     * the first byte instead.
     */
    h2k_debug ("%s: HEAD: HTTP %ld; asking for byte 0 instead", x->label,
               j.r.code);
    x->head = 0;
    job_reset (&j);
    return probe (x);
  }
  if (c != CURLE_OK) {
    curl_failure (x, &j, c);
    goto out;
  }
  if (j.r.code == 206 && j.r.have_range) {
    x->ranges = 1;
    x->size = j.r.range_total;
  }
  else if (j.r.code == 416 && j.r.range_total == 0)
    x->size = 0;                        /* an empty file */
  else if (j.r.code == 200 && j.r.length >= 0) {
    if (!x->head)
      h2k_debug ("%s: the server ignores Range: one stream", x->label);
    x->size = (uint64_t) j.r.length;
  }
  else if (j.r.code == 200) {
    xerror (x, "%s: the server gives no size (no Content-Length)", x->label);
    goto out;
  }
  else {
    http_error (x, &j.r);
    goto out;
  }
  if (j.r.etag[0]) {
    snprintf (x->etag, sizeof x->etag, "%s", j.r.etag);
    snprintf (x->validator, sizeof x->validator, "etag:%s", j.r.etag);
  }
  else if (j.r.last_modified[0])
    snprintf (x->validator, sizeof x->validator, "date:%s", j.r.last_modified);
  /* If-Range needs a strong ETag, or a date. */
  if (j.r.etag[0] && strncmp (j.r.etag, "W/", 2) != 0)
    snprintf (x->if_range, sizeof x->if_range, "If-Range: %s", j.r.etag);
  else if (j.r.last_modified[0])
    snprintf (x->if_range, sizeof x->if_range, "If-Range: %s",
              j.r.last_modified);
  h2k_debug ("%s: %" PRIu64 " bytes, %s, validator %s", x->label, x->size,
             x->ranges ? "ranges" : "no ranges",
             x->validator[0] ? x->validator : "none");
  r = 0;
 out:
  job_reset (&j);
  return r;
}

/* The first bytes of J's response: is it the part we asked for, of the
 * same file?  0, or -1 reported.
 */
static int
check_response (struct job *j)
{
  struct xfer *x = j->x;
  const struct resp *r = &j->r;

  if (j->whole) {
    if (r->code != 200 && r->code != 206) {
      http_error (x, r);
      return -1;
    }
    /* A retry reads the whole file again: it must be the same file. */
    if ((r->code == 200 && r->length >= 0 && (uint64_t) r->length != x->size) ||
        (x->etag[0] && r->etag[0] && strcmp (x->etag, r->etag) != 0) ||
        (strncmp (x->validator, "date:", 5) == 0 && r->last_modified[0] &&
         strcmp (x->validator + 5, r->last_modified) != 0))
      goto changed;
    return 0;
  }
  if (r->code == 200 && x->if_range[0])
    goto changed;                       /* If-Range did not match */
  if (r->code != 206) {
    if (r->code >= 200 && r->code < 300)
      h2k_error ("%s: HTTP %ld to a Range request (expected 206)", x->label,
                 r->code);
    else
      http_error (x, r);
    return -1;
  }
  if (!r->have_range || r->range_start != j->off + j->got)
    goto bad_range;
  if (r->range_total != x->size ||
      (x->etag[0] && r->etag[0] && strcmp (x->etag, r->etag) != 0))
    goto changed;
  return 0;

 changed:
  h2k_error ("%s: the remote file changed during the transfer (size or "
             "ETag differs); run the command again to start over", x->label);
  return -1;
 bad_range:
  h2k_error ("%s: the server sent another range than the one asked for",
             x->label);
  return -1;
}

static size_t
write_cb (char *buf, size_t size, size_t n, void *opaque)
{
  struct job *j = opaque;
  struct xfer *x = j->x;
  size_t len = size * n;

  if (x->failed)
    return 0;                           /* another handle reported it */
  if (!j->body_checked) {
    if (j->r.code >= 300 && !(j->r.code == 200 || j->r.code == 206))
      return len;                       /* an error page: judged at the end */
    if (check_response (j) == -1) {
      x->failed = 1;
      return 0;
    }
    j->body_checked = 1;
  }
  if (j->got + len > j->len) {
    h2k_error ("%s: more bytes than asked for", x->label);
    x->failed = 1;
    return 0;
  }
  if (partial_write (x->p, j->off + j->got, buf, len) == -1) {
    x->failed = 1;
    return 0;
  }
  j->got += len;
  x->received += len;
  partial_progress (x->p, x->received);
  return len;
}

/* ---------------------------------------------------------------- */
/* The transfer */

/* Chunks of [0, size) below J's offset + got that are now complete. */
static int
whole_progress (struct job *j)
{
  struct xfer *x = j->x;

  for (size_t c = 0; c < partial_nchunks (x->p); ++c) {
    uint64_t off, len;
    partial_chunk_range (x->p, c, &off, &len);
    if (off + len <= j->got && partial_chunk_done (x->p, c) == -1)
      return -1;
  }
  return 0;
}

static int
job_start (CURLM *m, struct job *j)
{
  uint64_t from = j->off + j->got;
  uint64_t to = j->whole ? UINT64_MAX : j->off + j->len - 1;

  if (job_prepare (j, from, to, 0) == -1)
    return -1;
  if (curl_multi_add_handle (m, j->e) != CURLM_OK) {
    h2k_error ("%s: curl_multi_add_handle failed", j->x->label);
    return -1;
  }
  return 0;
}

/* J finished with C: 1 chunk done, 0 to retry (J->due set), -1 reported. */
static int
job_finished (struct job *j, CURLcode c)
{
  struct xfer *x = j->x;
  long code = j->r.code;

  if (x->failed)
    return -1;
  if (c == CURLE_OK && (code == 200 || code == 206) && j->got == j->len) {
    if (j->whole)
      return whole_progress (j) == -1 ? -1 : 1;
    return partial_chunk_done (x->p, j->chunk) == -1 ? -1 : 1;
  }
  if (c == CURLE_OK && (code == 200 || code == 206))
    c = CURLE_PARTIAL_FILE;             /* the server closed early */
  if (!retriable (c, code) || j->tries >= MAX_TRIES) {
    if (c != CURLE_OK)
      curl_failure (x, j, c);
    else
      http_error (x, &j->r);
    return -1;
  }
  note_retry (x, c ? (j->errbuf[0] ? j->errbuf : curl_easy_strerror (c))
              : j->r.reason, j->off + j->got, backoff (j->tries));
  if (j->whole && x->validator[0] == '\0') {
    /* Zero blocks are skipped, not written: a new whole-file request
     * over this attempt's bytes is only safe when it is the same file.
     */
    h2k_error ("%s: the transfer broke at byte %" PRIu64 " and the server "
               "gives no ETag or Last-Modified (nor ranges) to prove that a "
               "new request reads the same file: run the command again",
               x->label, j->off + j->got);
    return -1;
  }
  if (j->whole) {
    /* No Range: start again from 0 (check_response compares the
     * validator, so the bytes are the same).
     */
    x->received -= j->got;
    j->got = 0;
  }
  j->due = h2k_monotonic () + backoff (j->tries);
  j->tries++;
  return 0;
}

/* Give J the next chunk not done, or return 0 if none is left. */
static int
next_chunk (struct xfer *x, size_t *next, struct job *j)
{
  while (*next < partial_nchunks (x->p) &&
         partial_chunk_is_done (x->p, *next))
    (*next)++;
  if (*next >= partial_nchunks (x->p))
    return 0;
  j->chunk = (*next)++;
  partial_chunk_range (x->p, j->chunk, &j->off, &j->len);
  j->got = 0;
  j->tries = 1;
  j->due = 0;
  return 1;
}

static int
run_jobs (struct xfer *x, CURLM *m, struct job *jobs, size_t njobs)
{
  size_t next = 0, active = 0;

  /* Free jobs have e == NULL and due < 0. */
  for (size_t i = 0; i < njobs; ++i) {
    if (!x->ranges ? (jobs[i].whole = 1, jobs[i].len = x->size, i > 0)
        : !next_chunk (x, &next, &jobs[i])) {
      jobs[i].due = -1;
      continue;
    }
    jobs[i].tries = 1;
    if (job_start (m, &jobs[i]) == -1)
      return -1;
    active++;
  }
  while (active > 0) {
    int running, left, started = 0;
    CURLMsg *msg;
    double now = h2k_monotonic ();

    if (x->ro->interrupted && *x->ro->interrupted) {
      h2k_error ("%s: interrupted", x->label);
      return -1;
    }
    for (size_t i = 0; i < njobs; ++i)
      if (jobs[i].e == NULL && jobs[i].due > 0 && jobs[i].due <= now) {
        jobs[i].due = 0;
        if (job_start (m, &jobs[i]) == -1)
          return -1;
      }
    if (curl_multi_perform (m, &running) != CURLM_OK) {
      h2k_error ("%s: curl_multi_perform failed", x->label);
      return -1;
    }
    while ((msg = curl_multi_info_read (m, &left)) != NULL) {
      struct job *j;
      int r;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &j);
      r = job_finished (j, msg->data.result);
      curl_multi_remove_handle (m, j->e);
      job_reset (j);
      if (r == -1)
        return -1;
      if (r == 0)
        continue;                       /* due later */
      if (x->ranges && next_chunk (x, &next, j)) {
        if (job_start (m, j) == -1)
          return -1;
        started = 1;
      }
      else {
        j->due = -1;
        active--;
      }
    }
    /* Wait for data (or a retry's time) unless a request just started:
     * curl_multi_perform gets it going at once.
     */
    if (!started && active > 0 &&
        curl_multi_poll (m, NULL, 0, 200, NULL) != CURLM_OK) {
      h2k_error ("%s: curl_multi_poll failed", x->label);
      return -1;
    }
  }
  return 0;
}

static int
transfer (struct xfer *x)
{
  unsigned n = x->ranges ? x->ro->connections : 1;
  struct job jobs[REMOTE_MAX_CONNECTIONS] = { 0 };
  CURLM *m = curl_multi_init ();
  int r;

  if (m == NULL) {
    h2k_error ("%s: curl_multi_init failed", x->label);
    return -1;
  }
  if (n < 1 || n > REMOTE_MAX_CONNECTIONS)
    n = REMOTE_DEFAULT_CONNECTIONS;
  for (unsigned i = 0; i < n; ++i)
    jobs[i].x = x;
  x->received = partial_resumed (x->p);
  if (!x->ranges)
    x->received = 0;
  r = run_jobs (x, m, jobs, n);
  for (unsigned i = 0; i < n; ++i) {
    if (jobs[i].e)
      curl_multi_remove_handle (m, jobs[i].e);
    job_reset (&jobs[i]);
  }
  curl_multi_cleanup (m);
  return r;
}

static void
xfer_free (struct xfer *x)
{
  curl_slist_free_all (x->headers);
  remote_secret_free (&x->password);
  remote_secret_free (&x->token);
  partial_close (x->p);
}

static int
load_secrets (struct xfer *x, const char *const *headers)
{
  const struct remote_opts *ro = x->ro;

  if (remote_secret_load (ro->password_file, ro->password_env,
                          ro->password_file ? "--password-file"
                          : "--password-env", &x->password) == -1 ||
      remote_secret_load (ro->token_file, ro->token_env,
                          ro->token_file ? "--token-file" : "--token-env",
                          &x->token) == -1)
    return -1;
  for (size_t i = 0; headers && headers[i]; ++i)
    if ((x->headers = curl_slist_append (x->headers, headers[i])) == NULL) {
      h2k_error ("%s: %m", x->label);
      return -1;
    }
  x->hide_headers = x->password || x->token || x->headers;
  return 0;
}

static int
init_curl (void)
{
  static int done;

  if (!done && curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    h2k_error ("curl_global_init failed");
    return -1;
  }
  done = 1;
  return 0;
}

static int fetch_one (const char *url, const char *label,
                      const char *const *headers, const char *dest,
                      const struct remote_opts *ro, const char *sha256,
                      int read);

/* A plan's file: sized with HEAD and recorded, or when the walk must
 * READ it (and remote_plan_reads agrees: a small text file), downloaded
 * as in a real run (into the plan's temporary directory).
 */
static int
plan_download (const char *url, const char *label,
               const char *const *headers, const char *dest,
               const struct remote_opts *ro, int read)
{
  __attribute__((cleanup (xfer_free))) struct xfer x = {
    .url = url, .label = label, .ro = ro, .head = 1,
  };
  struct remote_record rec = { .url = (char *) label, .path = (char *) dest };
  struct remote_opts real;

  if (init_curl () == -1 || load_secrets (&x, headers) == -1 ||
      probe (&x) == -1)
    return -1;
  if (read && remote_plan_reads (dest, x.size)) {
    real = *ro;
    real.plan = 0;
    return fetch_one (url, label, headers, dest, &real, NULL, 0);
  }
  say_retries (&x);
  rec.size = x.size;
  rec.validator = x.validator;
  return remote_record_file (&rec);
}

int
http_download (const char *url, const char *label,
               const char *const *headers, const char *dest,
               const struct remote_opts *ro, const char *sha256)
{
  return fetch_one (url, label, headers, dest, ro, sha256, 0);
}

/* http_download; in a plan, READ: the walk reads the file. */
static int
fetch_one (const char *url, const char *label, const char *const *headers,
           const char *dest, const struct remote_opts *ro,
           const char *sha256, int read)
{
  __attribute__((cleanup (xfer_free))) struct xfer x = {
    .url = url, .label = label, .ro = ro,
  };
  char hex[65] = "";
  int complete;
  struct remote_record rec = { .url = (char *) label, .path = (char *) dest };

  if (ro->plan)
    return plan_download (url, label, headers, dest, ro, read);
  if (init_curl () == -1 || load_secrets (&x, headers) == -1 ||
      probe (&x) == -1)
    return -1;
  x.p = partial_open (dest, label, x.size, x.validator, &complete);
  if (x.p == NULL)
    return -1;
  if (!complete) {
    if (transfer (&x) == -1 || partial_commit (x.p, sha256, hex) == -1)
      return -1;
    h2k_debug ("%s: %" PRIu64 " bytes downloaded to %s", label,
              x.size - partial_resumed (x.p), dest);
  }
  else if (sha256 && (partial_sha256 (x.p) == NULL ||
                      strcasecmp (partial_sha256 (x.p), sha256) != 0)) {
    /* Finished by a run that did not check this digest. */
    if (h2k_sha256_file (dest, hex) == -1)
      return -1;
    if (strcasecmp (hex, sha256) != 0) {
      h2k_error ("%s: sha256 mismatch: expected %s, got %s", label, sha256,
                 hex);
      return -1;
    }
  }
  say_retries (&x);
  rec.size = x.size;
  rec.resumed_from = partial_resumed (x.p);
  rec.validator = x.validator;
  rec.sha256 = hex[0] ? hex : (char *) partial_sha256 (x.p);
  return remote_record_file (&rec);
}

/* ---------------------------------------------------------------- */
/* Sources */

/* Append S[0..LEN) to the URL being built in *B, percent-encoding what
 * is not unreserved (and '/' when KEEP_SLASH).
 */
static int
append_encoded (char **b, const char *s, int keep_slash)
{
  size_t old = *b ? strlen (*b) : 0, n = strlen (s);
  char *r = realloc (*b, old + 3 * n + 1), *q;

  if (r == NULL)
    return -1;
  q = r + old;
  for (; *s; ++s) {
    unsigned char c = *s;
    if (isalnum (c) || strchr ("-._~", c) || (keep_slash && c == '/'))
      *q++ = c;
    else
      q += sprintf (q, "%%%02X", c);
  }
  *q = '\0';
  *b = r;
  return 0;
}

static int
append_raw (char **b, const char *s)
{
  size_t old = strlen (*b);
  char *r = realloc (*b, old + strlen (s) + 1);

  if (r == NULL)
    return -1;
  strcpy (r + old, s);
  *b = r;
  return 0;
}

/* The URL for requests: scheme://[user@]host[:port] + REL (encoded
 * already when RAW, else encoded here).  Caller frees; NULL on ENOMEM.
 */
static char *
request_url (const struct remote_url *u, const char *rel, int raw)
{
  char *b = NULL, hostport[300];
  int v6 = strchr (u->host, ':') != NULL;
  int n;

  n = snprintf (hostport, sizeof hostport, "%s%s%s", v6 ? "[" : "", u->host,
                v6 ? "]" : "");
  if (n < 0 || (size_t) n >= sizeof hostport - 8)
    return NULL;
  if (u->port)
    snprintf (hostport + n, sizeof hostport - n, ":%u", u->port);
  if (asprintf (&b, "%s://", u->scheme) == -1)
    return NULL;
  if ((u->user && (append_encoded (&b, u->user, 0) == -1 ||
                   append_raw (&b, "@") == -1)) ||
      append_raw (&b, hostport) == -1 ||
      (raw ? append_raw (&b, rel) : append_encoded (&b, rel, 1)) == -1) {
    free (b);
    return NULL;
  }
  return b;
}

/* A file next to the top one: its URL (the top's directory + HREF),
 * label and local path.
 */
static int
sibling (const struct remote_url *u, const char *dldir, const char *href,
         char **url, char **label, char **dest)
{
  CLEANUP_FREE char *dir = strndup (u->path, strrchr (u->path, '/') - u->path + 1);
  CLEANUP_FREE char *path = NULL;
  CLEANUP_FREE char *shown = NULL;

  *url = *label = *dest = NULL;
  if (dir == NULL || asprintf (&path, "%s%s", dir, href) == -1) {
    path = NULL;
    goto nomem;
  }
  if ((*url = request_url (u, path, 0)) == NULL ||
      (*dest = h2k_path_join (dldir, href)) == NULL)
    goto nomem;
  {
    /* The label: the top's display form with the last segment replaced. */
    const char *slash = strrchr (u->display, '/');
    if (asprintf (label, "%.*s%s", (int) (slash - u->display + 1), u->display,
                  href) == -1) {
      *label = NULL;
      goto nomem;
    }
  }
  return 0;
 nomem:
  free (*url);
  free (*dest);
  h2k_error ("%s: %m", u->display);
  *url = *dest = NULL;
  return -1;
}

/* Download HREF beside the top file.  OPTIONAL: a 404 is fine (returns
 * 1, nothing reported).  READ: the walk reads it (a plan downloads it).
 */
static int
download_sibling (const struct remote_url *u, const struct remote_opts *ro,
                  const char *dldir, const char *href, int optional,
                  int read)
{
  CLEANUP_FREE char *url = NULL, *label = NULL, *dest = NULL;
  CLEANUP_FREE char *dir = NULL;
  int r;

  if (!ovf_safe_href (href)) {
    h2k_error ("%s: '%s' is not a file beside it (an absolute path, '..' "
               "or a URL)", u->display, href);
    return -1;
  }
  if (sibling (u, dldir, href, &url, &label, &dest) == -1 ||
      (dir = h2k_dirname (dest)) == NULL || h2k_mkdir_p (dir) == -1)
    return -1;
  if (!optional)
    return fetch_one (url, label, NULL, dest, ro, NULL, read);
  /* An optional file: find out quietly whether it is there. */
  {
    struct xfer x = { .url = url, .label = label, .ro = ro, .quiet = 1,
                      .head = ro->plan };
    int loaded = load_secrets (&x, NULL), there = loaded == 0 && probe (&x) == 0;
    xfer_free (&x);
    if (loaded == -1)
      return -1;
    if (!there)
      return 1;                         /* debugged by probe */
  }
  r = fetch_one (url, label, NULL, dest, ro, NULL, read);
  return r;
}

/* .ovf: the descriptor, each file it references, and NAME.mf/.cert when
 * the server has them.
 */
static int
fetch_ovf_package (const struct remote_url *u, const struct remote_opts *ro,
                   const char *dldir, const char *top)
{
  struct ovf_vm *vm = ovf_parse_file (top);
  const char *base = strrchr (u->path, '/') + 1;
  CLEANUP_FREE char *stem = strndup (base, strlen (base) - 4);
  CLEANUP_FREE char *mf = NULL, *cert = NULL;
  int r = 0;

  if (vm == NULL)
    return -1;
  if (stem == NULL || asprintf (&mf, "%s.mf", stem) == -1 ||
      asprintf (&cert, "%s.cert", stem) == -1) {
    mf = cert = NULL;
    h2k_error ("%m");
    r = -1;
  }
  for (size_t i = 0; r == 0 && vm->files && vm->files[i]; ++i)
    r = download_sibling (u, ro, dldir, vm->files[i], 0, 0);
  if (r == 0)
    r = download_sibling (u, ro, dldir, mf, 1, 0) == -1 ||
      download_sibling (u, ro, dldir, cert, 1, 0) == -1 ? -1 : 0;
  ovf_free (vm);
  return r;
}

#define MAX_VMDK_DEPTH 32

/* A VMDK downloaded as REL (relative to the top file's directory) to
 * LOCAL: if it is a text descriptor, fetch its extents beside it; if it
 * has a parent whose hint is a relative name, fetch that too, and its
 * family.  An absolute hint (ESXi writes some) cannot be resolved over
 * HTTP: h2k-flatten will say that the parent is missing.
 */
static int
fetch_vmdk_family (const struct remote_url *u, const struct remote_opts *ro,
                   const char *dldir, const char *rel, const char *local,
                   int depth)
{
  struct h2k_vmdk_descriptor d = { 0 };
  const char *slash = strrchr (rel, '/');
  int prefix = slash ? (int) (slash - rel + 1) : 0;
  CLEANUP_FREE char *parent = NULL, *parent_local = NULL;
  int r = 0;

  if (depth > MAX_VMDK_DEPTH) {
    h2k_error ("%s: VMDK parents nested more than %d deep", u->display,
               MAX_VMDK_DEPTH);
    return -1;
  }
  if (access (local, F_OK) == -1 && errno == ENOENT) {
    /* A plan did not download it (too large for a descriptor). */
    h2k_debug ("%s: %s: not read in a dry run", u->display, rel);
    return 0;
  }
  if (h2k_vmdk_read_descriptor (local, &d) == -1)
    return -1;
  for (size_t i = 0; r == 0 && !d.embedded && i < d.nr_extents; ++i) {
    CLEANUP_FREE char *href = NULL;
    if (d.extents[i].file == NULL)
      continue;
    if (asprintf (&href, "%.*s%s", prefix, rel, d.extents[i].file) == -1) {
      href = NULL;
      h2k_error ("%m");
      r = -1;
    }
    else if (strcmp (href, rel) != 0)   /* not itself */
      r = download_sibling (u, ro, dldir, href, 0, 0);
  }
  if (r == 0 && d.parent_hint) {
    if (asprintf (&parent, "%.*s%s", prefix, rel, d.parent_hint) == -1) {
      parent = NULL;
      h2k_error ("%m");
      r = -1;
    }
    else if (!ovf_safe_href (parent))
      h2k_debug ("%s: parent %s: not a relative name, not fetched",
                 u->display, d.parent_hint);
    else if (download_sibling (u, ro, dldir, parent, 0, 1) == -1 ||
             (parent_local = h2k_path_join (dldir, parent)) == NULL)
      r = -1;
    else
      r = fetch_vmdk_family (u, ro, dldir, parent, parent_local, depth + 1);
  }
  h2k_vmdk_descriptor_free (&d);
  return r;
}

int
http_fetch_source (const struct remote_url *u, const struct fetch_opts *o,
                   const struct remote_opts *ro, const char *dldir,
                   char **top, const char **kind_hint)
{
  const char *base = strrchr (u->path, '/') + 1;
  CLEANUP_FREE char *url = NULL;
  CLEANUP_FREE char *dest = NULL;

  *top = NULL;
  *kind_hint = NULL;
  if (strcmp (base, ".") == 0 || strcmp (base, "..") == 0) {
    h2k_error ("%s: the URL must name a file", u->display);
    return -1;
  }
  if ((ro->password_file || ro->password_env) && u->user == NULL) {
    h2k_error ("%s: a password needs a user name in the URL "
               "(%s://USER@%s/...)", u->display, u->scheme, u->host);
    return -1;
  }
  if ((url = request_url (u, u->request_path, 1)) == NULL ||
      (dest = h2k_path_join (dldir, base)) == NULL) {
    h2k_error ("%s: %m", u->display);
    return -1;
  }
  if (fetch_one (url, u->display, NULL, dest, ro, ro->sha256,
                 h2k_ends_with_ci (base, ".ovf") ||
                 (h2k_ends_with_ci (base, ".vmdk") && o->format == NULL)) == -1)
    return -1;
  if (h2k_ends_with_ci (base, ".ova"))
    *kind_hint = "ova";
  else if (h2k_ends_with_ci (base, ".ovf")) {
    *kind_hint = "ovf";
    if (fetch_ovf_package (u, ro, dldir, dest) == -1)
      return -1;
  }
  else if (h2k_ends_with_ci (base, ".vmdk") && o->format == NULL &&
           fetch_vmdk_family (u, ro, dldir, base, dest, 0) == -1)
    return -1;
  *top = dest;
  dest = NULL;
  return 0;
}
