/* h2k: helpers shared by the linuxcfg parsers. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"
#include "util.h"

void
h2k_lc_error (const char *name, int line, const char *fs, ...)
{
  va_list args;
  char *msg = NULL;

  va_start (args, fs);
  if (vasprintf (&msg, fs, args) == -1)
    msg = NULL;
  va_end (args);
  if (line > 0)
    h2k_error ("%s: line %d: %s", name, line, msg ? msg : "out of memory");
  else
    h2k_error ("%s: %s", name, msg ? msg : "out of memory");
  free (msg);
}

void
h2k_lc_oom (const char *name)
{
  h2k_lc_error (name, 0, "out of memory");
}

void
h2k_lc_text_free (struct h2k_lc_text *t)
{
  free (t->buf);
  free (t->lines);
  t->buf = NULL;
  t->lines = NULL;
  t->n = 0;
}

int
h2k_lc_text_split (const char *text, size_t len, const char *name,
               struct h2k_lc_text *t)
{
  size_t nlines = 0, start = 0, i;

  memset (t, 0, sizeof *t);
  t->name = name;
  if (text == NULL && len > 0) {
    h2k_lc_error (name, 0, "no text");
    return -1;
  }
  if (len > LINUXCFG_MAX_FILE) {
    h2k_lc_error (name, 0, "file too large (%zu bytes, at most %d)",
              len, LINUXCFG_MAX_FILE);
    return -1;
  }
  /* Count lines and check the limits first. */
  for (i = 0; i < len; ++i) {
    if (text[i] == '\0') {
      h2k_lc_error (name, (int) nlines + 1, "NUL byte: not a text file");
      return -1;
    }
    if (text[i] == '\n' || i + 1 == len) {
      size_t l = i - start + (text[i] == '\n' ? 0 : 1);
      nlines++;
      if (l > LINUXCFG_MAX_LINE) {
        h2k_lc_error (name, (int) nlines,
                      "line too long (%zu bytes, at most %d)",
                  l, LINUXCFG_MAX_LINE);
        return -1;
      }
      start = i + 1;
    }
  }
  if (nlines > 8 * LINUXCFG_MAX_ENTRIES) {
    h2k_lc_error (name, 0, "too many lines (%zu, at most %d)",
              nlines, 8 * LINUXCFG_MAX_ENTRIES);
    return -1;
  }
  t->buf = malloc (len + 1);
  t->lines = calloc (nlines + 1, sizeof (char *));
  if (t->buf == NULL || t->lines == NULL) {
    h2k_lc_oom (name);
    h2k_lc_text_free (t);
    return -1;
  }
  if (len > 0)
    memcpy (t->buf, text, len);
  t->buf[len] = '\0';
  start = 0;
  for (i = 0; i <= len && t->n < nlines; ++i) {
    if (i == len || t->buf[i] == '\n') {
      t->buf[i] = '\0';
      if (i > start && t->buf[i - 1] == '\r')
        t->buf[i - 1] = '\0';
      t->lines[t->n++] = &t->buf[start];
      start = i + 1;
    }
  }
  return 0;
}

/* Does LINE end with an odd number of backslashes? */
static int
continued (const char *line)
{
  size_t l = strlen (line), n = 0;

  while (n < l && line[l - 1 - n] == '\\')
    n++;
  return n % 2 == 1;
}

char *
h2k_lc_logical_line (struct h2k_lc_text *t, size_t *i, int *lineno, char sep)
{
  char *out;
  size_t olen, cap;

  *lineno = (int) *i + 1;
  olen = strlen (t->lines[*i]);
  cap = olen + 1;
  out = malloc (cap);
  if (out == NULL) {
    h2k_lc_oom (t->name);
    return NULL;
  }
  memcpy (out, t->lines[*i], cap);
  (*i)++;
  while (continued (out) && *i < t->n) {
    size_t nl = strlen (t->lines[*i]);

    olen--;                     /* drop the backslash */
    if (sep)
      out[olen++] = sep;
    if (olen + nl + 1 > LINUXCFG_MAX_LINE) {
      h2k_lc_error (t->name, *lineno,
                    "continued line too long (at most %d bytes)",
                LINUXCFG_MAX_LINE);
      free (out);
      return NULL;
    }
    if (olen + nl + 1 > cap) {
      char *n2;

      cap = olen + nl + 1;
      n2 = realloc (out, cap);
      if (n2 == NULL) {
        h2k_lc_oom (t->name);
        free (out);
        return NULL;
      }
      out = n2;
    }
    memcpy (out + olen, t->lines[*i], nl + 1);
    olen += nl;
    (*i)++;
  }
  return out;
}

int
h2k_lc_is_blank (int c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

const char *
h2k_lc_skip_blank (const char *p)
{
  while (h2k_lc_is_blank (*p))
    p++;
  return p;
}

int
h2k_lc_is_comment (const char *line, const char *comments)
{
  const char *p = h2k_lc_skip_blank (line);

  return *p == '\0' || strchr (comments, *p) != NULL;
}

/* Past the end of a $(...) that starts at P (pointing at '$'), honouring
 * nested parentheses and quotes; NULL if unterminated.
 */
static const char *
scan_paren (const char *p)
{
  int depth = 0;

  for (p++; *p; p++) {
    if (*p == '\\' && p[1])
      p++;
    else if (*p == '\'') {
      p = strchr (p + 1, '\'');
      if (p == NULL)
        return NULL;
    }
    else if (*p == '(')
      depth++;
    else if (*p == ')' && --depth == 0)
      return p + 1;
  }
  return NULL;
}

/* Past the closing backquote of `...` starting at P; NULL if none. */
static const char *
scan_backquote (const char *p)
{
  for (p++; *p; p++) {
    if (*p == '\\' && p[1])
      p++;
    else if (*p == '`')
      return p + 1;
  }
  return NULL;
}

/* An expansion starting at P ('$' or '`'): copy it literally to *O.
 * Returns the position after it, or NULL if unterminated.
 */
static const char *
copy_expansion (const char *p, char **o, int *dynamic)
{
  const char *end;

  if (*p == '`')
    end = scan_backquote (p);
  else if (p[1] == '(')
    end = scan_paren (p);
  else if (p[1] == '{') {
    end = strchr (p, '}');
    if (end)
      end++;
  }
  else {
    end = p + 1;
    if (*end == '_' || (*end >= 'A' && *end <= 'Z') ||
        (*end >= 'a' && *end <= 'z')) {
      while (*end == '_' || (*end >= 'A' && *end <= 'Z') ||
             (*end >= 'a' && *end <= 'z') || (*end >= '0' && *end <= '9'))
        end++;
    }
    else if (*end && strchr ("0123456789@*#?$!-", *end))
      end++;
    else {
      /* A lone '$' is literal. */
      *(*o)++ = '$';
      return p + 1;
    }
  }
  if (end == NULL)
    return NULL;
  *dynamic = 1;
  memcpy (*o, p, end - p);
  *o += end - p;
  return end;
}


/* $'...' starting at P (pointing at '$').  NULL if unterminated. */
static const char *
copy_ansi_c (const char *p, char **o)
{
  for (p += 2; *p && *p != '\''; p++) {
    if (*p != '\\' || p[1] == '\0') {
      *(*o)++ = *p;
      continue;
    }
    p++;
    switch (*p) {
    case 'n': *(*o)++ = '\n'; break;
    case 't': *(*o)++ = '\t'; break;
    case 'r': *(*o)++ = '\r'; break;
    case 'a': *(*o)++ = '\a'; break;
    case 'b': *(*o)++ = '\b'; break;
    case 'e': case 'E': *(*o)++ = 033; break;
    case 'f': *(*o)++ = '\f'; break;
    case 'v': *(*o)++ = '\v'; break;
    case 'x': {
      int v = 0, n = 0;
      while (n < 2 && h2k_hexval (p[1]) >= 0)
        v = v * 16 + h2k_hexval (*++p), n++;
      if (n == 0)
        *(*o)++ = '\\', *(*o)++ = 'x';
      else if (v != 0)
        *(*o)++ = (char) v;
      break;
    }
    case '0': case '1': case '2': case '3':
    case '4': case '5': case '6': case '7': {
      int v = *p - '0', n = 1;
      while (n < 3 && p[1] >= '0' && p[1] <= '7')
        v = v * 8 + (*++p - '0'), n++;
      if (v != 0)
        *(*o)++ = (char) v;
      break;
    }
    default:                    /* \\ \' \" \? and unknown: the character */
      *(*o)++ = *p;
    }
  }
  return *p == '\'' ? p + 1 : NULL;
}

/* "..." starting at P (pointing at '"').  NULL if unterminated. */
static const char *
copy_dquoted (const char *p, char **o, int *dynamic)
{
  for (p++; *p && *p != '"'; ) {
    if (*p == '\\' && p[1] && strchr ("$`\"\\", p[1])) {
      *(*o)++ = p[1];
      p += 2;
    }
    else if (*p == '\\' && p[1] == '\0')
      p++;                      /* backslash-newline */
    else if (*p == '$' || *p == '`') {
      p = copy_expansion (p, o, dynamic);
      if (p == NULL)
        return NULL;
    }
    else
      *(*o)++ = *p++;
  }
  return *p == '"' ? p + 1 : NULL;
}

int
h2k_lc_shell_word (const char **pp, char **word, int *dynamic,
               const char **reason, int stop)
{
  const char *p = h2k_lc_skip_blank (*pp);
  char *out, *o;

  *word = NULL;
  *pp = p;
  if (*p == '\0' || *p == '#')
    return 0;
  out = o = malloc (strlen (p) + 1);
  if (out == NULL) {
    *reason = "out of memory";
    return -1;
  }
  while (*p && !h2k_lc_is_blank (*p) && !(stop && *p == stop)) {
    if (*p == '\\') {
      if (p[1])
        *o++ = p[1], p += 2;
      else
        p++;
    }
    else if (*p == '\'') {
      const char *e = strchr (p + 1, '\'');
      if (e == NULL) {
        *reason = "unterminated single quote";
        goto err;
      }
      memcpy (o, p + 1, e - p - 1);
      o += e - p - 1;
      p = e + 1;
    }
    else if (*p == '"') {
      p = copy_dquoted (p, &o, dynamic);
      if (p == NULL) {
        *reason = "unterminated double quote";
        goto err;
      }
    }
    else if (*p == '$' && p[1] == '\'') {
      p = copy_ansi_c (p, &o);
      if (p == NULL) {
        *reason = "unterminated $'...' string";
        goto err;
      }
    }
    else if (*p == '$' || *p == '`') {
      p = copy_expansion (p, &o, dynamic);
      if (p == NULL) {
        *reason = "unterminated command or parameter substitution";
        goto err;
      }
    }
    else
      *o++ = *p++;
  }
  *o = '\0';
  *word = out;
  *pp = p;
  return 1;

 err:
  free (out);
  return -1;
}

int
h2k_lc_add_str (json_object *o, const char *key, const char *val)
{
  json_object *s = json_object_new_string (val);

  if (s == NULL || json_object_object_add (o, key, s) != 0) {
    json_object_put (s);
    return -1;
  }
  return 0;
}

int
h2k_lc_add_strn (json_object *o, const char *key, const char *val, size_t n)
{
  json_object *s = json_object_new_string_len (val, (int) n);

  if (s == NULL || json_object_object_add (o, key, s) != 0) {
    json_object_put (s);
    return -1;
  }
  return 0;
}

int
h2k_lc_add_int (json_object *o, const char *key, int val)
{
  json_object *i = json_object_new_int (val);

  if (i == NULL || json_object_object_add (o, key, i) != 0) {
    json_object_put (i);
    return -1;
  }
  return 0;
}

int
h2k_lc_add_bool (json_object *o, const char *key, int val)
{
  json_object *b = json_object_new_boolean (val);

  if (b == NULL || json_object_object_add (o, key, b) != 0) {
    json_object_put (b);
    return -1;
  }
  return 0;
}

int
h2k_lc_array_add (json_object *a, json_object *v)
{
  if (v == NULL || json_object_array_add (a, v) != 0) {
    json_object_put (v);
    return -1;
  }
  return 0;
}

int
h2k_lc_array_add_str (json_object *a, const char *val)
{
  return h2k_lc_array_add (a, json_object_new_string (val));
}

const char *
h2k_lc_get_str (json_object *o, const char *key)
{
  json_object *v;

  if (o == NULL || !json_object_is_type (o, json_type_object) ||
      !json_object_object_get_ex (o, key, &v) ||
      !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}
