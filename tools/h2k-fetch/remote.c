/* h2k-fetch: URL sources (see remote.h): parsing, secrets, dispatch by
 * scheme, and the manifest's record of the transfer.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "h2k.h"
#include "remote.h"

#define URL_MAX 8192
#define SECRET_MAX 4096

static const char *const file_schemes[] = {
  "http", "https", "ssh", "sftp", NULL
};
static const char *const vsphere_schemes[] = { "vsphere", "esxi", NULL };

/* What each enum remote_url_kind accepts. */
struct url_rules {
  const char *const *schemes;
  const char *unknown;          /* message for another scheme */
  size_t max;                   /* bytes in the URL */
  const char *refused;          /* characters refused anywhere */
  const char *refused_why;
  int inventory;                /* vSphere: a plain host name, and a path
                                   that may be empty or a folder */
};

static const struct url_rules url_rules[] = {
  [REMOTE_URL_FILE] = {
    file_schemes, "not a URL h2k-fetch can read (http, https, ssh or sftp)",
    URL_MAX, " \t\r\n", "white space in the URL (percent-encode it as %20)",
    0,
  },
  [REMOTE_URL_VSPHERE] = {
    vsphere_schemes, "not a vsphere:// or esxi:// URL",
    4096, " \t\r\n?#",
    "white space, '?' or '#' in the URL (percent-encode them)",
    1,
  },
};

/* The scheme's length if S starts with one of SCHEMES and "://", else 0. */
static size_t
scheme_len (const char *s, const char *const *schemes)
{
  for (size_t i = 0; schemes[i]; ++i) {
    size_t n = strlen (schemes[i]);
    if (strncasecmp (s, schemes[i], n) == 0 && strncmp (s + n, "://", 3) == 0)
      return n;
  }
  return 0;
}

int
remote_url_is (const char *s, enum remote_url_kind kind)
{
  return scheme_len (s, url_rules[kind].schemes) > 0;
}

int
remote_is_url (const char *s)
{
  return remote_url_is (s, REMOTE_URL_FILE);
}

void
remote_url_free (struct remote_url *u)
{
  free (u->scheme);
  free (u->user);
  free (u->host);
  free (u->path);
  free (u->request_path);
  free (u->display);
  memset (u, 0, sizeof *u);
}


/* Percent-decode S[0..LEN) into a new string; NULL (errno EINVAL) on a
 * bad escape or an encoded NUL or control character.
 */
static char *
decode (const char *s, size_t len)
{
  char *r = malloc (len + 1), *q = r;

  if (r == NULL)
    return NULL;
  for (size_t i = 0; i < len; ++i) {
    int c = (unsigned char) s[i];
    if (c == '%') {
      if (i + 2 >= len || h2k_hexval (s[i + 1]) < 0 || h2k_hexval (s[i + 2]) < 0) {
        free (r);
        errno = EINVAL;
        return NULL;
      }
      c = h2k_hexval (s[i + 1]) * 16 + h2k_hexval (s[i + 2]);
      i += 2;
    }
    if (c < ' ' || c == 127) {
      free (r);
      errno = EINVAL;
      return NULL;
    }
    *q++ = (char) c;
  }
  *q = '\0';
  return r;
}

/* "scheme://[user@]host[:port]" + SEP + PATH into u->display. */
static int
make_display (struct remote_url *u, const char *sep, const char *path)
{
  int v6 = strchr (u->host, ':') != NULL;
  char port[16] = "";

  if (u->port)
    snprintf (port, sizeof port, ":%u", u->port);
  return asprintf (&u->display, "%s://%s%s%s%s%s%s%s%s", u->scheme,
                   u->user ? u->user : "", u->user ? "@" : "",
                   v6 ? "[" : "", u->host, v6 ? "]" : "", port, sep,
                   path) == -1
    ? (u->display = NULL, -1) : 0;
}

/* The authority A[0..LEN): [user[:password]@]host[:port]. */
static int
parse_authority (const char *url, const char *a, size_t len,
                 struct remote_url *u, const char **why)
{
  const char *at = memrchr (a, '@', len), *h = a, *end = a + len, *pe;

  if (at) {
    const char *colon = memchr (a, ':', at - a);
    if (colon) {
      *why = "a password in the URL is not accepted (it would show in "
        "process lists and logs); name it with --password-file or "
        "--password-env";
      return -1;
    }
    if (at == a || (u->user = decode (a, at - a)) == NULL) {
      *why = "bad user name";
      return -1;
    }
    h = at + 1;
  }
  if (*h == '[') {
    const char *close = memchr (h, ']', end - h);
    if (close == NULL || close == h + 1) {
      *why = "bad IPv6 address (no closing ']')";
      return -1;
    }
    u->host = strndup (h + 1, close - h - 1);
    pe = close + 1;
    if (u->host && strspn (u->host, "0123456789abcdefABCDEF:.") !=
        strlen (u->host)) {
      *why = "bad IPv6 address";
      return -1;
    }
  }
  else {
    const char *colon = memchr (h, ':', end - h);
    pe = colon ? colon : end;
    u->host = decode (h, pe - h);
  }
  if (u->host == NULL || u->host[0] == '\0' ||
      strpbrk (u->host, "/?#@ [] \\") != NULL) {
    *why = "no host, or a bad one";
    return -1;
  }
  if (pe < end) {
    char *e;
    unsigned long port;
    if (*pe != ':' || pe + 1 == end || !isdigit ((unsigned char) pe[1])) {
      *why = "bad port";
      return -1;
    }
    errno = 0;
    port = strtoul (pe + 1, &e, 10);
    if (e != end || errno || port == 0 || port > 65535) {
      *why = "bad port (1 to 65535)";
      return -1;
    }
    u->port = (unsigned) port;
  }
  (void) url;
  return 0;
}

/* "scheme://host/path" with any userinfo cut down to the user, for an
 * error message about S that must not show a password.
 */
static char *
safe_label (const char *s, size_t slen)
{
  const char *auth = s + slen + 3;
  size_t alen = strcspn (auth, "/?#");
  const char *at = memrchr (auth, '@', alen);
  const char *colon = at ? memchr (auth, ':', at - auth) : NULL;
  char *r;

  if (colon == NULL)
    r = strndup (s, strcspn (s, "?#"));
  else if (asprintf (&r, "%.*s%.*s%.*s", (int) (colon - s), s,
                     (int) (alen - (at - auth)), at,
                     (int) strcspn (auth + alen, "?#"), auth + alen) == -1)
    r = NULL;
  return r;
}

/* The path part PATH[0..PLEN) (QLEN with its ?query) into U, per R; NULL
 * or why not.
 */
static const char *
parse_path (const struct url_rules *r, const char *path, size_t plen,
            size_t qlen, struct remote_url *u)
{
  const char *p = path;
  size_t n = plen;

  if (r->inventory) {
    /* "DC1/vm/Folder/web01", or "": no leading or trailing '/'. */
    while (n && p[0] == '/')
      p++, n--;
    while (n && p[n - 1] == '/')
      n--;
  }
  else if (plen < 2 || path[0] != '/' || path[plen - 1] == '/')
    return "no file path (the URL must name a file)";
  if ((u->path = decode (p, n)) == NULL)
    return "bad percent-encoding in the path";
  if ((u->request_path = strndup (path, qlen)) == NULL ||
      make_display (u, r->inventory ? "/" : "", u->path) == -1)
    return strerror (errno);
  return NULL;
}

int
remote_url_parse_as (const char *s, enum remote_url_kind kind,
                     struct remote_url *u)
{
  const struct url_rules *r = &url_rules[kind];
  size_t slen = scheme_len (s, r->schemes);
  const char *auth, *path, *why = NULL;
  size_t alen, plen, qlen;
  CLEANUP_FREE char *label = NULL;

  memset (u, 0, sizeof *u);
  if (slen == 0) {
    h2k_error ("%s: %s", s, r->unknown);
    return -1;
  }
  if ((label = safe_label (s, slen)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  auth = s + slen + 3;
  alen = strcspn (auth, "/?#");
  path = auth + alen;
  plen = strcspn (path, "?#");          /* the path, decoded */
  qlen = strcspn (path, "#");           /* with its query, for requests */
  if (strlen (s) > r->max)
    why = "too long";
  else if (strpbrk (s, r->refused) != NULL)
    why = r->refused_why;
  else if ((u->scheme = strndup (s, slen)) == NULL)
    why = strerror (errno);
  else {
    for (char *p = u->scheme; *p; ++p)
      *p = (char) tolower ((unsigned char) *p);
    if (parse_authority (s, auth, alen, u, &why) == 0) {
      if (r->inventory &&
          strspn (u->host, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
          != strlen (u->host))
        why = "no host, or a bad one";
      else
        why = parse_path (r, path, plen, qlen, u);
    }
  }
  if (why) {
    h2k_error ("%s: %s", label, why);
    remote_url_free (u);
    return -1;
  }
  return 0;
}

int
remote_url_parse (const char *s, struct remote_url *u)
{
  return remote_url_parse_as (s, REMOTE_URL_FILE, u);
}

char *
remote_default_name (const char *s)
{
  struct remote_url u CLEANUP_REMOTE_URL = { 0 };
  const char *base;
  char *r, *dot;

  if (remote_url_parse (s, &u) == -1)
    return NULL;
  base = strrchr (u.path, '/') + 1;
  if ((r = strdup (base)) == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  dot = strrchr (r, '.');
  if (dot && dot != r)
    *dot = '\0';
  return r;
}

/* Secrets ------------------------------------------------------------ */

void
remote_secret_free (char **secret)
{
  if (*secret) {
    explicit_bzero (*secret, strlen (*secret));
    free (*secret);
    *secret = NULL;
  }
}

static int
secret_from_file (const char *file, const char *what, char **secret)
{
  char buf[SECRET_MAX + 1];
  CLEANUP_CLOSE int fd = open (file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  size_t len = 0;
  ssize_t r;

  if (fd == -1) {
    h2k_error ("%s: %s: %m", what, file);
    return -1;
  }
  while (len < sizeof buf - 1 &&
         (r = read (fd, buf + len, sizeof buf - 1 - len)) != 0) {
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      h2k_error ("%s: %s: %m", what, file);
      explicit_bzero (buf, sizeof buf);
      return -1;
    }
    len += r;
  }
  buf[len] = '\0';
  buf[strcspn (buf, "\r\n")] = '\0';
  if (buf[0] == '\0') {
    h2k_error ("%s: %s: empty (the secret is its first line)", what, file);
    return -1;
  }
  *secret = strdup (buf);
  explicit_bzero (buf, sizeof buf);
  if (*secret == NULL) {
    h2k_error ("%s: %m", what);
    return -1;
  }
  return 0;
}

int
remote_secret_load (const char *file, const char *env, const char *what,
                    char **secret)
{
  const char *v;

  *secret = NULL;
  if (file)
    return secret_from_file (file, what, secret);
  if (env == NULL)
    return 0;
  if ((v = getenv (env)) == NULL) {
    h2k_error ("%s: the environment variable %s is not set", what, env);
    return -1;
  }
  if (v[0] == '\0' || strlen (v) > SECRET_MAX) {
    h2k_error ("%s: the environment variable %s is empty or too long",
               what, env);
    return -1;
  }
  if ((*secret = strdup (v)) == NULL) {
    h2k_error ("%s: %m", what);
    return -1;
  }
  return 0;
}

/* The transfer's record --------------------------------------------- */

static struct remote_record *records;
static size_t nrecords;
static char *source_display;
static int source_insecure;
static int source_warn;         /* say --insecure on success (fetch_remote) */
static char **notes;            /* remote_note's, said on success */
static size_t nnotes;

void
remote_note (const char *fs, ...)
{
  char **v = realloc (notes, (nnotes + 1) * sizeof *v);
  va_list args;

  if (v == NULL)
    return;
  notes = v;
  va_start (args, fs);
  if (vasprintf (&notes[nnotes], fs, args) != -1)
    nnotes++;
  va_end (args);
}

static void
notes_free (void)
{
  for (size_t i = 0; i < nnotes; ++i)
    free (notes[i]);
  free (notes);
  notes = NULL;
  nnotes = 0;
}
static const char *source_protocol = "https";
/* During a plan: the private directory the walk downloads its small
 * text files into, and the download directory it stands for.
 */
static char *plan_tmp;
static const char *plan_dldir;

static void
record_free (struct remote_record *r)
{
  free (r->url);
  free (r->path);
  free (r->validator);
  free (r->sha256);
}

int
remote_record_file (const struct remote_record *r)
{
  struct remote_record *v = realloc (records, (nrecords + 1) * sizeof *v);
  struct remote_record *n;

  if (v == NULL) {
    h2k_error ("%s: %m", r->url);
    return -1;
  }
  records = v;
  n = &records[nrecords];
  *n = *r;
  n->url = strdup (r->url);
  n->path = strdup (r->path);
  if (plan_tmp) {
    size_t t = strlen (plan_tmp);
    free (n->path);
    n->planned = 1;
    if (strncmp (r->path, plan_tmp, t) == 0 && r->path[t] == '/')
      n->path = h2k_path_join (plan_dldir, r->path + t + 1);
    else
      n->path = strdup (r->path);
  }
  n->validator = r->validator ? strdup (r->validator) : NULL;
  n->sha256 = r->sha256 ? strdup (r->sha256) : NULL;
  if (n->url == NULL || n->path == NULL ||
      (r->validator && n->validator == NULL) ||
      (r->sha256 && n->sha256 == NULL)) {
    record_free (n);
    h2k_error ("%s: %m", r->url);
    return -1;
  }
  nrecords++;
  return 0;
}

static uint64_t
records_total (void)
{
  uint64_t t = 0;

  for (size_t i = 0; i < nrecords; ++i)
    t += records[i].size;
  return t;
}

static json_object *
record_json (const struct remote_record *r)
{
  json_object *j = json_object_new_object ();

  if (j == NULL ||
      h2k_json_set_string (j, "url", r->url) == -1 ||
      h2k_json_set_string (j, "path", r->path) == -1 ||
      h2k_json_set_int (j, "size", (int64_t) r->size) == -1 ||
      (!r->planned &&
       h2k_json_set_int (j, "resumed_from", (int64_t) r->resumed_from) == -1) ||
      (r->planned && h2k_json_set_bool (j, "planned", 1) == -1) ||
      (r->validator && r->validator[0] &&
       h2k_json_set_string (j, "validator", r->validator) == -1) ||
      (r->sha256 && h2k_json_set_string (j, "sha256", r->sha256) == -1)) {
    json_object_put (j);
    return NULL;
  }
  return j;
}

int
remote_record_manifest (json_object *m)
{
  json_object *vm = h2k_json_ensure_object (m, "vm");
  json_object *src = vm ? h2k_json_ensure_object (vm, "source") : NULL;
  json_object *rem = json_object_new_object ();
  json_object *files = json_object_new_array ();
  int planned = nrecords > 0 && records[0].planned;

  for (size_t i = 0; i < nnotes; ++i)
    h2k_info ("%s", notes[i]);
  notes_free ();
  if (source_warn)
    h2k_warning ("%s: --insecure: the server's TLS certificate was not "
                 "verified (recorded in the manifest)", source_display);
  source_warn = 0;

  if (src == NULL || rem == NULL || files == NULL ||
      h2k_json_set (src, "remote", rem) == -1) {
    json_object_put (rem);
    json_object_put (files);
    return -1;
  }
  if (h2k_json_set (rem, "files", files) == -1)
    return -1;
  for (size_t i = 0; i < nrecords; ++i) {
    json_object *j = record_json (&records[i]);
    if (h2k_json_array_add (files, j) == -1)
      return -1;
  }
  if (h2k_json_set_string (src, "url", source_display) == -1 ||
      h2k_json_set_string (rem, "protocol", source_protocol) == -1 ||
      h2k_json_set_bool (rem, "insecure", source_insecure) == -1 ||
      (source_insecure &&
       h2k_json_set_string (rem, "warning", "TLS certificates were not "
                            "verified (--insecure)") == -1) ||
      (planned && h2k_json_set_int (rem, "total_bytes",
                                    (int64_t) records_total ()) == -1))
    return -1;
  return 0;
}

void
remote_free (void)
{
  for (size_t i = 0; i < nrecords; ++i)
    record_free (&records[i]);
  free (records);
  records = NULL;
  nrecords = 0;
  notes_free ();
  free (source_display);
  source_display = NULL;
}

int
remote_set_source (const char *display, const char *protocol, int insecure)
{
  free (source_display);
  if ((source_display = strdup (display)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  source_protocol = protocol;
  source_insecure = insecure;
  return 0;
}

/* Fetch ------------------------------------------------------------- */

int
remote_plan_reads (const char *dest, uint64_t size)
{
  if (h2k_ends_with_ci (dest, ".vmdk"))
    return size <= REMOTE_PLAN_DESCRIPTOR_MAX;
  return (h2k_ends_with_ci (dest, ".vmx") || h2k_ends_with_ci (dest, ".ovf"))
    && size <= REMOTE_PLAN_TEXT_MAX;
}

/* The plan on stderr: one line a file, then the total. */
static void
print_plan (const char *display)
{
  char b[H2K_HUMAN_SIZE_LEN];

  for (size_t i = 0; i < nrecords; ++i)
    h2k_info ("plan: %s: %" PRIu64 " bytes (%s) -> %s", records[i].url,
              records[i].size, h2k_human_size (b, records[i].size),
              records[i].path);
  h2k_info ("plan: %s: %zu file%s, %" PRIu64 " bytes (%s) in total; "
            "dry run: nothing downloaded", display, nrecords,
            nrecords == 1 ? "" : "s", records_total (),
            h2k_human_size (b, records_total ()));
}

/* A plan: the walk runs in a private temporary directory standing for
 * DLDIR; *TOP is mapped back to DLDIR.  The directory is removed.
 */
static int
plan_remote (const struct remote_url *u, const struct fetch_opts *o,
             const struct remote_opts *ro, const char *dldir, char **top,
             const char **kind_hint)
{
  CLEANUP_FREE char *tmp = h2k_make_temp_dir ("h2k-fetch-plan");
  CLEANUP_FREE char *walked = NULL;
  size_t t;
  int r;

  if (tmp == NULL)
    return -1;
  plan_tmp = tmp;
  plan_dldir = dldir;
  if (ro->sha256)
    h2k_debug ("%s: dry run: --sha256 is not checked", u->display);
  if (strcmp (u->scheme, "http") == 0 || strcmp (u->scheme, "https") == 0)
    r = http_fetch_source (u, o, ro, tmp, &walked, kind_hint);
  else
    r = ssh_fetch_source (u, o, ro, tmp, &walked, kind_hint);
  plan_tmp = NULL;
  plan_dldir = NULL;
  if (h2k_remove_tree (tmp) == -1)
    h2k_warning ("%s: cannot remove the dry run's temporary directory: %m",
                 tmp);
  if (r == -1)
    return -1;
  t = strlen (tmp);
  *top = strncmp (walked, tmp, t) == 0 && walked[t] == '/'
    ? h2k_path_join (dldir, walked + t + 1) : strdup (walked);
  if (*top == NULL) {
    h2k_error ("%s: %m", u->display);
    return -1;
  }
  print_plan (u->display);
  return 0;
}

int
fetch_remote (const char *url, const struct fetch_opts *o,
              const struct remote_opts *ro, char **top,
              const char **kind_hint)
{
  struct remote_url u CLEANUP_REMOTE_URL = { 0 };
  CLEANUP_FREE char *dldir = NULL;
  int r;

  *top = NULL;
  *kind_hint = NULL;
  if (remote_url_parse (url, &u) == -1)
    return -1;
  if ((dldir = h2k_path_join (o->workdir, REMOTE_DOWNLOAD_DIR)) == NULL ||
      (!ro->plan && h2k_mkdir_p (dldir) == -1))
    return -1;
  free (source_display);
  if ((source_display = strdup (u.display)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  source_protocol = strcmp (u.scheme, "http") == 0 ? "http"
    : strcmp (u.scheme, "https") == 0 ? "https" : "sftp";
  source_insecure = ro->insecure && strcmp (u.scheme, "https") == 0;
  /* Said on success only: a failure is one line. */
  source_warn = source_insecure;
  if (ro->plan)
    r = plan_remote (&u, o, ro, dldir, top, kind_hint);
  else if (strcmp (u.scheme, "http") == 0 || strcmp (u.scheme, "https") == 0)
    r = http_fetch_source (&u, o, ro, dldir, top, kind_hint);
  else
    r = ssh_fetch_source (&u, o, ro, dldir, top, kind_hint);
  return r;
}
