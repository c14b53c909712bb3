/* h2k-fetch: the SSH session: host key, logging in, SFTP started.
 *
 * Security first: the host key is checked against known_hosts before
 * anything else is sent (an unknown or changed key is refused, with its
 * fingerprint); the password, when there is one, is read from the file
 * or variable that names it, never logged, and wiped after use.  libssh
 * reads no ssh_config: what h2k-fetch does is what its options say.
 * The transfer itself is in sftp.c.
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

#define SSH_TIMEOUT   60                /* seconds, connect and replies */
#define SSH_KBDINT_ROUNDS 4
/* AES-GCM first: with AES-NI it costs both ends less CPU than
 * chacha20-poly1305, which OpenSSH prefers.
 */
#define SSH_CIPHERS "aes128-gcm@openssh.com,aes256-gcm@openssh.com," \
  "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"


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
  c->plan = ro->plan;
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

const char *
ssh_conn_strerror (struct ssh_conn *c)
{
  switch (sftp_get_error (c->sftp)) {
  case SSH_FX_NO_SUCH_FILE: return "no such file on the host";
  case SSH_FX_PERMISSION_DENIED: return "permission denied by the host";
  case SSH_FX_EOF: return "end of file";
  case SSH_FX_OK: return ssh_get_error (c->s);
  default: return ssh_get_error (c->s);
  }
}

uint64_t
ssh_attr_mtime (sftp_attributes a)
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
    h2k_error ("%s: %s: %s", what, path, ssh_conn_strerror (c));
    return -1;
  }
  if (a->type != SSH_FILEXFER_TYPE_REGULAR) {
    h2k_error ("%s: %s: not a regular file", what, path);
    r = -1;
  }
  *size = a->size;
  *mtime = ssh_attr_mtime (a);
  sftp_attributes_free (a);
  return r;
}

char *
ssh_conn_canonical (struct ssh_conn *c, const char *path)
{
  return sftp_canonicalize_path (c->sftp, path);
}
