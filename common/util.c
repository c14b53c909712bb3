/* h2k: small string and path helpers. */

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "util.h"

char *
h2k_path_normalize (char *path)
{
  const int abs = path[0] == '/';
  char *const base = path + abs;  /* the segments start here */
  const char *p = base;
  char *w = base;                 /* the output, never past P */
  size_t up = 0;                  /* bytes of leading ".."s kept (relative) */

  if (path[0] == '\0')
    return path;                  /* no room for "." */

  while (*p) {
    const char *seg;
    size_t n;

    while (*p == '/')
      p++;
    seg = p;
    n = strcspn (seg, "/");
    p += n;
    if (n == 0 || (n == 1 && seg[0] == '.'))
      continue;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
      if ((size_t) (w - base) > up) {       /* drop the last segment */
        char *slash = w;
        while (slash > base && *--slash != '/')
          ;
        w = slash;
        continue;
      }
      if (abs)                              /* "/.." is "/" */
        continue;
    }
    if (w > base)
      *w++ = '/';
    memmove (w, seg, n);
    w += n;
    if (n == 2 && seg[0] == '.' && seg[1] == '.')
      up = w - base;
  }
  if (w == base && !abs)
    *w++ = '.';
  *w = '\0';
  return path;
}

char *
h2k_path_join (const char *dir, const char *name)
{
  char *r;

  if (name[0] == '/')
    r = strdup (name);
  else if (asprintf (&r, "%s/%s", dir, name) == -1)
    r = NULL;
  if (r == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  return h2k_path_normalize (r);
}

char *
h2k_path_join_raw (const char *dir, const char *name)
{
  size_t n = strlen (dir);
  char *r;

  if (name[0] == '/')
    r = strdup (name);
  else if (asprintf (&r, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
                     name) == -1)
    r = NULL;
  if (r == NULL)
    h2k_error ("%s: %m", name);
  return r;
}

char *
h2k_absolute_path (const char *path)
{
  CLEANUP_FREE char *cwd = NULL;

  if (path[0] == '/')
    return h2k_path_join ("/", path);
  cwd = getcwd (NULL, 0);
  if (cwd == NULL) {
    h2k_error ("getcwd: %m");
    return NULL;
  }
  return h2k_path_join (cwd, path);
}

char *
h2k_dirname (const char *path)
{
  CLEANUP_FREE char *copy = strdup (path);
  char *r = copy ? strdup (dirname (copy)) : NULL;

  if (r == NULL)
    h2k_error ("%s: %m", path);
  return r;
}

int
h2k_ends_with_ci (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcasecmp (s + n - m, suffix) == 0;
}

char *
h2k_trim (char *s)
{
  size_t n;

  while (isspace ((unsigned char) *s))
    s++;
  n = strlen (s);
  while (n > 0 && isspace ((unsigned char) s[n - 1]))
    s[--n] = '\0';
  return s;
}

char *
h2k_read_stream (FILE *fp, const char *name, size_t max, size_t *len)
{
  char *buf = NULL;
  size_t n = 0, cap = 0;

  for (;;) {
    if (n + 4096 + 1 > cap) {
      size_t ncap = cap ? cap * 2 : 8192;
      char *p = realloc (buf, ncap);
      if (p == NULL) {
        h2k_error ("%s: %m", name);
        goto fail;
      }
      buf = p;
      cap = ncap;
    }
    size_t r = fread (buf + n, 1, cap - n - 1, fp);
    n += r;
    if (n > max) {
      h2k_error ("%s: file is larger than %zu bytes", name, max);
      goto fail;
    }
    if (r == 0)
      break;
  }
  if (ferror (fp)) {
    h2k_error ("%s: read: %m", name);
    goto fail;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
 fail:
  free (buf);
  return NULL;
}

char *
h2k_read_file (const char *path, size_t max, size_t *len)
{
  CLEANUP_FCLOSE FILE *fp = fopen (path, "re");

  if (fp == NULL) {
    h2k_error ("%s: %m", path);
    return NULL;
  }
  return h2k_read_stream (fp, path, max, len);
}

void
h2k_now_rfc3339 (char buf[32])
{
  time_t t = time (NULL);
  struct tm tm;

  gmtime_r (&t, &tm);
  strftime (buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
h2k_hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

double
h2k_monotonic (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *
h2k_make_temp_dir (const char *prefix)
{
  const char *tmp = getenv ("TMPDIR");
  char *d;

  if (asprintf (&d, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  if (mkdtemp (d) == NULL) {
    h2k_error ("%s: cannot create a temporary directory: %m", d);
    free (d);
    return NULL;
  }
  return d;
}

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st; (void) flag; (void) ftw;
  return remove (path);
}

int
h2k_remove_tree (const char *path)
{
  if (path == NULL || access (path, F_OK) == -1)
    return 0;
  return nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
