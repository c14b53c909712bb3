/* h2k-fetch: the vSphere API session (SOAP over HTTPS on /sdk).
 *
 * One libcurl easy handle per run, its cookie engine on, so that the
 * vmware_soap_session cookie Login sets is sent with every call; the
 * same cookie goes with the datastore downloads (vs_cookie_header).
 * Envelopes are built from escaped values; responses are parsed by
 * libxml2 without network access or entity expansion.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "h2k.h"
#include "vsphere.h"

#define VS_TASK_TIMEOUT 3600    /* seconds a task may take */

struct vs_session {
  CURL *h;
  char *label;                  /* the URL's display form, for messages */
  char *base;                   /* https://host[:port] */
  char *sdk;                    /* BASE/sdk */
  char *user;
  char *password;               /* wiped on close */
  char *cookie_header;          /* "Cookie: vmware_soap_session=..." */
  char *pc, *view_manager, *root, *session_manager;
  int esxi;
  int logged_in;
  unsigned char pin[EVP_MAX_MD_SIZE];   /* --thumbprint */
  size_t pin_len;               /* 20 (SHA-1), 32 (SHA-256) or 0 */
  int pin_failed;
  char peer[3 * EVP_MAX_MD_SIZE];       /* the peer's, as seen */
};

static int
hexdigit (int c)
{
  return isdigit (c) ? c - '0' : tolower (c) - 'a' + 10;
}

/* XML helpers ------------------------------------------------------ */

static int
is_elem (xmlNode *n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE &&
    (name == NULL || strcmp ((const char *) n->name, name) == 0);
}

xmlNode *
vs_next (xmlNode *n, const char *name)
{
  for (n = n ? n->next : NULL; n; n = n->next)
    if (is_elem (n, name))
      return n;
  return NULL;
}

xmlNode *
vs_child (xmlNode *n, const char *name)
{
  if (n == NULL)
    return NULL;
  for (n = n->children; n; n = n->next)
    if (is_elem (n, name))
      return n;
  return NULL;
}

char *
vs_text (xmlNode *n)
{
  xmlChar *t;
  char *r;

  if (n == NULL)
    return NULL;
  if ((t = xmlNodeGetContent (n)) == NULL)
    return strdup ("");
  r = strdup ((const char *) t);
  xmlFree (t);
  if (r == NULL)
    h2k_error ("%m");
  return r;
}

char *
vs_child_text (xmlNode *n, const char *name)
{
  return vs_text (vs_child (n, name));
}

const char *
vs_type (xmlNode *n)
{
  static const xmlChar xsi[] = "http://www.w3.org/2001/XMLSchema-instance";
  xmlAttr *a;

  for (a = n->properties; a; a = a->next)
    if (strcmp ((const char *) a->name, "type") == 0 && a->ns &&
        xmlStrcmp (a->ns->href, xsi) == 0 && a->children &&
        a->children->content) {
      const char *t = (const char *) a->children->content;
      const char *colon = strchr (t, ':');
      return colon ? colon + 1 : t;
    }
  return (const char *) n->name;
}

char *
vs_escape (const char *s)
{
  size_t n = 1;
  char *r, *q;

  for (const char *p = s; *p; ++p)
    n += strchr ("&<>\"'", *p) ? 6 : 1;
  if ((r = q = malloc (n)) == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (const char *p = s; *p; ++p)
    switch (*p) {
    case '&': q = stpcpy (q, "&amp;"); break;
    case '<': q = stpcpy (q, "&lt;"); break;
    case '>': q = stpcpy (q, "&gt;"); break;
    case '"': q = stpcpy (q, "&quot;"); break;
    case '\'': q = stpcpy (q, "&apos;"); break;
    default: *q++ = *p;
    }
  *q = '\0';
  return r;
}

/* TLS -------------------------------------------------------------- */

/* --thumbprint "AB:CD:..." (SHA-1, as vSphere shows it, or SHA-256) into
 * bytes.
 */
static int
parse_thumbprint (const char *t, unsigned char *out, size_t *len)
{
  size_t n = 0;

  for (const char *p = t; *p; ) {
    if (*p == ':') {
      p++;
      continue;
    }
    if (!isxdigit ((unsigned char) p[0]) || !isxdigit ((unsigned char) p[1]) ||
        n == EVP_MAX_MD_SIZE)
      return -1;
    out[n++] = (unsigned char) (hexdigit (p[0]) * 16 + hexdigit (p[1]));
    p += 2;
  }
  if (n != 20 && n != 32)
    return -1;
  *len = n;
  return 0;
}

static int pin_index = -1;

/* OpenSSL's verify callback: at the leaf, the certificate's digest must
 * be the pinned one; the chain is not judged (self-signed is the norm).
 */
static int
pin_verify (int preverify_ok, X509_STORE_CTX *x)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (x, SSL_get_ex_data_X509_STORE_CTX_idx ());
  SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX (ssl) : NULL;
  struct vs_session *s = ctx ? SSL_CTX_get_ex_data (ctx, pin_index) : NULL;
  X509 *cert = X509_STORE_CTX_get_current_cert (x);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;

  (void) preverify_ok;
  if (s == NULL || cert == NULL)
    return 0;
  if (X509_STORE_CTX_get_error_depth (x) != 0)
    return 1;
  if (!X509_digest (cert, s->pin_len == 20 ? EVP_sha1 () : EVP_sha256 (),
                    md, &mdlen))
    return 0;
  for (unsigned i = 0; i < mdlen; ++i)
    sprintf (s->peer + 3 * i, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
  if (mdlen != s->pin_len || memcmp (md, s->pin, mdlen) != 0) {
    s->pin_failed = 1;
    return 0;
  }
  return 1;
}

static CURLcode
pin_ctx (CURL *h, void *sslctx, void *arg)
{
  (void) h;
  if (pin_index < 0)
    pin_index = SSL_CTX_get_ex_new_index (0, NULL, NULL, NULL, NULL);
  if (pin_index < 0 || !SSL_CTX_set_ex_data (sslctx, pin_index, arg))
    return CURLE_SSL_CERTPROBLEM;
  SSL_CTX_set_verify (sslctx, SSL_VERIFY_PEER, pin_verify);
  return CURLE_OK;
}

int
vs_tls_apply (void *curl, void *session)
{
  struct vs_session *s = session;

  if (s->pin_len == 0)
    return 0;
  if (curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK ||
      curl_easy_setopt (curl, CURLOPT_SSL_CTX_FUNCTION, pin_ctx) != CURLE_OK ||
      curl_easy_setopt (curl, CURLOPT_SSL_CTX_DATA, s) != CURLE_OK)
    return -1;
  return 0;
}

static int
setup_tls (struct vs_session *s, const struct remote_opts *ro,
           const char *thumbprint)
{
  CURLcode c = CURLE_OK;

  if (thumbprint) {
    if (parse_thumbprint (thumbprint, s->pin, &s->pin_len) == -1) {
      h2k_error ("--thumbprint: expected the SHA-1 (20 bytes) or SHA-256 "
                 "(32 bytes) of the certificate in hex, ':' allowed");
      return -1;
    }
    /* The pin replaces the CA check (and the name check, as vSphere's
     * own clients do with a pinned thumbprint).
     */
    if ((c = curl_easy_setopt (s->h, CURLOPT_SSL_VERIFYPEER, 0L)) ||
        (c = curl_easy_setopt (s->h, CURLOPT_SSL_VERIFYHOST, 0L)) ||
        (c = curl_easy_setopt (s->h, CURLOPT_SSL_CTX_FUNCTION, pin_ctx)) ||
        (c = curl_easy_setopt (s->h, CURLOPT_SSL_CTX_DATA, s)))
      goto err;
    return 0;
  }
  if (ro->insecure) {
    if ((c = curl_easy_setopt (s->h, CURLOPT_SSL_VERIFYPEER, 0L)) ||
        (c = curl_easy_setopt (s->h, CURLOPT_SSL_VERIFYHOST, 0L)))
      goto err;
    return 0;
  }
  if (ro->cacert && (c = curl_easy_setopt (s->h, CURLOPT_CAINFO, ro->cacert)))
    goto err;
  return 0;
 err:
  h2k_error ("%s: TLS setup: %s", s->label, curl_easy_strerror (c));
  return -1;
}

/* HTTP ------------------------------------------------------------- */

struct buf {
  char *data;
  size_t len, cap;
  int too_big;
};

static size_t
buf_write (char *p, size_t size, size_t n, void *arg)
{
  struct buf *b = arg;
  size_t len = size * n;

  if (b->len + len > VS_MAX_RESPONSE) {
    b->too_big = 1;
    return 0;
  }
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    char *d;
    while (cap < b->len + len + 1)
      cap *= 2;
    if ((d = realloc (b->data, cap)) == NULL)
      return 0;
    b->data = d;
    b->cap = cap;
  }
  memcpy (b->data + b->len, p, len);
  b->len += len;
  b->data[b->len] = '\0';
  return len;
}

static const char envelope_head[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
  "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
  " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
  " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
  "<soapenv:Body>";
static const char envelope_tail[] = "</soapenv:Body></soapenv:Envelope>";

/* POST ENVELOPE; *B gets the response body, *STATUS the HTTP status. */
static int
post (struct vs_session *s, const char *envelope, struct buf *b, long *status)
{
  struct curl_slist *hdrs = NULL, *h1, *h2;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURLcode c;

  h1 = curl_slist_append (NULL, "Content-Type: text/xml; charset=utf-8");
  h2 = h1 ? curl_slist_append (h1, "SOAPAction: \"urn:vim25/6.5\"") : NULL;
  if (h2 == NULL) {
    curl_slist_free_all (h1);
    h2k_error ("%m");
    return -1;
  }
  hdrs = h2;
  curl_easy_setopt (s->h, CURLOPT_URL, s->sdk);
  curl_easy_setopt (s->h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt (s->h, CURLOPT_POSTFIELDS, envelope);
  curl_easy_setopt (s->h, CURLOPT_WRITEFUNCTION, buf_write);
  curl_easy_setopt (s->h, CURLOPT_WRITEDATA, b);
  curl_easy_setopt (s->h, CURLOPT_ERRORBUFFER, errbuf);
  c = curl_easy_perform (s->h);
  curl_easy_setopt (s->h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt (s->h, CURLOPT_POSTFIELDS, NULL);
  curl_easy_setopt (s->h, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all (hdrs);
  if (c == CURLE_OK) {
    curl_easy_getinfo (s->h, CURLINFO_RESPONSE_CODE, status);
    return 0;
  }
  if (s->pin_failed)
    h2k_error ("%s: the server's certificate has thumbprint %s, not the "
               "one given with --thumbprint", s->label, s->peer);
  else if (b->too_big)
    h2k_error ("%s: response larger than %u MiB", s->label,
               VS_MAX_RESPONSE >> 20);
  else if (c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE)
    h2k_error ("%s: the server's TLS certificate is not trusted (%s); give "
               "its CA with --cacert or pin it with --thumbprint", s->label,
               errbuf[0] ? errbuf : curl_easy_strerror (c));
  else
    h2k_error ("%s: %s", s->label, errbuf[0] ? errbuf : curl_easy_strerror (c));
  return -1;
}

/* The fault in BODY: "NAME: message" reported; *FAULT gets NAME. */
static void
report_fault (struct vs_session *s, const char *method, xmlNode *fault,
              char **fault_name)
{
  CLEANUP_FREE char *msg = vs_child_text (fault, "faultstring");
  xmlNode *detail = vs_child (vs_child (fault, "detail"), NULL);
  const char *name = detail ? vs_type (detail) : "unknown";
  size_t n = strlen (name);

  if (n > 5 && strcmp (name + n - 5, "Fault") == 0 && detail &&
      strcmp (name, (const char *) detail->name) == 0)
    n -= 5;                     /* "InvalidLoginFault" element, no xsi:type */
  if (msg)
    for (char *p = msg; *p; ++p)
      if (*p == '\n' || *p == '\r')
        *p = ' ';
  h2k_error ("%s: %s: SOAP fault %.*s: %s", s->label, method, (int) n, name,
             msg && *msg ? msg : "(no message)");
  if (fault_name)
    *fault_name = strndup (name, n);
}

int
vs_call (struct vs_session *s, const char *method, const char *this_type,
         const char *this_value, const char *body, xmlDoc **docp,
         xmlNode **ret, char **fault)
{
  char *env = NULL;               /* may hold the password: wiped */
  struct buf b = { 0 };
  long status = 0;
  xmlDoc *doc = NULL;
  xmlNode *bodyn, *first;
  int r = -1;

  *docp = NULL;
  *ret = NULL;
  if (fault)
    *fault = NULL;
  if (asprintf (&env, "%s<%s xmlns=\"urn:vim25\"><_this type=\"%s\">%s"
                "</_this>%s</%s>%s", envelope_head, method, this_type,
                this_value, body ? body : "", method, envelope_tail) == -1) {
    env = NULL;
    h2k_error ("%m");
    goto out;
  }
  h2k_debug ("%s: %s on %s:%s", s->label, method, this_type, this_value);
  if (post (s, env, &b, &status) == -1)
    goto out;
  if (b.len)
    doc = xmlReadMemory (b.data, (int) b.len, "soap.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR |
                         XML_PARSE_NOWARNING);
  bodyn = doc ? vs_child (xmlDocGetRootElement (doc), "Body") : NULL;
  first = vs_child (bodyn, NULL);
  if (first && strcmp ((const char *) first->name, "Fault") == 0)
    report_fault (s, method, first, fault);
  else if (first == NULL || status != 200)
    h2k_error ("%s: %s: HTTP status %ld%s", s->label, method, status,
               doc ? "" : ", not a SOAP response");
  else {
    *docp = doc;
    *ret = first;
    doc = NULL;
    r = 0;
  }
 out:
  if (env) {
    explicit_bzero (env, strlen (env));
    free (env);
  }
  xmlFreeDoc (doc);
  free (b.data);
  return r;
}

/* Session ---------------------------------------------------------- */

static int
service_content (struct vs_session *s)
{
  xmlDoc *doc;
  xmlNode *ret, *rv, *about;
  CLEANUP_FREE char *api_type = NULL;
  int r = -1;

  if (vs_call (s, "RetrieveServiceContent", "ServiceInstance",
               "ServiceInstance", NULL, &doc, &ret, NULL) == -1)
    return -1;
  rv = vs_child (ret, "returnval");
  about = vs_child (rv, "about");
  s->pc = vs_child_text (rv, "propertyCollector");
  s->view_manager = vs_child_text (rv, "viewManager");
  s->root = vs_child_text (rv, "rootFolder");
  s->session_manager = vs_child_text (rv, "sessionManager");
  api_type = vs_child_text (about, "apiType");
  if (s->pc && s->view_manager && s->root && s->session_manager && api_type) {
    s->esxi = strcmp (api_type, "HostAgent") == 0;
    h2k_debug ("%s: connected, API type %s", s->label, api_type);
    r = 0;
  }
  else
    h2k_error ("%s: RetrieveServiceContent: no property collector, view "
               "manager, root folder or session manager (not a vSphere "
               "API?)", s->label);
  xmlFreeDoc (doc);
  return r;
}

/* The vmware_soap_session cookie the engine holds, as a header. */
static int
keep_cookie (struct vs_session *s)
{
  struct curl_slist *list = NULL;
  int r = -1;

  if (curl_easy_getinfo (s->h, CURLINFO_COOKIELIST, &list) != CURLE_OK)
    list = NULL;
  for (struct curl_slist *l = list; l; l = l->next) {
    /* host, subdomains, path, secure, expiry, name, value (tabs) */
    const char *f = l->data;
    for (int i = 0; i < 5 && f; ++i)
      f = (f = strchr (f, '\t')) ? f + 1 : NULL;
    if (f && strncmp (f, "vmware_soap_session\t", 20) == 0) {
      free (s->cookie_header);
      if (asprintf (&s->cookie_header, "Cookie: vmware_soap_session=%s",
                    f + 20) == -1)
        s->cookie_header = NULL;
      else
        r = 0;
      break;
    }
  }
  curl_slist_free_all (list);
  if (r == -1)
    h2k_error ("%s: Login: the server set no vmware_soap_session cookie",
               s->label);
  return r;
}

static int
login (struct vs_session *s)
{
  CLEANUP_FREE char *u = vs_escape (s->user);
  CLEANUP_FREE char *body = NULL;
  xmlDoc *doc = NULL;
  xmlNode *ret;
  int r;

  if (u == NULL)
    return -1;
  {
    CLEANUP_FREE char *p = vs_escape (s->password);
    if (p == NULL ||
        asprintf (&body, "<userName>%s</userName><password>%s</password>",
                  u, p) == -1) {
      if (p)
        explicit_bzero (p, strlen (p));
      h2k_error ("%m");
      return -1;
    }
    explicit_bzero (p, strlen (p));
  }
  r = vs_call (s, "Login", "SessionManager", s->session_manager, body, &doc,
               &ret, NULL);
  explicit_bzero (body, strlen (body));
  xmlFreeDoc (doc);
  if (r == 0) {
    s->logged_in = 1;
    r = keep_cookie (s);
  }
  return r;
}

int
vs_relogin (struct vs_session *s)
{
  s->logged_in = 0;
  curl_easy_setopt (s->h, CURLOPT_COOKIELIST, "ALL");   /* the dead cookie */
  h2k_info ("%s: the session ended; logging in again", s->label);
  return login (s);
}

static int
session_init (struct vs_session *s, const struct remote_url *u,
              const struct remote_opts *ro, const char *thumbprint)
{
  char port[16] = "";

  if (u->port)
    snprintf (port, sizeof port, ":%u", u->port);
  if ((s->label = strdup (u->display)) == NULL ||
      asprintf (&s->base, "https://%s%s", u->host, port) == -1 ||
      asprintf (&s->sdk, "%s/sdk", s->base) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if ((s->h = curl_easy_init ()) == NULL) {
    h2k_error ("%s: cannot start libcurl", s->label);
    return -1;
  }
  curl_easy_setopt (s->h, CURLOPT_COOKIEFILE, "");
  curl_easy_setopt (s->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (s->h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt (s->h, CURLOPT_TIMEOUT, 600L);
  curl_easy_setopt (s->h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt (s->h, CURLOPT_USERAGENT, "h2k-fetch/" H2K_VERSION);
  return setup_tls (s, ro, thumbprint);
}

struct vs_session *
vs_open (const struct remote_url *u, const struct remote_opts *ro,
         const char *thumbprint, const char *password)
{
  struct vs_session *s = calloc (1, sizeof *s);

  if (s == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  if (session_init (s, u, ro, thumbprint) == -1 || service_content (s) == -1)
    goto err;
  if (u->user == NULL || password == NULL) {
    h2k_error ("%s: the vSphere API needs a user (user@host in the URL) and "
               "a password (--password-file or --password-env)", s->label);
    goto err;
  }
  if ((s->user = strdup (u->user)) == NULL ||
      (s->password = strdup (password)) == NULL) {
    h2k_error ("%m");
    goto err;
  }
  if (login (s) == -1)
    goto err;
  return s;
 err:
  vs_close (s);
  return NULL;
}

void
vs_close (struct vs_session *s)
{
  if (s == NULL)
    return;
  if (s->logged_in) {
    xmlDoc *doc = NULL;
    xmlNode *ret;
    if (vs_call (s, "Logout", "SessionManager", s->session_manager, NULL,
                 &doc, &ret, NULL) == 0)
      h2k_debug ("%s: logged out", s->label);
    xmlFreeDoc (doc);
  }
  if (s->h)
    curl_easy_cleanup (s->h);
  if (s->password) {
    explicit_bzero (s->password, strlen (s->password));
    free (s->password);
  }
  if (s->cookie_header) {
    explicit_bzero (s->cookie_header, strlen (s->cookie_header));
    free (s->cookie_header);
  }
  free (s->label);
  free (s->base);
  free (s->sdk);
  free (s->user);
  free (s->pc);
  free (s->view_manager);
  free (s->root);
  free (s->session_manager);
  free (s);
}

const char *vs_base (const struct vs_session *s) { return s->base; }
int vs_is_esxi (const struct vs_session *s) { return s->esxi; }
const char *vs_cookie_header (const struct vs_session *s)
{
  return s->logged_in ? s->cookie_header : NULL;
}
const char *vs_property_collector (const struct vs_session *s) { return s->pc; }
const char *vs_view_manager (const struct vs_session *s) { return s->view_manager; }
const char *vs_root_folder (const struct vs_session *s) { return s->root; }

/* Tasks ------------------------------------------------------------ */

/* Read the task's info: *STATE, and on error report its fault. */
static int
task_info (struct vs_session *s, const char *task, const char *what,
           char **state, char **result)
{
  CLEANUP_FREE char *t = vs_escape (task);
  CLEANUP_FREE char *body = NULL;
  xmlDoc *doc = NULL;
  xmlNode *ret, *info;
  int r = -1;

  if (t == NULL ||
      asprintf (&body, "<specSet><propSet><type>Task</type>"
                "<pathSet>info</pathSet></propSet><objectSet>"
                "<obj type=\"Task\">%s</obj></objectSet></specSet>"
                "<options></options>", t) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (vs_call (s, "RetrievePropertiesEx", "PropertyCollector", s->pc, body,
               &doc, &ret, NULL) == -1)
    return -1;
  info = vs_child (vs_child (vs_child (vs_child (ret, "returnval"),
                                       "objects"), "propSet"), "val");
  *state = vs_child_text (info, "state");
  if (*state == NULL)
    h2k_error ("%s: %s: task %s has no state", s->label, what, task);
  else if (strcmp (*state, "error") == 0) {
    xmlNode *err = vs_child (info, "error");
    xmlNode *fault = vs_child (err, "fault");
    CLEANUP_FREE char *msg = vs_child_text (err, "localizedMessage");
    h2k_error ("%s: %s: SOAP fault %s: %s", s->label, what,
               fault ? vs_type (fault) : "unknown",
               msg && *msg ? msg : "(no message)");
  }
  else {
    if (result && strcmp (*state, "success") == 0)
      *result = vs_child_text (info, "result");
    r = 0;
  }
  xmlFreeDoc (doc);
  return r;
}

int
vs_wait_task (struct vs_session *s, const char *task, const char *what,
              char **result)
{
  useconds_t delay = 50000;

  if (result)
    *result = NULL;
  for (uint64_t waited = 0; waited < VS_TASK_TIMEOUT * UINT64_C (1000000); ) {
    CLEANUP_FREE char *state = NULL;
    if (task_info (s, task, what, &state, result) == -1)
      return -1;
    if (strcmp (state, "success") == 0)
      return 0;
    usleep (delay);
    waited += delay;
    if (delay < 1000000)
      delay *= 2;
  }
  h2k_error ("%s: %s: task %s did not finish in %d s", s->label, what, task,
             VS_TASK_TIMEOUT);
  return -1;
}
