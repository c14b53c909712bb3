/* h2k-fetch: the SSH session and the SFTP transfer of one file.
 *
 * Security first: the host key is checked against known_hosts before
 * anything else is sent (an unknown or changed key is refused, with its
 * fingerprint); the password, when there is one, is read from the file
 * or variable that names it, never logged, and wiped after use.  libssh
 * reads no ssh_config: what h2k-fetch does is what its options say.
 *
 * The transfer keeps SSH_REQUESTS read requests of SSH_READ bytes in
 * flight (OpenSSH's sftp keeps 64 of 32 KiB), writes each reply at its
 * offset through partial.c (which leaves zero blocks as holes) and marks
 * 32 MiB chunks done as they complete, so memory stays bounded and a
 * killed run resumes from its last complete chunk.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "cleanup.h"
#include "error.h"
#include "publish.h"
#include "util.h"
#include "remote.h"
#include "ssh.h"

#define SSH_READ      (64u << 10)       /* bytes per read request */
#define SSH_REQUESTS  48                /* read requests in flight */
#define SSH_TIMEOUT   60                /* seconds, connect and replies */
#define SSH_KBDINT_ROUNDS 4
/* AES-GCM first: with AES-NI it costs both ends less CPU than
 * chacha20-poly1305, which OpenSSH prefers.
 */
#define SSH_CIPHERS "aes128-gcm@openssh.com,aes256-gcm@openssh.com," \
  "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

struct ssh_conn {
  ssh_session s;
  sftp_session sftp;
  const struct remote_url *u;
  char hostport[300];           /* "host:port", for messages */
};

/* libssh's log, at -v and more, goes through h2k's debug lines. */
static void
log_cb (int priority, const char *function, const char *buffer, void *data)
{
  (void) priority; (void) function; (void) data;
  h2k_debug_at ("libssh", "%s", buffer);
}

static unsigned
port_of (const struct remote_url *u)
{
  return u->port ? u->port : 22;
}

static int
set_options (struct ssh_conn *c, const struct remote_opts *ro)
{
  const struct remote_url *u = c->u;
  unsigned port = port_of (u);
  long timeout = SSH_TIMEOUT;
  int verbosity = ro->verbose > 3 ? 3 : ro->verbose;
  int no = 0, yes = 1;
  int r = 0;

  if (verbosity > 0)
    ssh_set_log_callback (log_cb);
  r |= ssh_options_set (c->s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  r |= ssh_options_set (c->s, SSH_OPTIONS_HOST, u->host);
  r |= ssh_options_set (c->s, SSH_OPTIONS_PORT, &port);
  r |= ssh_options_set (c->s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  r |= ssh_options_set (c->s, SSH_OPTIONS_TIMEOUT, &timeout);
  /* Read requests are small packets sent while replies stream in:
   * Nagle's algorithm would hold them back.
   */
  r |= ssh_options_set (c->s, SSH_OPTIONS_NODELAY, &yes);
  r |= ssh_options_set (c->s, SSH_OPTIONS_CIPHERS_C_S, SSH_CIPHERS);
  r |= ssh_options_set (c->s, SSH_OPTIONS_CIPHERS_S_C, SSH_CIPHERS);
  if (u->user)
    r |= ssh_options_set (c->s, SSH_OPTIONS_USER, u->user);
  if (ro->known_hosts) {
    /* The file given is the only one: no global known_hosts. */
    r |= ssh_options_set (c->s, SSH_OPTIONS_KNOWNHOSTS, ro->known_hosts);
    r |= ssh_options_set (c->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
                          ro->known_hosts);
  }
  if (r != 0) {
    h2k_error ("%s: cannot set the SSH options: %s", u->display,
               ssh_get_error (c->s));
    return -1;
  }
  return 0;
}

/* "TYPE SHA256:base64" of the server's key into BUF. */
static void
host_fingerprint (ssh_session s, char *buf, size_t size)
{
  ssh_key key = NULL;
  unsigned char *hash = NULL;
  size_t hlen = 0;
  char *fp = NULL;

  snprintf (buf, size, "unknown fingerprint");
  if (ssh_get_server_publickey (s, &key) == SSH_OK &&
      ssh_get_publickey_hash (key, SSH_PUBLICKEY_HASH_SHA256, &hash,
                              &hlen) == 0 &&
      (fp = ssh_get_fingerprint_hash (SSH_PUBLICKEY_HASH_SHA256, hash,
                                      hlen)) != NULL)
    snprintf (buf, size, "%s %s",
              ssh_key_type_to_char (ssh_key_type (key)), fp);
  ssh_string_free_char (fp);
  ssh_clean_pubkey_hash (&hash);
  ssh_key_free (key);
}

static int
check_host_key (struct ssh_conn *c, const struct remote_opts *ro)
{
  const char *kh = ro->known_hosts ? ro->known_hosts : "~/.ssh/known_hosts";
  enum ssh_known_hosts_e st = ssh_session_is_known_server (c->s);
  char fp[200];

  if (st == SSH_KNOWN_HOSTS_OK)
    return 0;
  host_fingerprint (c->s, fp, sizeof fp);
  switch (st) {
  case SSH_KNOWN_HOSTS_CHANGED:
    h2k_error ("%s: host key of %s has CHANGED (the server now offers %s); "
               "refused: if the change is expected, replace its entry in %s",
               c->u->display, c->hostport, fp, kh);
    break;
  case SSH_KNOWN_HOSTS_OTHER:
    h2k_error ("%s: host key of %s has CHANGED (%s lists a key of another "
               "type; the server offers %s); refused", c->u->display,
               c->hostport, kh, fp);
    break;
  case SSH_KNOWN_HOSTS_UNKNOWN:
  case SSH_KNOWN_HOSTS_NOT_FOUND:
    h2k_error ("%s: host key of %s is not known (%s); add it to %s after "
               "checking it (ssh-keyscan -p %u %s)", c->u->display,
               c->hostport, fp, kh, port_of (c->u), c->u->host);
    break;
  default:
    h2k_error ("%s: cannot check the host key of %s against %s: %s",
               c->u->display, c->hostport, kh, ssh_get_error (c->s));
    break;
  }
  return -1;
}

/* Answer keyboard-interactive prompts that do not echo with PASSWORD
 * (ESXi's sshd asks for passwords this way).
 */
static int
auth_kbdint (ssh_session s, const char *password)
{
  int r = ssh_userauth_kbdint (s, NULL, NULL);

  for (int round = 0; r == SSH_AUTH_INFO && round < SSH_KBDINT_ROUNDS;
       ++round) {
    int n = ssh_userauth_kbdint_getnprompts (s);

    for (int i = 0; i < n; ++i) {
      char echo = 0;

      ssh_userauth_kbdint_getprompt (s, i, &echo);
      if (echo || ssh_userauth_kbdint_setanswer (s, i, password) < 0)
        return SSH_AUTH_DENIED;
    }
    r = ssh_userauth_kbdint (s, NULL, NULL);
  }
  return r == SSH_AUTH_INFO ? SSH_AUTH_DENIED : r;
}

static void
tried (char *buf, size_t size, const char *what)
{
  size_t n = strlen (buf);

  snprintf (buf + n, size - n, "%s%s", n ? ", " : "", what);
}

/* Try the key file, the agent, the password, in that order.  Returns
 * SSH_AUTH_SUCCESS, another SSH_AUTH_* code, or -2 already reported;
 * TRIED lists what was tried.
 */
static int
try_methods (struct ssh_conn *c, const struct remote_opts *ro,
             const char *secret, char *tried_buf, size_t size)
{
  int r = SSH_AUTH_DENIED;

  if (ro->identity_file) {
    ssh_key key = NULL;
    char what[PATH_MAX + 8];

    if (ssh_pki_import_privkey_file (ro->identity_file, secret, NULL, NULL,
                                     &key) != SSH_OK) {
      h2k_error ("%s: --identity-file %s: cannot read the private key (not "
                 "a key, or encrypted and no passphrase given with "
                 "--password-file/--password-env)", c->u->display,
                 ro->identity_file);
      return -2;
    }
    r = ssh_userauth_publickey (c->s, NULL, key);
    ssh_key_free (key);
    snprintf (what, sizeof what, "key %s", ro->identity_file);
    tried (tried_buf, size, what);
    if (r == SSH_AUTH_SUCCESS || r == SSH_AUTH_ERROR)
      return r;
  }
  if (getenv ("SSH_AUTH_SOCK")) {
    r = ssh_userauth_agent (c->s, NULL);
    tried (tried_buf, size, "agent");
    if (r == SSH_AUTH_SUCCESS || r == SSH_AUTH_ERROR)
      return r;
  }
  if (secret) {
    r = ssh_userauth_password (c->s, NULL, secret);
    if (r == SSH_AUTH_DENIED)
      r = auth_kbdint (c->s, secret);
    tried (tried_buf, size, "password");
  }
  return r;
}

static int
authenticate (struct ssh_conn *c, const struct remote_opts *ro)
{
  char *secret = NULL;
  char tried_buf[PATH_MAX + 64] = "";
  char *user = NULL;
  int r;

  if (remote_secret_load (ro->password_file, ro->password_env,
                          ro->password_file ? "--password-file"
                          : "--password-env", &secret) == -1)
    return -1;
  r = try_methods (c, ro, secret, tried_buf, sizeof tried_buf);
  remote_secret_free (&secret);
  if (r == SSH_AUTH_SUCCESS)
    return 0;
  if (r == -2)
    return -1;
  ssh_options_get (c->s, SSH_OPTIONS_USER, &user);
  if (r == SSH_AUTH_ERROR)
    h2k_error ("%s: authentication of %s failed: %s", c->u->display,
               user ? user : "?", ssh_get_error (c->s));
  else
    h2k_error ("%s: authentication failed for %s (tried: %s)", c->u->display,
               user ? user : "?",
               tried_buf[0] ? tried_buf : "nothing: give --identity-file, "
               "an ssh-agent, or --password-file/--password-env");
  ssh_string_free_char (user);
  return -1;
}

static int
start_sftp (struct ssh_conn *c)
{
  c->sftp = sftp_new (c->s);
  if (c->sftp == NULL) {
    h2k_error ("%s: the server refused SFTP: %s", c->u->display,
               ssh_get_error (c->s));
    return -1;
  }
  if (sftp_init (c->sftp) != SSH_OK) {
    h2k_error ("%s: the server refused SFTP (the sftp subsystem did not "
               "start: %s)", c->u->display, ssh_get_error (c->s));
    return -1;
  }
  return 0;
}

/* Everything between a new session and a usable SFTP channel. */
static int
conn_start (struct ssh_conn *c, const struct remote_opts *ro)
{
  const struct remote_url *u = c->u;

  c->s = ssh_new ();
  if (c->s == NULL) {
    h2k_error ("%s: cannot create an SSH session", u->display);
    return -1;
  }
  if (set_options (c, ro) == -1)
    return -1;
  h2k_debug ("%s: connecting to %s", u->display, c->hostport);
  if (ssh_connect (c->s) != SSH_OK) {
    h2k_error ("%s: cannot connect to %s: %s", u->display, c->hostport,
               ssh_get_error (c->s));
    return -1;
  }
  if (check_host_key (c, ro) == -1 || authenticate (c, ro) == -1)
    return -1;
  return start_sftp (c);
}

struct ssh_conn *
ssh_conn_open (const struct remote_url *u, const struct remote_opts *ro)
{
  struct ssh_conn *c = calloc (1, sizeof *c);

  if (c == NULL) {
    h2k_error ("%s: %m", u->display);
    return NULL;
  }
  c->u = u;
  snprintf (c->hostport, sizeof c->hostport,
            strchr (u->host, ':') ? "[%s]:%u" : "%s:%u", u->host, port_of (u));
  if (conn_start (c, ro) == -1) {
    ssh_conn_close (c);
    return NULL;
  }
  return c;
}

void
ssh_conn_close (struct ssh_conn *c)
{
  if (c == NULL)
    return;
  if (c->sftp)
    sftp_free (c->sftp);
  if (c->s) {
    ssh_disconnect (c->s);
    ssh_free (c->s);
  }
  free (c);
}

void
ssh_conn_closep (struct ssh_conn **c)
{
  ssh_conn_close (*c);
}

char *
ssh_conn_label (const struct ssh_conn *c, const char *path)
{
  const struct remote_url *u = c->u;
  char port[16] = "";
  char *s;

  if (u->port)
    snprintf (port, sizeof port, ":%u", u->port);
  if (asprintf (&s, "%s://%s%s%s%s%s%s%s", u->scheme,
                u->user ? u->user : "", u->user ? "@" : "",
                strchr (u->host, ':') ? "[" : "", u->host,
                strchr (u->host, ':') ? "]" : "", port, path) == -1) {
    h2k_error ("%s: %m", u->display);
    return NULL;
  }
  return s;
}

/* The SFTP error of the last call, in words. */
static const char *
sftp_strerror (struct ssh_conn *c)
{
  switch (sftp_get_error (c->sftp)) {
  case SSH_FX_NO_SUCH_FILE: return "no such file on the host";
  case SSH_FX_PERMISSION_DENIED: return "permission denied by the host";
  case SSH_FX_EOF: return "end of file";
  case SSH_FX_OK: return ssh_get_error (c->s);
  default: return ssh_get_error (c->s);
  }
}

static uint64_t
attr_mtime (sftp_attributes a)
{
  return a->mtime64 ? a->mtime64 : a->mtime;
}

int
ssh_conn_stat (struct ssh_conn *c, const char *path, const char *what,
               uint64_t *size, uint64_t *mtime)
{
  sftp_attributes a = sftp_stat (c->sftp, path);
  int r = 1;

  if (a == NULL) {
    if (sftp_get_error (c->sftp) == SSH_FX_NO_SUCH_FILE)
      return 0;
    h2k_error ("%s: %s: %s", what, path, sftp_strerror (c));
    return -1;
  }
  if (a->type != SSH_FILEXFER_TYPE_REGULAR) {
    h2k_error ("%s: %s: not a regular file", what, path);
    r = -1;
  }
  *size = a->size;
  *mtime = attr_mtime (a);
  sftp_attributes_free (a);
  return r;
}

char *
ssh_conn_canonical (struct ssh_conn *c, const char *path)
{
  return sftp_canonicalize_path (c->sftp, path);
}

/* ---------------------------------------------------------------- */
/* One file. */

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
                 sftp_strerror (x->c));
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
               sftp_strerror (x->c));
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
               rq->off, sftp_strerror (x->c));
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
    h2k_error ("%s: %s", x->label, sftp_strerror (x->c));
    return -1;
  }
  if (a->size != x->size || attr_mtime (a) != mtime) {
    h2k_error ("%s: the file changed during the transfer (size %" PRIu64
               " -> %" PRIu64 ", mtime %" PRIu64 " -> %" PRIu64 "); run "
               "again to start it over", x->label, x->size, a->size, mtime,
               attr_mtime (a));
    r = -1;
  }
  sftp_attributes_free (a);
  return r;
}

static uint64_t
done_bytes (const struct partial *p)
{
  uint64_t sum = 0, off, len;

  for (size_t i = 0; i < partial_nchunks (p); ++i)
    if (partial_chunk_is_done (p, i)) {
      partial_chunk_range (p, i, &off, &len);
      sum += len;
    }
  return sum;
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
  x->received = done_bytes (x->p);
  if (pipeline (x) == -1 || check_unchanged (x, mtime) == -1)
    return -1;
  return partial_commit (x->p, sha256, hex);
}

static int
download_open (struct ssh_conn *c, const char *path, const char *label,
               const char *dest, const char *sha256)
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
  if (make_parent (dest) == -1 ||
      (p = partial_open (dest, label, size, validator, &complete)) == NULL)
    return -1;
  resumed = complete ? size : done_bytes (p);
  if (complete)
    return record (label, dest, size, resumed, validator, NULL);
  x = calloc (1, sizeof *x);
  if (x == NULL) {
    h2k_error ("%s: %m", label);
    return -1;
  }
  *x = (struct xfer) { .c = c, .p = p, .label = label, .size = size };
  x->f = sftp_open (c->sftp, path, O_RDONLY, 0);
  if (x->f == NULL)
    h2k_error ("%s: cannot open: %s", label, sftp_strerror (c));
  else if (transfer (x, mtime, sha256, hex) == 0)
    r = record (label, dest, size, resumed, validator, hex);
  if (x->f)
    sftp_close (x->f);
  free (x);
  return r;
}

int
ssh_download (struct ssh_conn *c, const char *path, const char *dest,
              const char *sha256)
{
  CLEANUP_FREE char *label = ssh_conn_label (c, path);

  if (label == NULL)
    return -1;
  h2k_debug ("%s -> %s", label, dest);
  return download_open (c, path, label, dest, sha256);
}
