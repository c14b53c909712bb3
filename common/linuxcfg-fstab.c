/* h2k: fstab(5) and crypttab(5) parsers. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

#define MAX_FIELDS 6

/* Decode \NNN octal escapes in place (as getmntent does). */
static void
unescape_octal (char *s)
{
  char *o = s;

  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
        s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7' &&
        (s[1] != '0' || s[2] != '0' || s[3] != '0')) {
      *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 4;
    }
    else
      *o++ = *s++;
  }
  *o = '\0';
}

/* Split LINE (modified) on blanks into at most MAX fields.  Returns the
 * number of fields, or MAX + 1 if there are more.  A word starting with
 * '#' after the first two fields starts a comment (glibc's getmntent
 * ignores what follows passno too).
 */
static int
split_fields (char *line, char **fields, int max)
{
  int n = 0;
  char *p = line;

  for (;;) {
    while (h2k_lc_is_blank (*p))
      p++;
    if (*p == '\0' || (*p == '#' && n >= 2))
      return n;
    if (n == max)
      return max + 1;
    fields[n++] = p;
    while (*p && !h2k_lc_is_blank (*p))
      p++;
    if (*p)
      *p++ = '\0';
  }
}

static char *
unquote_dup (const char *v)
{
  size_t l = strlen (v);

  if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0])
    return strndup (v + 1, l - 2);
  return strdup (v);
}

static const char *
device_type (const char *dev)
{
  static const struct { const char *prefix, *type; } types[] = {
    { "sd", "sd" }, { "hd", "hd" }, { "vd", "vd" }, { "xvd", "xvd" },
    { "nvme", "nvme" }, { "mmcblk", "mmcblk" }, { "mapper/", "mapper" },
    { "md", "md" }, { "dm-", "dm" },
  };
  const char *slash;
  size_t i;

  for (i = 0; i < sizeof types / sizeof types[0]; ++i)
    if (strncmp (dev, types[i].prefix, strlen (types[i].prefix)) == 0)
      return types[i].type;
  slash = strchr (dev, '/');
  if (slash && slash != dev && slash[1] && strchr (slash + 1, '/') == NULL &&
      strncmp (dev, "disk/", 5) != 0)
    return "lvm";
  return "other";
}

const char *
h2k_linuxcfg_classify_spec (const char *spec, char **value,
                            const char **dtype)
{
  static const struct { const char *tag, *kind; } tags[] = {
    { "UUID=", "uuid" }, { "PARTUUID=", "partuuid" },
    { "LABEL=", "label" }, { "PARTLABEL=", "partlabel" },
    { "ID=", "id" },
  };
  static const char *bys[] = {
    "by-uuid", "by-label", "by-partuuid", "by-partlabel", "by-id", "by-path",
  };
  size_t i;

  *value = NULL;
  *dtype = NULL;
  for (i = 0; i < sizeof tags / sizeof tags[0]; ++i) {
    size_t l = strlen (tags[i].tag);
    if (strncasecmp (spec, tags[i].tag, l) == 0) {
      *value = unquote_dup (spec + l);
      return *value ? tags[i].kind : NULL;
    }
  }
  if (strncmp (spec, "/dev/disk/", 10) == 0) {
    for (i = 0; i < sizeof bys / sizeof bys[0]; ++i) {
      size_t l = strlen (bys[i]);
      if (strncmp (spec + 10, bys[i], l) == 0 && spec[10 + l] == '/') {
        *value = strdup (spec + 10 + l + 1);
        return *value ? bys[i] : NULL;
      }
    }
  }
  if (strncmp (spec, "/dev/", 5) == 0) {
    *dtype = device_type (spec + 5);
    return "device";
  }
  return "other";
}

static int
add_spec_kind (json_object *e, const char *key_kind, const char *spec)
{
  CLEANUP_FREE char *value = NULL;
  const char *dtype, *kind;

  kind = h2k_linuxcfg_classify_spec (spec, &value, &dtype);
  if (kind == NULL || h2k_lc_add_str (e, key_kind, kind) == -1)
    return -1;
  if (value && h2k_lc_add_str (e, "spec_value", value) == -1)
    return -1;
  if (dtype && h2k_lc_add_str (e, "device_type", dtype) == -1)
    return -1;
  return 0;
}

/* A non-negative decimal number for freq/passno, or -1. */
static int
small_number (const char *s)
{
  long v = 0;

  if (*s == '\0')
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    v = v * 10 + (*s - '0');
    if (v > 1000000)
      return -1;
  }
  return (int) v;
}

static json_object *
fstab_entry (char **f, int n, int lineno, const char *name)
{
  CLEANUP_JSON json_object *e = json_object_new_object ();
  int freq = 0, passno = 0;
  json_object *ret;

  if (n > 4 && (freq = small_number (f[4])) < 0) {
    h2k_lc_error (name, lineno, "freq field '%s' is not a number", f[4]);
    return NULL;
  }
  if (n > 5 && (passno = small_number (f[5])) < 0) {
    h2k_lc_error (name, lineno, "passno field '%s' is not a number", f[5]);
    return NULL;
  }
  if (e == NULL ||
      h2k_lc_add_int (e, "line", lineno) == -1 ||
      h2k_lc_add_str (e, "spec", f[0]) == -1 ||
      h2k_lc_add_str (e, "file", f[1]) == -1 ||
      h2k_lc_add_str (e, "vfstype", n > 2 ? f[2] : "auto") == -1 ||
      h2k_lc_add_str (e, "options", n > 3 ? f[3] : "defaults") == -1 ||
      h2k_lc_add_int (e, "freq", freq) == -1 ||
      h2k_lc_add_int (e, "passno", passno) == -1 ||
      add_spec_kind (e, "spec_kind", f[0]) == -1) {
    h2k_lc_oom (name);
    return NULL;
  }
  ret = e;
  e = NULL;
  return ret;
}

static json_object *
crypttab_entry (char **f, int n, int lineno, const char *name)
{
  CLEANUP_JSON json_object *e = json_object_new_object ();
  json_object *ret;

  if (e == NULL ||
      h2k_lc_add_int (e, "line", lineno) == -1 ||
      h2k_lc_add_str (e, "target", f[0]) == -1 ||
      h2k_lc_add_str (e, "source", f[1]) == -1 ||
      (n > 2 && h2k_lc_add_str (e, "keyfile", f[2]) == -1) ||
      (n > 3 && h2k_lc_add_str (e, "options", f[3]) == -1) ||
      add_spec_kind (e, "spec_kind", f[1]) == -1) {
    h2k_lc_oom (name);
    return NULL;
  }
  ret = e;
  e = NULL;
  return ret;
}

/* Both tables: MAXF fields at most, 2 at least. */
static json_object *
parse_table (const char *text, size_t len, const char *name, int maxf,
             json_object *(*entry) (char **, int, int, const char *))
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *arr = NULL;
  json_object *ret = NULL;
  size_t i;

  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  arr = json_object_new_array ();
  if (arr == NULL) {
    h2k_lc_oom (name);
    goto out;
  }
  for (i = 0; i < t.n; ++i) {
    char *f[MAX_FIELDS + 1];
    json_object *e;
    int n, k;

    if (h2k_lc_is_comment (t.lines[i], "#"))
      continue;
    n = split_fields (t.lines[i], f, maxf);
    if (n < 2 || n > maxf) {
      h2k_lc_error (name, (int) i + 1, "expected 2 to %d fields, found %s",
                maxf, n > maxf ? "more" : "1");
      goto out;
    }
    if (json_object_array_length (arr) >= LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, (int) i + 1, "too many entries (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      goto out;
    }
    for (k = 0; k < n; ++k)
      unescape_octal (f[k]);
    e = entry (f, n, (int) i + 1, name);
    if (e == NULL)
      goto out;
    if (h2k_lc_array_add (arr, e) == -1) {
      h2k_lc_oom (name);
      goto out;
    }
  }
  ret = arr;
  arr = NULL;
 out:
  h2k_lc_text_free (&t);
  return ret;
}

json_object *
h2k_linuxcfg_fstab (const char *text, size_t len, const char *name)
{
  return parse_table (text, len, name, 6, fstab_entry);
}

json_object *
h2k_linuxcfg_crypttab (const char *text, size_t len, const char *name)
{
  return parse_table (text, len, name, 4, crypttab_entry);
}
