/* h2k: VMDK descriptors. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "byteorder.h"
#include "error.h"
#include "util.h"
#include "vmdk.h"

static const char *const access_modes[] = { "RW", "RDONLY", "NOACCESS", NULL };
static const char *const extent_types[] = {
  "FLAT", "SPARSE", "ZERO", "VMFS", "VMFSSPARSE", "VMFSRDM", "VMFSRAW",
  "SESPARSE", NULL
};

/* Where the parser is, for messages. */
struct pos {
  const char *name;
  size_t line;
};

static int
in_list (const char *const *list, const char *s)
{
  for (size_t i = 0; list[i]; ++i)
    if (strcmp (list[i], s) == 0)
      return 1;
  return 0;
}

void
h2k_vmdk_cid_string (uint32_t cid, char buf[9])
{
  snprintf (buf, 9, "%08" PRIx32, cid);
}

void
h2k_vmdk_descriptor_free (struct h2k_vmdk_descriptor *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->nr_extents; ++i)
    free (d->extents[i].file);
  free (d->extents);
  free (d->create_type);
  free (d->parent_hint);
  free (d->encoding);
  memset (d, 0, sizeof *d);
}

/* Decimal digits only, no sign, no overflow. */
static int
parse_u64 (const char *s, uint64_t *r)
{
  uint64_t v = 0;

  if (*s == '\0')
    return -1;
  for (; *s; ++s) {
    if (!isdigit ((unsigned char) *s))
      return -1;
    if (v > (UINT64_MAX - (*s - '0')) / 10)
      return -1;
    v = v * 10 + (*s - '0');
  }
  *r = v;
  return 0;
}

/* 1 to 8 hexadecimal digits, as VMware and qemu write CIDs. */
static int
parse_cid (const char *s, uint32_t *r)
{
  size_t n = strlen (s);
  uint32_t v = 0;

  if (n == 0 || n > 8)
    return -1;
  for (; *s; ++s) {
    if (!isxdigit ((unsigned char) *s))
      return -1;
    v = v * 16 + (isdigit ((unsigned char) *s) ? *s - '0'
                                                : tolower ((unsigned char) *s) - 'a' + 10);
  }
  *r = v;
  return 0;
}

/* Remove the quotes around a value, if any, in place. */
static int
unquote (char **value, const struct pos *p, const char *key)
{
  char *v = *value;
  size_t n = strlen (v);

  if (v[0] != '"')
    return 0;
  if (n < 2 || v[n - 1] != '"') {
    h2k_error ("%s: line %zu: %s: unterminated quoted value", p->name, p->line, key);
    return -1;
  }
  v[n - 1] = '\0';
  *value = v + 1;
  if (strchr (*value, '"')) {
    h2k_error ("%s: line %zu: %s: stray quote in value", p->name, p->line, key);
    return -1;
  }
  return 0;
}

static int
set_string (char **dst, const char *value, const struct pos *p, const char *key)
{
  if (*dst) {
    h2k_error ("%s: line %zu: %s: given twice", p->name, p->line, key);
    return -1;
  }
  *dst = strdup (value);
  if (*dst == NULL) {
    h2k_error ("%s: %m", p->name);
    return -1;
  }
  return 0;
}

/* Which keys we have seen, to refuse duplicates of those we use. */
struct seen {
  int version, cid, parent_cid;
};

static int
parse_key (char *line, char *eq, const struct pos *p,
           struct h2k_vmdk_descriptor *d, struct seen *seen)
{
  char *key, *value;
  uint64_t u;

  *eq = '\0';
  key = h2k_trim (line);
  value = h2k_trim (eq + 1);
  if (*key == '\0') {
    h2k_error ("%s: line %zu: empty key before '='", p->name, p->line);
    return -1;
  }
  if (unquote (&value, p, key) == -1)
    return -1;
  if (strlen (value) > H2K_VMDK_MAX_VALUE) {
    h2k_error ("%s: line %zu: %s: value longer than %u bytes",
               p->name, p->line, key, H2K_VMDK_MAX_VALUE);
    return -1;
  }

  if (strcmp (key, "CID") == 0 || strcmp (key, "parentCID") == 0) {
    int is_cid = key[0] == 'C';
    int *flag = is_cid ? &seen->cid : &seen->parent_cid;
    if (*flag) {
      h2k_error ("%s: line %zu: %s: given twice", p->name, p->line, key);
      return -1;
    }
    *flag = 1;
    if (parse_cid (value, is_cid ? &d->cid : &d->parent_cid) == -1) {
      h2k_error ("%s: line %zu: %s: \"%.32s\" is not a CID (1 to 8 hex digits)",
                 p->name, p->line, key, value);
      return -1;
    }
  }
  else if (strcmp (key, "version") == 0) {
    if (seen->version++ || parse_u64 (value, &u) == -1 || u == 0 || u > 3) {
      h2k_error ("%s: line %zu: version: \"%.32s\" is not 1, 2 or 3%s",
                 p->name, p->line, value, seen->version > 1 ? " (or given twice)" : "");
      return -1;
    }
    d->version = u;
  }
  else if (strcmp (key, "createType") == 0)
    return set_string (&d->create_type, value, p, key);
  else if (strcmp (key, "parentFileNameHint") == 0) {
    if (*value == '\0') {
      h2k_error ("%s: line %zu: parentFileNameHint: empty", p->name, p->line);
      return -1;
    }
    return set_string (&d->parent_hint, value, p, key);
  }
  else if (strcmp (key, "encoding") == 0)
    return set_string (&d->encoding, value, p, key);
  /* Every other key (ddb.*, isNativeSnapshot, ...) is not ours. */
  return 0;
}

/* The next white-space separated word of *S, NUL-terminated in place. */
static char *
next_word (char **s)
{
  char *w, *e;

  w = *s;
  while (*w == ' ' || *w == '\t')
    w++;
  if (*w == '\0')
    return NULL;
  e = w;
  while (*e && *e != ' ' && *e != '\t')
    e++;
  if (*e)
    *e++ = '\0';
  *s = e;
  return w;
}

static int
add_extent (struct h2k_vmdk_descriptor *d, const struct h2k_vmdk_extent *e,
            const struct pos *p)
{
  struct h2k_vmdk_extent *n;

  if (d->nr_extents >= H2K_VMDK_MAX_EXTENTS) {
    h2k_error ("%s: line %zu: extent: more than %u extents",
               p->name, p->line, H2K_VMDK_MAX_EXTENTS);
    return -1;
  }
  if (e->sectors > (uint64_t) INT64_MAX / 512 - d->sectors) {
    h2k_error ("%s: line %zu: extent: the sizes add up to more than 2^63 bytes",
               p->name, p->line);
    return -1;
  }
  n = realloc (d->extents, (d->nr_extents + 1) * sizeof *n);
  if (n == NULL) {
    h2k_error ("%s: %m", p->name);
    return -1;
  }
  d->extents = n;
  d->extents[d->nr_extents++] = *e;
  d->sectors += e->sectors;
  return 0;
}

/* "RW 8192 SPARSE "file.vmdk"" or "RW 20480 FLAT "f-flat.vmdk" 0" or
 * "RW 1024 ZERO".
 */
static int
parse_extent (char *line, const struct pos *p, struct h2k_vmdk_descriptor *d)
{
  struct h2k_vmdk_extent e = { .file = NULL };
  char *s = line, *access, *size, *type, *rest, *off;

  access = next_word (&s);
  size = next_word (&s);
  type = next_word (&s);
  if (size == NULL || parse_u64 (size, &e.sectors) == -1 || e.sectors == 0) {
    h2k_error ("%s: line %zu: extent: \"%.32s\" is not a size in sectors",
               p->name, p->line, size ? size : "");
    return -1;
  }
  if (type == NULL || !in_list (extent_types, type)) {
    h2k_error ("%s: line %zu: extent: unknown extent type \"%.32s\"",
               p->name, p->line, type ? type : "");
    return -1;
  }
  strcpy (e.access, access);
  strcpy (e.type, type);
  rest = s;
  while (*rest == ' ' || *rest == '\t')
    rest++;
  if (strcmp (type, "ZERO") == 0) {
    if (*rest != '\0') {
      h2k_error ("%s: line %zu: extent: a ZERO extent names no file", p->name, p->line);
      return -1;
    }
    return add_extent (d, &e, p);
  }
  if (*rest != '"' || (s = strchr (rest + 1, '"')) == NULL) {
    h2k_error ("%s: line %zu: extent: missing or unterminated quoted file name",
               p->name, p->line);
    return -1;
  }
  *s++ = '\0';
  rest++;
  if (*rest == '\0' || strlen (rest) > H2K_VMDK_MAX_VALUE) {
    h2k_error ("%s: line %zu: extent: file name empty or longer than %u bytes",
               p->name, p->line, H2K_VMDK_MAX_VALUE);
    return -1;
  }
  off = next_word (&s);
  if ((off && parse_u64 (off, &e.offset) == -1) || next_word (&s) != NULL) {
    h2k_error ("%s: line %zu: extent: unexpected text after the file name",
               p->name, p->line);
    return -1;
  }
  e.file = strdup (rest);
  if (e.file == NULL) {
    h2k_error ("%s: %m", p->name);
    return -1;
  }
  if (add_extent (d, &e, p) == -1) {
    free (e.file);
    return -1;
  }
  return 0;
}

static int
is_extent_line (const char *s)
{
  for (size_t i = 0; access_modes[i]; ++i) {
    size_t n = strlen (access_modes[i]);
    if (strncmp (s, access_modes[i], n) == 0 && (s[n] == ' ' || s[n] == '\t'))
      return 1;
  }
  return 0;
}

static int
parse_line (char *line, const struct pos *p, struct h2k_vmdk_descriptor *d,
            struct seen *seen)
{
  char *s = h2k_trim (line), *eq;

  if (*s == '\0' || *s == '#')
    return 0;
  if (is_extent_line (s))
    return parse_extent (s, p, d);
  eq = strchr (s, '=');
  if (eq)
    return parse_key (s, eq, p, d, seen);
  h2k_error ("%s: line %zu: \"%.40s\" is neither key=value nor an extent",
             p->name, p->line, s);
  return -1;
}

/* Whole-descriptor checks, after the last line. */
static int
check_descriptor (const struct h2k_vmdk_descriptor *d, const struct seen *seen,
                  const char *name)
{
  char pcid[9];

  if (d->create_type == NULL) {
    h2k_error ("%s: createType: missing (truncated descriptor?)", name);
    return -1;
  }
  if (!seen->cid) {
    h2k_error ("%s: CID: missing (truncated descriptor?)", name);
    return -1;
  }
  if (d->nr_extents == 0) {
    h2k_error ("%s: extent: no extent lines (truncated descriptor?)", name);
    return -1;
  }
  h2k_vmdk_cid_string (d->parent_cid, pcid);
  if (d->parent_cid != H2K_VMDK_NO_PARENT && d->parent_hint == NULL) {
    h2k_error ("%s: parentFileNameHint: missing, but parentCID is %s "
               "(a delta without the name of its parent)", name, pcid);
    return -1;
  }
  if (d->parent_cid == H2K_VMDK_NO_PARENT && d->parent_hint != NULL) {
    h2k_error ("%s: parentCID: ffffffff (no parent), but parentFileNameHint "
               "is \"%s\"", name, d->parent_hint);
    return -1;
  }
  return 0;
}

static int
parse_lines (const char *buf, size_t len, const char *name,
             struct h2k_vmdk_descriptor *d)
{
  CLEANUP_FREE char *line = malloc (H2K_VMDK_MAX_LINE + 1);
  struct pos p = { name, 0 };
  struct seen seen = { 0 };
  size_t i = 0;

  if (line == NULL) {
    h2k_error ("%s: %m", name);
    return -1;
  }
  d->parent_cid = H2K_VMDK_NO_PARENT;
  while (i < len) {
    const char *nl = memchr (buf + i, '\n', len - i);
    size_t n = (nl ? (size_t) (nl - buf) : len) - i;

    p.line++;
    if (n > H2K_VMDK_MAX_LINE) {
      h2k_error ("%s: line %zu: longer than %u bytes", name, p.line,
                 H2K_VMDK_MAX_LINE);
      return -1;
    }
    memcpy (line, buf + i, n);
    line[n] = '\0';
    if (parse_line (line, &p, d, &seen) == -1)
      return -1;
    i += n + 1;
  }
  return check_descriptor (d, &seen, name);
}

int
h2k_vmdk_parse_descriptor (const char *buf, size_t len, const char *name,
                           struct h2k_vmdk_descriptor *d)
{
  memset (d, 0, sizeof *d);
  len = strnlen (buf, len);
  if (len > H2K_VMDK_MAX_DESCRIPTOR) {
    h2k_error ("%s: descriptor larger than %u bytes", name, H2K_VMDK_MAX_DESCRIPTOR);
    return -1;
  }
  if (parse_lines (buf, len, name, d) == -1) {
    h2k_vmdk_descriptor_free (d);
    return -1;
  }
  return 0;
}

int
h2k_vmdk_parse_sparse_header (const void *buf, size_t len, const char *name,
                              struct h2k_vmdk_sparse_header *h)
{
  const unsigned char *b = buf;

  if (len < 512 || memcmp (b, H2K_VMDK_SPARSE_MAGIC, 4) != 0) {
    h2k_error ("%s: not a VMDK sparse extent (no KDMV header)", name);
    return -1;
  }
  h->version = h2k_le32 (b + 4);
  h->flags = h2k_le32 (b + 8);
  h->capacity = h2k_le64 (b + 12);
  h->grain_size = h2k_le64 (b + 20);
  h->desc_offset = h2k_le64 (b + 28);
  h->desc_size = h2k_le64 (b + 36);
  h->compress_algorithm = h2k_le16 (b + 77);
  if (h->version < 1 || h->version > 3) {
    h2k_error ("%s: sparse header: version %" PRIu32 " is not 1, 2 or 3",
               name, h->version);
    return -1;
  }
  if (h->capacity > (uint64_t) INT64_MAX / 512) {
    h2k_error ("%s: sparse header: capacity %" PRIu64 " sectors is too large",
               name, h->capacity);
    return -1;
  }
  if (h->desc_size > H2K_VMDK_MAX_DESCRIPTOR / 512 ||
      h->desc_offset > (uint64_t) INT64_MAX / 512 ||
      (h->desc_offset == 0) != (h->desc_size == 0)) {
    h2k_error ("%s: sparse header: descriptorOffset %" PRIu64 ", descriptorSize "
               "%" PRIu64 ": out of bounds (at most %u sectors)", name,
               h->desc_offset, h->desc_size, H2K_VMDK_MAX_DESCRIPTOR / 512);
    return -1;
  }
  return 0;
}

int
h2k_vmdk_sparse_is_descriptor (const struct h2k_vmdk_sparse_header *h)
{
  return h->capacity == 0 && h->desc_offset != 0;
}

static int
read_embedded (int fd, const char *path, const unsigned char *hdrbuf,
               off_t file_size, struct h2k_vmdk_descriptor *d)
{
  struct h2k_vmdk_sparse_header h;
  CLEANUP_FREE char *buf = NULL;
  size_t len;
  ssize_t r;

  if (h2k_vmdk_parse_sparse_header (hdrbuf, 512, path, &h) == -1)
    return -1;
  if (h2k_vmdk_sparse_is_descriptor (&h)) {
    h2k_error ("%s: sparse header: capacity 0 with an embedded descriptor "
               "(qemu would open the extents that descriptor names instead "
               "of this file): refused", path);
    return -1;
  }
  if (h.desc_offset == 0) {
    h2k_error ("%s: a sparse extent without an embedded descriptor: open the "
               "text descriptor that names it", path);
    return -1;
  }
  len = h.desc_size * 512;
  if ((uint64_t) file_size < (h.desc_offset + h.desc_size) * 512) {
    h2k_error ("%s: sparse header: descriptorOffset %" PRIu64 " + descriptorSize "
               "%" PRIu64 " lies beyond the end of the file (truncated?)",
               path, h.desc_offset, h.desc_size);
    return -1;
  }
  buf = malloc (len);
  if (buf == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  r = pread (fd, buf, len, h.desc_offset * 512);
  if (r != (ssize_t) len) {
    h2k_error ("%s: reading the embedded descriptor: %s", path,
               r == -1 ? strerror (errno) : "short read");
    return -1;
  }
  if (h2k_vmdk_parse_descriptor (buf, len, path, d) == -1)
    return -1;
  d->embedded = 1;
  return 0;
}

static int
read_text (int fd, const char *path, off_t file_size,
           struct h2k_vmdk_descriptor *d)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = file_size;
  ssize_t r;

  if ((uint64_t) file_size > H2K_VMDK_MAX_DESCRIPTOR) {
    h2k_error ("%s: not a VMDK descriptor: no sparse header, and larger than "
               "%u bytes for a text descriptor", path, H2K_VMDK_MAX_DESCRIPTOR);
    return -1;
  }
  buf = malloc (len + 1);
  if (buf == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  r = pread (fd, buf, len, 0);
  if (r != (ssize_t) len) {
    h2k_error ("%s: read: %s", path, r == -1 ? strerror (errno) : "short read");
    return -1;
  }
  buf[len] = '\0';
  /* qemu pads a descriptor it rewrote with NULs to a whole sector; any
   * other byte after a NUL means a binary file.
   */
  for (size_t i = strlen (buf); i < len; ++i) {
    if (buf[i] != '\0') {
      h2k_error ("%s: not a VMDK descriptor: binary data and no sparse header",
                 path);
      return -1;
    }
  }
  return h2k_vmdk_parse_descriptor (buf, len, path, d);
}

int
h2k_vmdk_read_descriptor (const char *path, struct h2k_vmdk_descriptor *d)
{
  CLEANUP_CLOSE int fd = -1;
  unsigned char hdr[512] = { 0 };
  struct stat st;
  ssize_t r;

  memset (d, 0, sizeof *d);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", path);
    return -1;
  }
  r = pread (fd, hdr, sizeof hdr, 0);
  if (r == -1) {
    h2k_error ("%s: read: %m", path);
    return -1;
  }
  if (r >= 4 && memcmp (hdr, H2K_VMDK_SPARSE_MAGIC, 4) == 0) {
    if (r < 512) {
      h2k_error ("%s: sparse header truncated (%zd bytes)", path, r);
      return -1;
    }
    return read_embedded (fd, path, hdr, st.st_size, d);
  }
  if (r >= 4 && memcmp (hdr, H2K_VMDK_COWD_MAGIC, 4) == 0) {
    h2k_error ("%s: an ESX vmfsSparse (COWD) extent, not a descriptor: open "
               "the descriptor that names it", path);
    return -1;
  }
  return read_text (fd, path, st.st_size, d);
}
