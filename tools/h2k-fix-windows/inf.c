/* h2k-fix-windows: the facts h2k needs from a driver package's INF.
 *
 * An INF is an INI-like text: [sections], "key = value, value" lines,
 * lines without '=' (just values), ';' comments outside "quoted" values
 * ("" is a quote inside quotes), a '\' ending a line continues it, and
 * %strkey% tokens are replaced by [Strings] entries (%% is a '%').
 * Section names, keys and string keys are case-insensitive; a section
 * given twice is one section.  The file is read whole (UTF-8 or ANSI
 * bytes, or UTF-16 with a byte order mark, converted to UTF-8), split
 * into sections of lines, then queried.
 *
 * Hostile input is bounded (INF_MAX_*); every error names the file, and
 * the line where there is one.
 */

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fix-windows.h"

#define INF_MAX_FILE     (8 << 20)
#define INF_MAX_LINE     (64 << 10)     /* a logical line, continued lines joined */
#define INF_MAX_SECTIONS 8192
#define INF_MAX_LINES    200000
#define INF_MAX_FIELDS   1024           /* values on one line */
#define INF_MAX_MODELS   8192
#define INF_MAX_VALUE    (256 << 10)    /* a value after %strkey% substitution */

struct inf_line {
  int no;                       /* its first physical line */
  char *key;                    /* unquoted; NULL if the line has no '=' */
  char **vals;                  /* unquoted, %strkey% not yet replaced */
  size_t n_vals;
};

struct inf_section {
  char *name;
  int no;
  struct inf_line *lines;
  size_t n, cap;
};

struct inf_string {
  const char *key, *val;
  size_t ord;                   /* the first definition wins */
};

struct inf_file {
  const char *path;
  struct inf_section *secs;
  size_t n, cap;
  size_t n_lines;
  struct inf_section *cur;      /* while parsing */
  struct inf_string *strings;   /* sorted by key, then ord */
  size_t n_strings;
};

static const char blanks[] = " \t\r\f\v\x1a";

static char *
trim (char *s)
{
  size_t l;

  s += strspn (s, blanks);
  l = strlen (s);
  while (l > 0 && strchr (blanks, s[l - 1]))
    s[--l] = '\0';
  return s;
}

/* printf into a new string; NULL reported. */
static char * __attribute__((format (printf, 1, 2)))
str_printf (const char *fs, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start (ap, fs);
  r = vasprintf (&s, fs, ap);
  va_end (ap);
  if (r == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  return s;
}

/* ---- reading */

/* TEXT (LEN bytes of the encoding FROM) as a new NUL-terminated UTF-8
 * string; NULL reported.
 */
static char *
from_utf16 (const char *path, char *text, size_t len, const char *from)
{
  size_t out_len = len / 2 * 3 + 1, il = len, ol = out_len - 1;
  char *out = malloc (out_len), *ip = text, *op = out;
  iconv_t cd;
  size_t r;

  if (out == NULL) {
    h2k_error ("out of memory");
    return NULL;
  }
  cd = iconv_open ("UTF-8", from);
  if (cd == (iconv_t) -1) {
    h2k_error ("%s: iconv %s: %m", path, from);
    free (out);
    return NULL;
  }
  r = iconv (cd, &ip, &il, &op, &ol);
  iconv_close (cd);
  if (r == (size_t) -1 || il != 0) {
    h2k_error ("%s: not valid %s text: %m", path, from);
    free (out);
    return NULL;
  }
  *op = '\0';
  if (memchr (out, '\0', (size_t) (op - out)) != NULL) {
    h2k_error ("%s: a NUL character: not an INF file", path);
    free (out);
    return NULL;
  }
  return out;
}

/* The file as UTF-8 (or the bytes as they are); caller frees.  NULL
 * reported.
 */
static char *
read_text (const char *path)
{
  CLEANUP_FREE char *raw = NULL;
  unsigned char *u;
  size_t len, skip = 0;

  raw = h2k_read_file (path, INF_MAX_FILE, &len);
  if (raw == NULL)
    return NULL;
  u = (unsigned char *) raw;
  if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
    return from_utf16 (path, raw + 2, len - 2, "UTF-16LE");
  if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
    return from_utf16 (path, raw + 2, len - 2, "UTF-16BE");
  if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
    skip = 3;
  if (memchr (raw, '\0', len) != NULL) {
    h2k_error ("%s: a NUL byte: not an INF file (UTF-16 without a byte order mark?)",
               path);
    return NULL;
  }
  memmove (raw, raw + skip, len - skip + 1);
  char *r = raw;
  raw = NULL;
  return r;
}

/* ---- parsing into sections */

/* S with its quotes removed ("" inside quotes is one quote); new string,
 * NULL when out of memory.
 */
static char *
unquote (const char *s)
{
  char *r = malloc (strlen (s) + 1), *o = r;
  int q = 0;

  if (r == NULL)
    return NULL;
  for (; *s; ++s) {
    if (*s != '"')
      *o++ = *s;
    else if (q && s[1] == '"')
      *o++ = *s++;
    else
      q = !q;
  }
  *o = '\0';
  return r;
}

/* The first C of S outside quotes, or NULL. */
static char *
find_unquoted (char *s, char c)
{
  int q = 0;

  for (; *s; ++s) {
    if (*s == '"')
      q = !q;
    else if (*s == c && !q)
      return s;
  }
  return NULL;
}

static struct inf_section *
find_section (const struct inf_file *f, const char *name)
{
  for (size_t i = 0; i < f->n; ++i)
    if (strcasecmp (f->secs[i].name, name) == 0)
      return &f->secs[i];
  return NULL;
}

/* "[name]": make it the current section.  -1 reported. */
static int
section_header (struct inf_file *f, char *s, int no)
{
  char *end = strchr (s, ']'), *name;
  struct inf_section *sec;

  if (end == NULL) {
    h2k_error ("%s: line %d: a section header without ']'", f->path, no);
    return -1;
  }
  *end = '\0';
  name = trim (s + 1);
  if (*name == '\0') {
    h2k_error ("%s: line %d: an empty section name", f->path, no);
    return -1;
  }
  if ((sec = find_section (f, name)) != NULL) {
    f->cur = sec;
    return 0;
  }
  if (f->n == INF_MAX_SECTIONS) {
    h2k_error ("%s: line %d: more than %d sections", f->path, no, INF_MAX_SECTIONS);
    return -1;
  }
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 32;
    struct inf_section *p = reallocarray (f->secs, cap, sizeof *p);
    if (p == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    f->secs = p;
    f->cap = cap;
  }
  sec = &f->secs[f->n];
  memset (sec, 0, sizeof *sec);
  if ((sec->name = strdup (name)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  sec->no = no;
  f->n++;
  f->cur = sec;
  return 0;
}

/* Split S (the part after '=', or the whole line) into L's values: on
 * commas outside quotes, unless WHOLE (a [Strings] value).  -1 on out of
 * memory or too many values (reported).
 */
static int
split_values (struct inf_file *f, char *s, int whole, struct inf_line *l)
{
  size_t n = 1;

  if (!whole)
    for (char *p = s; (p = find_unquoted (p, ',')) != NULL; ++p)
      ++n;
  if (n > INF_MAX_FIELDS) {
    h2k_error ("%s: line %d: more than %d values", f->path, l->no, INF_MAX_FIELDS);
    return -1;
  }
  if ((l->vals = calloc (n, sizeof *l->vals)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    char *comma = whole ? NULL : find_unquoted (s, ',');
    if (comma)
      *comma = '\0';
    if ((l->vals[i] = unquote (trim (s))) == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    l->n_vals++;
    s = comma ? comma + 1 : s + strlen (s);
  }
  return 0;
}

/* A "key = values" or "values" line of the current section.  -1
 * reported.
 */
static int
entry_line (struct inf_file *f, char *s, int no)
{
  struct inf_section *sec = f->cur;
  struct inf_line *l;
  char *eq = find_unquoted (s, '=');
  int whole = strncasecmp (sec->name, "Strings", 7) == 0 &&
    (sec->name[7] == '\0' || sec->name[7] == '.');

  if (++f->n_lines > INF_MAX_LINES) {
    h2k_error ("%s: line %d: more than %d entries", f->path, no, INF_MAX_LINES);
    return -1;
  }
  if (sec->n == sec->cap) {
    size_t cap = sec->cap ? sec->cap * 2 : 8;
    struct inf_line *p = reallocarray (sec->lines, cap, sizeof *p);
    if (p == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    sec->lines = p;
    sec->cap = cap;
  }
  l = &sec->lines[sec->n++];
  memset (l, 0, sizeof *l);
  l->no = no;
  if (eq) {
    *eq = '\0';
    if ((l->key = unquote (trim (s))) == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    s = eq + 1;
  }
  return split_values (f, s, whole && eq, l);
}

/* One logical line.  Lines before the first section are ignored, as
 * Windows does.  -1 reported.
 */
static int
logical_line (struct inf_file *f, char *s, int no)
{
  s = trim (s);
  if (*s == '\0')
    return 0;
  if (*s == '[')
    return section_header (f, s, no);
  if (f->cur == NULL)
    return 0;
  return entry_line (f, s, no);
}

/* Cut the comment of the physical line S; -1 reported on an unterminated
 * quote.
 */
static int
cut_comment (struct inf_file *f, char *s, int no)
{
  int q = 0;

  for (; *s; ++s) {
    if (*s == '"')
      q = !q;
    else if (*s == ';' && !q) {
      *s = '\0';
      return 0;
    }
  }
  if (q) {
    h2k_error ("%s: line %d: a quoted value without its closing quote", f->path, no);
    return -1;
  }
  return 0;
}

/* Parse TEXT (modified) into F's sections.  -1 reported. */
static int
parse_text (struct inf_file *f, char *text)
{
  CLEANUP_FREE char *buf = malloc (INF_MAX_LINE + 1);
  size_t blen = 0;
  int no = 0, first = 0;
  char *p = text;

  if (buf == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  while (*p) {
    char *nl = strchr (p, '\n'), *s = p;
    size_t l;

    if (nl)
      *nl = '\0';
    p = nl ? nl + 1 : p + strlen (p);
    ++no;
    if (cut_comment (f, s, no) == -1)
      return -1;
    s = trim (s);
    l = strlen (s);
    if (blen == 0)
      first = no;
    if (blen + l + 1 > INF_MAX_LINE) {
      h2k_error ("%s: line %d: a line longer than %d bytes", f->path, first, INF_MAX_LINE);
      return -1;
    }
    memcpy (buf + blen, s, l);
    blen += l;
    if (l > 0 && s[l - 1] == '\\') {
      buf[--blen] = ' ';        /* continued on the next line */
      blen++;
      continue;
    }
    buf[blen] = '\0';
    if (logical_line (f, buf, first) == -1)
      return -1;
    blen = 0;
  }
  buf[blen] = '\0';
  return blen ? logical_line (f, buf, first) : 0;
}

/* ---- %strkey% */

static int
cmp_string (const void *a, const void *b)
{
  const struct inf_string *x = a, *y = b;
  int c = strcasecmp (x->key, y->key);

  return c ? c : (x->ord > y->ord) - (x->ord < y->ord);
}

static int
add_strings (struct inf_file *f, const struct inf_section *sec, size_t *n)
{
  for (size_t i = 0; i < sec->n; ++i) {
    const struct inf_line *l = &sec->lines[i];
    if (l->key == NULL || l->n_vals == 0)
      continue;
    f->strings[*n].key = l->key;
    f->strings[*n].val = l->vals[0];
    f->strings[*n].ord = *n;
    (*n)++;
  }
  return 0;
}

/* Index [Strings], then the [Strings.*] sections (localized: used only
 * for keys [Strings] lacks).  -1 reported.
 */
static int
index_strings (struct inf_file *f)
{
  size_t total = 0, n = 0;
  struct inf_section *plain = find_section (f, "Strings");

  for (size_t i = 0; i < f->n; ++i)
    if (strncasecmp (f->secs[i].name, "Strings", 7) == 0)
      total += f->secs[i].n;
  if (total == 0)
    return 0;
  if ((f->strings = calloc (total, sizeof *f->strings)) == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (plain)
    add_strings (f, plain, &n);
  for (size_t i = 0; i < f->n; ++i)
    if (&f->secs[i] != plain && strncasecmp (f->secs[i].name, "Strings.", 8) == 0)
      add_strings (f, &f->secs[i], &n);
  qsort (f->strings, n, sizeof *f->strings, cmp_string);
  f->n_strings = n;
  return 0;
}

static const char *
lookup_string (const struct inf_file *f, const char *key)
{
  size_t lo = 0, hi = f->n_strings;

  /* The first entry whose key is not below KEY. */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcasecmp (f->strings[mid].key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < f->n_strings && strcasecmp (f->strings[lo].key, key) == 0)
    return f->strings[lo].val;
  return NULL;
}

/* S with its %strkey% tokens replaced (unknown ones are kept as they
 * are, like the %12% of a path); %% is '%'.  New string, NULL reported
 * (NO is the line, for the message).
 */
static char *
resolve (const struct inf_file *f, const char *s, int no)
{
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&out, &len);

  if (fp == NULL) {
    h2k_error ("out of memory");
    return NULL;
  }
  while (*s) {
    const char *end = *s == '%' ? strchr (s + 1, '%') : NULL;
    if (end == NULL) {
      fputc (*s++, fp);
      continue;
    }
    CLEANUP_FREE char *key = strndup (s + 1, (size_t) (end - s - 1));
    const char *val = key && *key ? lookup_string (f, key) : NULL;
    if (key && *key == '\0')
      fputc ('%', fp);
    else if (val)
      fputs (val, fp);
    else
      fwrite (s, 1, (size_t) (end - s + 1), fp);
    s = end + 1;
    if (ftell (fp) > INF_MAX_VALUE)
      break;
  }
  if (fclose (fp) != 0 || out == NULL) {
    free (out);
    h2k_error ("out of memory");
    return NULL;
  }
  if (len > INF_MAX_VALUE) {
    h2k_error ("%s: line %d: a value longer than %d bytes once its %%strkey%% "
               "are replaced", f->path, no, INF_MAX_VALUE);
    free (out);
    return NULL;
  }
  return out;
}

/* ---- queries */

static const struct inf_line *
find_key (const struct inf_section *sec, const char *key)
{
  for (size_t i = 0; sec && i < sec->n; ++i)
    if (sec->lines[i].key && strcasecmp (sec->lines[i].key, key) == 0)
      return &sec->lines[i];
  return NULL;
}

/* Value I of KEY in SEC, resolved, into *OUT (NULL if absent).  -1
 * reported.
 */
static int
key_value (const struct inf_file *f, const struct inf_section *sec,
           const char *key, size_t i, char **out)
{
  const struct inf_line *l = find_key (sec, key);

  *out = NULL;
  if (l == NULL || l->n_vals <= i)
    return 0;
  *out = resolve (f, l->vals[i], l->no);
  return *out ? 0 : -1;
}

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" in upper case, in place. */
static int
normalize_guid (const struct inf_file *f, int no, char **g)
{
  char *s = *g, *r;
  size_t l = strlen (s);
  int ok = 1;

  if (l == 38 && s[0] == '{' && s[37] == '}')
    s++, l -= 2;
  for (size_t i = 0; i < 36 && ok; ++i) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? s[i] == '-' : s[i] && strchr ("0123456789abcdefABCDEF", s[i]);
  }
  if (l != 36 || !ok) {
    h2k_error ("%s: line %d: ClassGuid: \"%.40s\" is not a GUID", f->path, no, *g);
    return -1;
  }
  if ((r = str_printf ("{%.36s}", s)) == NULL)
    return -1;
  for (char *p = r; *p; ++p)
    if (*p >= 'a' && *p <= 'f')
      *p -= 'a' - 'A';
  free (*g);
  *g = r;
  return 0;
}

/* N (1 to MAXD digits) of S into *V; the text after it, or NULL. */
static const char *
digits (const char *s, int maxd, long *v)
{
  int d = 0;

  *v = 0;
  while (*s >= '0' && *s <= '9' && d < maxd) {
    *v = *v * 10 + (*s++ - '0');
    ++d;
  }
  return d == 0 || (*s >= '0' && *s <= '9') ? NULL : s;
}

/* "MM/DD/YYYY" into OUT's date; -1 if it is not one. */
static int
parse_date (const char *s, struct inf_info *out)
{
  static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  long m, d, y;

  if ((s = digits (s, 2, &m)) == NULL || *s++ != '/' ||
      (s = digits (s, 2, &d)) == NULL || *s++ != '/' ||
      (s = digits (s, 4, &y)) == NULL || *s != '\0')
    return -1;
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return -1;
  if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return -1;
  out->date_month = (int) m;
  out->date_day = (int) d;
  out->date_year = (int) y;
  return 0;
}

/* "w[.x[.y[.z]]]", each 0 to 65535, into OUT's version; -1 if not. */
static int
parse_version (const char *s, struct inf_info *out)
{
  long v;

  for (int i = 0; i < 4; ++i) {
    if ((s = digits (s, 5, &v)) == NULL || v > 65535)
      return -1;
    out->version[i] = (uint16_t) v;
    if (*s == '\0')
      return 0;
    if (*s++ != '.')
      return -1;
  }
  return -1;
}

static int
driver_ver (const struct inf_file *f, const struct inf_section *ver,
            struct inf_info *out)
{
  const struct inf_line *l = find_key (ver, "DriverVer");
  CLEANUP_FREE char *date = NULL, *v = NULL;

  if (l == NULL) {
    h2k_error ("%s: line %d: [Version] has no DriverVer", f->path, ver->no);
    return -1;
  }
  if ((date = resolve (f, l->vals[0], l->no)) == NULL ||
      (l->n_vals == 2 && (v = resolve (f, l->vals[1], l->no)) == NULL))
    return -1;
  if (l->n_vals > 2 || parse_date (date, out) == -1 ||
      (v && *v && parse_version (v, out) == -1)) {
    h2k_error ("%s: line %d: DriverVer: not mm/dd/yyyy,w.x.y.z", f->path, l->no);
    return -1;
  }
  return 0;
}

/* [Version]: class, its GUID, provider, catalog, date and version. */
static int
version_section (const struct inf_file *f, const char *deco, struct inf_info *out)
{
  const struct inf_section *ver = find_section (f, "Version");
  CLEANUP_FREE char *cat = str_printf ("CatalogFile.%s", deco);

  if (ver == NULL) {
    h2k_error ("%s: no [Version] section: not an INF file", f->path);
    return -1;
  }
  if (cat == NULL)
    return -1;
  if (key_value (f, ver, "Class", 0, &out->class_name) == -1 ||
      key_value (f, ver, "ClassGuid", 0, &out->class_guid) == -1 ||
      key_value (f, ver, "Provider", 0, &out->provider) == -1 ||
      key_value (f, ver, cat, 0, &out->catalog) == -1 ||
      (out->catalog == NULL && key_value (f, ver, "CatalogFile.NT", 0, &out->catalog) == -1) ||
      (out->catalog == NULL && key_value (f, ver, "CatalogFile", 0, &out->catalog) == -1))
    return -1;
  if (out->class_guid &&
      normalize_guid (f, find_key (ver, "ClassGuid")->no, &out->class_guid) == -1)
    return -1;
  return driver_ver (f, ver, out);
}

/* Does the [Manufacturer] decoration D target DECO (NTamd64...)?  2: for
 * this architecture (NTamd64, NTamd64.10.0...16299); 1: for any (NT,
 * NT.6.1); 0: no.
 */
static int
deco_match (const char *d, const char *deco)
{
  size_t l = strlen (deco);

  if (strncasecmp (d, deco, l) == 0 && (d[l] == '\0' || d[l] == '.'))
    return 2;
  if (strncasecmp (d, "NT", 2) == 0 && (d[2] == '\0' || d[2] == '.'))
    return 1;
  return 0;
}

/* Room for one more model in OUT (the array doubles at powers of 2).
 * -1 reported.
 */
static int
grow_models (struct inf_info *out)
{
  size_t n = out->n_models;
  struct inf_model *p;

  if (n != 0 && (n & (n - 1)) != 0)
    return 0;
  p = reallocarray (out->models, n ? 2 * n : 8, sizeof *p);
  if (p == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  out->models = p;
  return 0;
}

/* Add the models of section NAME (if present) to OUT, skipping hardware
 * IDs already there.  -1 reported.
 */
static int
add_models (const struct inf_file *f, const char *name, struct inf_info *out)
{
  const struct inf_section *sec = find_section (f, name);

  if (sec == NULL) {
    h2k_debug ("%s: no models section [%s]", f->path, name);
    return 0;
  }
  for (size_t i = 0; i < sec->n; ++i) {
    const struct inf_line *l = &sec->lines[i];
    struct inf_model m = { 0 };
    int dup = 0;

    if (l->key == NULL || l->vals[0][0] == '\0') {
      h2k_error ("%s: line %d: not \"description = install section, hardware id\"",
                 f->path, l->no);
      return -1;
    }
    if (l->n_vals < 2 || l->vals[1][0] == '\0')
      continue;                 /* no hardware ID: not a PnP device */
    if ((m.hwid = resolve (f, l->vals[1], l->no)) == NULL)
      return -1;
    for (size_t j = 0; j < out->n_models && !dup; ++j)
      dup = strcasecmp (out->models[j].hwid, m.hwid) == 0;
    if (dup) {
      free (m.hwid);
      continue;
    }
    if (out->n_models == INF_MAX_MODELS) {
      free (m.hwid);
      h2k_error ("%s: line %d: more than %d models", f->path, l->no, INF_MAX_MODELS);
      return -1;
    }
    if ((m.section = resolve (f, l->vals[0], l->no)) == NULL ||
        (m.description = resolve (f, l->key, l->no)) == NULL ||
        grow_models (out) == -1) {
      free (m.hwid);
      free (m.section);
      free (m.description);
      return -1;
    }
    out->models[out->n_models++] = m;
  }
  return 0;
}

/* The models sections of one [Manufacturer] line L for DECO: those
 * decorated for the architecture; else those for any (NT...); else, on
 * x86 only, the undecorated one (x64 and ARM64 Windows require a
 * decoration).
 */
static int
manufacturer_line (const struct inf_file *f, const struct inf_line *l,
                   const char *deco, struct inf_info *out)
{
  const char *base = l->vals[0];
  int best = 0;

  if (*base == '\0') {
    h2k_error ("%s: line %d: a manufacturer without a models section", f->path, l->no);
    return -1;
  }
  for (size_t i = 1; i < l->n_vals; ++i) {
    int m = deco_match (l->vals[i], deco);
    best = m > best ? m : best;
  }
  if (best == 0)
    return strcasecmp (deco, "NTx86") == 0 ? add_models (f, base, out) : 0;
  for (size_t i = 1; i < l->n_vals; ++i) {
    CLEANUP_FREE char *name = NULL;
    if (deco_match (l->vals[i], deco) != best)
      continue;
    if ((name = str_printf ("%s.%s", base, l->vals[i])) == NULL ||
        add_models (f, name, out) == -1)
      return -1;
  }
  return 0;
}

static int
models (const struct inf_file *f, const char *deco, struct inf_info *out)
{
  const struct inf_section *man = find_section (f, "Manufacturer");

  for (size_t i = 0; man && i < man->n; ++i)
    if (manufacturer_line (f, &man->lines[i], deco, out) == -1)
      return -1;
  return 0;
}

/* The Services section of INSTALL's install section as Windows picks
 * it: that of the first of INSTALL.NTamd64 (DECO), INSTALL.NT and
 * INSTALL that exists; when none does, the first of their Services
 * sections that exists.  NULL if none; *ERR set when out of memory
 * (reported).
 */
static const struct inf_section *
services_section (const struct inf_file *f, const char *deco,
                  const char *install, int *err)
{
  const char *const sfx[] = { ".", deco, ".NT", "", "", "" };
  const struct inf_section *sec = NULL;

  for (int pass = 0; pass < 2 && sec == NULL; ++pass)
    for (size_t i = 0; i < 6 && sec == NULL; i += 2) {
      CLEANUP_FREE char *name = str_printf ("%s%s%s", install, sfx[i], sfx[i + 1]);
      CLEANUP_FREE char *svc = name ? str_printf ("%s.Services", name) : NULL;
      if (svc == NULL) {
        *err = -1;
        return NULL;
      }
      if (pass == 0 && find_section (f, name))
        return find_section (f, svc);
      if (pass == 1)
        sec = find_section (f, svc);
    }
  return sec;
}

/* The name and flags of the AddService line L into *NAME (caller
 * frees) and *FLAGS.  -1 reported.
 */
static int
add_service_line (const struct inf_file *f, const struct inf_line *l,
                  char **name, unsigned long *flags)
{
  CLEANUP_FREE char *v = NULL;
  char *end = NULL;

  *name = NULL;
  if (l->n_vals >= 2 && (v = resolve (f, l->vals[1], l->no)) == NULL)
    return -1;
  if (v)
    *flags = strtoul (v, &end, 0);
  if (v == NULL || end == v || *end != '\0' || l->vals[0][0] == '\0') {
    h2k_error ("%s: line %d: not \"AddService = name, flags, section...\"",
               f->path, l->no);
    return -1;
  }
  *name = resolve (f, l->vals[0], l->no);
  return *name ? 0 : -1;
}

/* The service that INSTALL (a models line's install section) adds with
 * SPSVCINST_ASSOCSERVICE (flag 0x2): its function driver.  -1 reported.
 */
static int
service (const struct inf_file *f, const char *deco, const char *install,
         struct inf_info *out)
{
  int err = 0;
  const struct inf_section *sec = services_section (f, deco, install, &err);

  for (size_t i = 0; sec && i < sec->n && out->service == NULL && err == 0; ++i) {
    const struct inf_line *l = &sec->lines[i];
    char *name;
    unsigned long flags;

    if (l->key == NULL || strcasecmp (l->key, "AddService") != 0)
      continue;
    err = add_service_line (f, l, &name, &flags);
    if (err == 0 && (flags & 0x2))
      out->service = name;
    else
      free (name);
  }
  return err;
}

/* ---- the whole */

static void
inf_file_free (struct inf_file *f)
{
  for (size_t i = 0; i < f->n; ++i) {
    struct inf_section *s = &f->secs[i];
    for (size_t j = 0; j < s->n; ++j) {
      free (s->lines[j].key);
      for (size_t k = 0; k < s->lines[j].n_vals; ++k)
        free (s->lines[j].vals[k]);
      free (s->lines[j].vals);
    }
    free (s->lines);
    free (s->name);
  }
  free (f->secs);
  free (f->strings);
}

static const char *
arch_deco (const char *arch)
{
  if (strcasecmp (arch, "x86") == 0)
    return "NTx86";
  if (strcasecmp (arch, "amd64") == 0)
    return "NTamd64";
  if (strcasecmp (arch, "ARM64") == 0)
    return "NTarm64";
  return NULL;
}

int
inf_parse_file (const char *path, const char *arch, struct inf_info *out)
{
  struct inf_file f = { .path = path };
  CLEANUP_FREE char *text = NULL;
  const char *deco = arch_deco (arch);
  int r = -1;

  memset (out, 0, sizeof *out);
  if (deco == NULL) {
    h2k_error ("%s: no INF decoration for the architecture %s", path, arch);
    goto out;
  }
  if ((text = read_text (path)) == NULL || parse_text (&f, text) == -1 ||
      index_strings (&f) == -1 || version_section (&f, deco, out) == -1 ||
      models (&f, deco, out) == -1 ||
      (out->n_models > 0 && service (&f, deco, out->models[0].section, out) == -1))
    goto out;
  r = 0;
 out:
  inf_file_free (&f);
  if (r == -1)
    inf_info_free (out);
  return r;
}

void
inf_info_free (struct inf_info *inf)
{
  if (inf == NULL)
    return;
  for (size_t i = 0; i < inf->n_models; ++i) {
    free (inf->models[i].hwid);
    free (inf->models[i].section);
    free (inf->models[i].description);
  }
  free (inf->models);
  free (inf->class_name);
  free (inf->class_guid);
  free (inf->provider);
  free (inf->catalog);
  free (inf->service);
  memset (inf, 0, sizeof *inf);
}
