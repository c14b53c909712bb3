/* h2k-fetch: OVF manifests (.mf). */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "digest.h"
#include "error.h"
#include "mf.h"
#include "util.h"

static const struct {
  const char *label;            /* as in the .mf */
  const char *algo;             /* as OpenSSL names it */
  size_t hexlen;
  int strength;
} algos[] = {
  { "SHA1", "sha1", 40, 1 },
  { "SHA256", "sha256", 64, 2 },
  { "SHA512", "sha512", 128, 3 },
};

#define NR_ALGOS (sizeof algos / sizeof algos[0])

const char *
mf_algo_label (const char *algo)
{
  for (size_t i = 0; i < NR_ALGOS; ++i)
    if (strcmp (algos[i].algo, algo) == 0)
      return algos[i].label;
  return algo;
}

static int
algo_index (const char *label)
{
  for (size_t i = 0; i < NR_ALGOS; ++i)
    if (strcasecmp (algos[i].label, label) == 0)
      return (int) i;
  return -1;
}

void
mf_free (struct mf *mf)
{
  if (mf == NULL)
    return;
  for (size_t i = 0; i < mf->n; ++i)
    free (mf->entries[i].file);
  free (mf->entries);
  free (mf);
}

/* A name a package member may have: relative, no "..", no empty
 * component other than a leading "./", printable.
 */
static int
safe_member_name (const char *s)
{
  const char *p = s;

  if (s[0] == '\0' || s[0] == '/' || strlen (s) > MF_MAX_NAME)
    return 0;
  for (const char *c = s; *c; ++c)
    if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == '\\')
      return 0;
  while (*p) {
    size_t n = strcspn (p, "/");
    if ((n == 2 && strncmp (p, "..", 2) == 0) || n == 0)
      return 0;
    p += n;
    if (*p == '/')
      p++;
  }
  return 1;
}

static int
malformed (const char *name, unsigned lineno)
{
  h2k_error ("%s: line %u: malformed line (expected ALGO(file)= hex)",
             name, lineno);
  return -1;
}

/* Parse one non-blank LINE (modified in place) into E. */
static int
parse_line (char *line, const char *name, unsigned lineno,
            struct mf_entry *e)
{
  char *eq = strrchr (line, '=');
  char *lp, *rp, *hex, *left;
  int a;

  if (eq == NULL)
    return malformed (name, lineno);
  *eq = '\0';
  hex = h2k_trim (eq + 1);
  left = h2k_trim (line);
  lp = strchr (left, '(');
  rp = strrchr (left, ')');
  if (lp == NULL || rp == NULL || rp < lp || rp[1] != '\0')
    return malformed (name, lineno);
  *lp = *rp = '\0';
  a = algo_index (h2k_trim (left));
  if (a == -1) {
    h2k_error ("%s: line %u: unsupported digest algorithm '%.32s' "
               "(expected SHA1, SHA256 or SHA512)", name, lineno, h2k_trim (left));
    return -1;
  }
  if (!h2k_is_hex (hex, algos[a].hexlen)) {
    h2k_error ("%s: line %u: %s(%.256s): expected %zu hex digits", name,
               lineno, algos[a].label, lp + 1, algos[a].hexlen);
    return -1;
  }
  if (!safe_member_name (lp + 1)) {
    h2k_error ("%s: line %u: %s(%.256s): unsafe file name (absolute, "
               "'..', empty or control characters)", name, lineno,
               algos[a].label, lp + 1);
    return -1;
  }
  e->algo = algos[a].algo;
  e->line = lineno;
  e->file = strdup (lp + 1);
  if (e->file == NULL) {
    h2k_error ("%s: %m", name);
    return -1;
  }
  for (size_t i = 0; hex[i]; ++i)
    e->hex[i] = tolower ((unsigned char) hex[i]);
  e->hex[algos[a].hexlen] = '\0';
  return 0;
}

static int
add_line (struct mf *mf, char *line, const char *name, unsigned lineno)
{
  struct mf_entry e = { 0 };
  struct mf_entry *p;

  if (mf->n >= MF_MAX_ENTRIES) {
    h2k_error ("%s: line %u: more than %d entries", name, lineno,
               MF_MAX_ENTRIES);
    return -1;
  }
  if (parse_line (line, name, lineno, &e) == -1)
    return -1;
  if (mf_find (mf, e.file) != NULL) {
    h2k_error ("%s: line %u: %.256s is listed twice", name, lineno, e.file);
    free (e.file);
    return -1;
  }
  p = realloc (mf->entries, (mf->n + 1) * sizeof *p);
  if (p == NULL) {
    h2k_error ("%s: %m", name);
    free (e.file);
    return -1;
  }
  mf->entries = p;
  mf->entries[mf->n++] = e;
  return 0;
}

struct mf *
mf_parse (const char *buf, size_t len, const char *name)
{
  H2K_CLEANUP (mf_free) struct mf *mf = calloc (1, sizeof *mf);
  CLEANUP_FREE char *copy = NULL;
  char *line, *next;
  unsigned lineno = 0;
  struct mf *r;

  if (mf == NULL || (copy = malloc (len + 1)) == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  if (memchr (buf, '\0', len) != NULL) {
    h2k_error ("%s: contains a NUL byte: not a manifest", name);
    return NULL;
  }
  memcpy (copy, buf, len);
  copy[len] = '\0';
  for (line = copy; line && *line; line = next) {
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    lineno++;
    line = h2k_trim (line);     /* also drops the CR of CRLF */
    if (*line == '\0')
      continue;
    if (add_line (mf, line, name, lineno) == -1)
      return NULL;
  }
  r = mf;
  mf = NULL;
  return r;
}

struct mf *
mf_parse_file (const char *path, const char *name)
{
  size_t len;
  CLEANUP_FREE char *buf = h2k_read_file (path, MF_MAX_FILE, &len);

  if (buf == NULL)
    return NULL;
  return mf_parse (buf, len, name);
}

const struct mf_entry *
mf_find (const struct mf *mf, const char *file)
{
  while (file[0] == '.' && file[1] == '/')
    file += 2;
  for (size_t i = 0; i < mf->n; ++i) {
    const char *f = mf->entries[i].file;
    while (f[0] == '.' && f[1] == '/')
      f += 2;
    if (strcmp (f, file) == 0)
      return &mf->entries[i];
  }
  return NULL;
}

static int
strength (const char *algo)
{
  for (size_t i = 0; i < NR_ALGOS; ++i)
    if (strcmp (algos[i].algo, algo) == 0)
      return algos[i].strength;
  return 0;
}

static int
verify_entry (const struct mf_entry *e, const char *dir, const char *label)
{
  CLEANUP_FREE char *path = h2k_path_join (dir, e->file);
  char hex[H2K_DIGEST_HEX_MAX];
  struct stat st;

  if (path == NULL)
    return -1;
  if (stat (path, &st) == -1) {
    h2k_error ("%s: %s(%s): listed file is missing (%m)", label,
               mf_algo_label (e->algo), e->file);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: %s(%s): not a regular file", label,
               mf_algo_label (e->algo), e->file);
    return -1;
  }
  h2k_debug ("%s: %s(%s)", label, mf_algo_label (e->algo), e->file);
  if (h2k_digest_file (path, e->algo, hex) == -1)
    return -1;
  if (strcmp (hex, e->hex) != 0) {
    h2k_error ("%s: %s(%s): digest mismatch", label,
               mf_algo_label (e->algo), e->file);
    return -1;
  }
  return 0;
}

int
mf_verify (const struct mf *mf, const char *dir, const char *label,
           const char **weakest)
{
  const char *w = NULL;

  for (size_t i = 0; i < mf->n; ++i) {
    const struct mf_entry *e = &mf->entries[i];

    if (verify_entry (e, dir, label) == -1)
      return -1;
    if (w == NULL || strength (e->algo) < strength (w))
      w = e->algo;
  }
  *weakest = w;
  return 0;
}
