/* h2k-fetch: VMware .vmx files: the parser (vmx_parse) and key lookups.
 *
 * vmx_parse and vmx_describe (vmx-describe.c) are pure (see vmx.h);
 * fetch_vmx (vmx-fetch.c) turns the description into the manifest and
 * hands every disk to fetch_add_disk.
 */

#include <ctype.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fetch.h"
#include "vmx.h"
#include "vmx-priv.h"

/* A copy of S fit for a one-line message: control characters become
 * '?', and long strings are cut.
 */
const char *
vmx_printable (const char *s, char *buf, size_t size)
{
  size_t i;

  for (i = 0; s[i] && i + 4 < size; ++i)
    buf[i] = iscntrl ((unsigned char) s[i]) ? '?' : s[i];
  if (s[i])
    strcpy (&buf[i], "...");
  else
    buf[i] = '\0';
  return buf;
}


/* Decode VMware's "|XX" escapes from S (LEN bytes) into a new string.
 * A '|' not followed by two hex digits stays as it is (as VMware and
 * virt-v2v do).  NULL reported.
 */
static char *
unescape (const char *s, size_t len, const char *name, unsigned line)
{
  char *r = malloc (len + 1);
  size_t j = 0;

  if (r == NULL) {
    h2k_error ("%s: line %u: %m", name, line);
    return NULL;
  }
  for (size_t i = 0; i < len; ++i) {
    int hi, lo;
    if (s[i] == '|' && i + 2 < len &&
        (hi = h2k_hexval (s[i + 1])) >= 0 && (lo = h2k_hexval (s[i + 2])) >= 0) {
      r[j] = (char) (hi * 16 + lo);
      if (r[j] == '\0') {
        free (r);
        h2k_error ("%s: line %u: value contains a NUL byte (|00)", name, line);
        return NULL;
      }
      j++;
      i += 2;
    }
    else
      r[j++] = s[i];
  }
  r[j] = '\0';
  return r;
}

static int
key_char_ok (int c)
{
  return c > ' ' && c < 127 && c != '=' && c != '"' && c != '#';
}

/* Parse one line (without its newline).  Sets *key and *value (both
 * allocated) for a key = value line, leaves them NULL for a blank or
 * comment line.  -1 reported.
 */
static int
parse_line (const char *p, size_t len, const char *name, unsigned line,
            char **key, char **value)
{
  const char *end = p + len, *k, *v;
  size_t klen, vlen;

  *key = *value = NULL;
  if (len > 0 && end[-1] == '\r')
    end--;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if (p == end || *p == '#')
    return 0;

  k = p;
  while (p < end && key_char_ok ((unsigned char) *p))
    p++;
  klen = p - k;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if (klen == 0 || p == end || *p != '=') {
    h2k_error ("%s: line %u: expected 'key = \"value\"'", name, line);
    return -1;
  }
  if (klen > VMX_MAX_KEY) {
    h2k_error ("%s: line %u: key too long (more than %d bytes)",
               name, line, VMX_MAX_KEY);
    return -1;
  }
  p++;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;

  if (p < end && *p == '"') {
    v = ++p;
    while (p < end && *p != '"')
      p++;
    vlen = p - v;
    if (vlen > VMX_MAX_VALUE) {
      h2k_error ("%s: line %u: value too long (more than %d bytes)",
                 name, line, VMX_MAX_VALUE);
      return -1;
    }
    if (p == end) {
      h2k_error ("%s: line %u: unterminated quoted value", name, line);
      return -1;
    }
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if (p < end && *p != '#') {
      h2k_error ("%s: line %u: unexpected text after the quoted value",
                 name, line);
      return -1;
    }
  }
  else {
    /* Unquoted (packer writes some): the rest of the line, trimmed. */
    v = p;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    vlen = end - v;
    if (vlen > VMX_MAX_VALUE) {
      h2k_error ("%s: line %u: value too long (more than %d bytes)",
                 name, line, VMX_MAX_VALUE);
      return -1;
    }
    if (memchr (v, '"', vlen)) {
      h2k_error ("%s: line %u: stray '\"' in an unquoted value", name, line);
      return -1;
    }
  }

  *key = strndup (k, klen);
  if (*key == NULL) {
    h2k_error ("%s: line %u: %m", name, line);
    return -1;
  }
  for (char *c = *key; *c; ++c)
    *c = tolower ((unsigned char) *c);
  *value = unescape (v, vlen, name, line);
  if (*value == NULL) {
    free (*key);
    *key = NULL;
    return -1;
  }
  return 0;
}

static int
compare_entries (const void *a, const void *b)
{
  const struct vmx_entry *x = a, *y = b;
  int r = strcmp (x->key, y->key);

  if (r)
    return r;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by key; of duplicate keys keep the last one set. */
static void
sort_and_dedup (struct vmx *vmx)
{
  size_t j = 0;

  if (vmx->n == 0)
    return;
  qsort (vmx->e, vmx->n, sizeof vmx->e[0], compare_entries);
  for (size_t i = 0; i < vmx->n; ++i) {
    if (i + 1 < vmx->n && strcmp (vmx->e[i].key, vmx->e[i + 1].key) == 0) {
      free (vmx->e[i].key);
      free (vmx->e[i].value);
      continue;
    }
    vmx->e[j++] = vmx->e[i];
  }
  vmx->n = j;
}

void
vmx_free (struct vmx *vmx)
{
  if (vmx == NULL)
    return;
  for (size_t i = 0; i < vmx->n; ++i) {
    free (vmx->e[i].key);
    free (vmx->e[i].value);
  }
  free (vmx->e);
  free (vmx);
}

static int
is_vmdk (const char *buf, size_t len)
{
  return (len >= 4 && (memcmp (buf, "KDMV", 4) == 0 ||
                       memcmp (buf, "COWD", 4) == 0)) ||
    strncmp (buf, "# Disk DescriptorFile", 21) == 0;
}

/* Convert S (NUL-terminated) with CD into a new string.  NULL reported. */
static char *
convert (iconv_t cd, const char *s, const char *name, const char *key)
{
  size_t inleft = strlen (s), outsize = inleft * 4 + 1, outleft = outsize - 1;
  char *r = malloc (outsize), *in = (char *) s, *out = r;

  if (r == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  iconv (cd, NULL, NULL, NULL, NULL);
  if (iconv (cd, &in, &inleft, &out, &outleft) == (size_t) -1 ||
      iconv (cd, NULL, NULL, &out, &outleft) == (size_t) -1) {
    free (r);
    h2k_error ("%s: %s: not valid in the file's .encoding: %m", name, key);
    return NULL;
  }
  *out = '\0';
  return r;
}

static int
valid_utf8 (const unsigned char *s)
{
  while (*s) {
    size_t n;
    uint32_t c;

    if (*s < 0x80) { s++; continue; }
    if ((*s & 0xe0) == 0xc0) { n = 1; c = *s & 0x1f; }
    else if ((*s & 0xf0) == 0xe0) { n = 2; c = *s & 0x0f; }
    else if ((*s & 0xf8) == 0xf0) { n = 3; c = *s & 0x07; }
    else return 0;
    for (size_t i = 1; i <= n; ++i) {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      c = c << 6 | (s[i] & 0x3f);
    }
    if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
        (n == 3 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
      return 0;
    s += n + 1;
  }
  return 1;
}

/* VMware records the character set of the values in ".encoding"
 * (UTF-8 nowadays; windows-1252, Shift_JIS, ... in older files).
 * Convert every value to UTF-8.
 */
static int
convert_encoding (struct vmx *vmx, const char *name)
{
  const char *enc = vmx_get (vmx, ".encoding");
  iconv_t cd;
  char buf[72];
  int r = 0;

  if (enc && (strcasecmp (enc, "UTF-8") == 0 || strcasecmp (enc, "UTF8") == 0))
    return 0;
  if (enc == NULL) {
    /* Old files have no .encoding: if they are not UTF-8, they are most
     * likely in a Western Windows code page.
     */
    size_t i;
    for (i = 0; i < vmx->n; ++i)
      if (!valid_utf8 ((const unsigned char *) vmx->e[i].value))
        break;
    if (i == vmx->n)
      return 0;
    h2k_warning ("%s: no .encoding and text that is not UTF-8 (line %u): "
                 "reading it as ISO-8859-1", name, vmx->e[i].line);
    enc = "ISO-8859-1";
  }
  cd = iconv_open ("UTF-8", enc);
  if (cd == (iconv_t) -1) {
    h2k_error ("%s: .encoding: \"%s\" is not an encoding we know", name,
               vmx_printable (enc, buf, sizeof buf));
    return -1;
  }
  for (size_t i = 0; i < vmx->n && r == 0; ++i) {
    char *v = convert (cd, vmx->e[i].value, name, vmx->e[i].key);
    if (v == NULL)
      r = -1;
    else {
      free (vmx->e[i].value);
      vmx->e[i].value = v;
    }
  }
  iconv_close (cd);
  return r;
}

struct vmx *
vmx_parse (const char *buf, size_t len, const char *name)
{
  CLEANUP_VMX struct vmx *vmx = calloc (1, sizeof *vmx);
  size_t cap = 0;
  unsigned line = 0;
  const char *p = buf, *end = buf + len;

  if (vmx == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  if (is_vmdk (buf, len)) {
    h2k_error ("%s: this is a VMDK disk image, not a VMX file", name);
    return NULL;
  }
  if (strlen (buf) != len) {
    h2k_error ("%s: contains NUL bytes: not a VMX file", name);
    return NULL;
  }
  while (p < end) {
    const char *nl = memchr (p, '\n', end - p);
    size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
    char *key, *value;

    line++;
    if (parse_line (p, n, name, line, &key, &value) == -1)
      return NULL;
    p += n + (nl != NULL);
    if (key == NULL)
      continue;
    if (vmx->n >= VMX_MAX_KEYS) {
      free (key);
      free (value);
      h2k_error ("%s: line %u: too many keys (more than %d)",
                 name, line, VMX_MAX_KEYS);
      return NULL;
    }
    if (vmx->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      struct vmx_entry *e = realloc (vmx->e, ncap * sizeof *e);
      if (e == NULL) {
        free (key);
        free (value);
        h2k_error ("%s: %m", name);
        return NULL;
      }
      vmx->e = e;
      cap = ncap;
    }
    vmx->e[vmx->n++] = (struct vmx_entry) { key, value, line };
  }
  sort_and_dedup (vmx);
  if (convert_encoding (vmx, name) == -1)
    return NULL;

  struct vmx *r = vmx;
  vmx = NULL;
  return r;
}

struct vmx *
vmx_parse_file (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  buf = h2k_read_file (path, VMX_MAX_FILE, &len);
  if (buf == NULL)
    return NULL;
  return vmx_parse (buf, len, path);
}

static const struct vmx_entry *
find (const struct vmx *vmx, const char *key)
{
  char lower[VMX_MAX_KEY + 1];
  size_t lo = 0, hi = vmx->n, i;

  for (i = 0; key[i] && i < VMX_MAX_KEY; ++i)
    lower[i] = tolower ((unsigned char) key[i]);
  if (key[i])
    return NULL;
  lower[i] = '\0';
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp (lower, vmx->e[mid].key);
    if (r == 0)
      return &vmx->e[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

const char *
vmx_get (const struct vmx *vmx, const char *key)
{
  const struct vmx_entry *e = find (vmx, key);

  return e ? e->value : NULL;
}

size_t
vmx_count (const struct vmx *vmx)
{
  return vmx->n;
}

unsigned
vmx_line (const struct vmx *vmx, const char *key)
{
  const struct vmx_entry *e = find (vmx, key);

  return e ? e->line : 0;
}
