/* h2k: VHD footers, dynamic headers, parent locators and the BAT.  VHDX
 * is in vhdx.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byteorder.h"
#include "cleanup.h"
#include "error.h"
#include "vhd.h"
#include "vhd-priv.h"

/* One's complement of the byte sum, skipping the checksum field. */
static uint32_t
checksum (const unsigned char *b, size_t len, size_t skip)
{
  uint32_t sum = 0;

  for (size_t i = 0; i < len; ++i)
    if (i < skip || i >= skip + 4)
      sum += b[i];
  return ~sum;
}

void
h2k_vhd_uuid_string (const uint8_t u[16], char buf[37])
{
  snprintf (buf, 37,
            "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
            u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
            u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int
h2k_vhd_parse_footer (const void *buf, size_t len, const char *name,
                      struct h2k_vhd_footer *f)
{
  const unsigned char *b = buf;
  uint32_t sum;

  memset (f, 0, sizeof *f);
  if (len < H2K_VHD_FOOTER_SIZE || memcmp (b, "conectix", 8) != 0) {
    h2k_error ("%s: footer: cookie: no \"conectix\" (not a VHD)", name);
    return -1;
  }
  f->features = h2k_be32 (b + 8);
  f->version = h2k_be32 (b + 12);
  f->data_offset = h2k_be64 (b + 16);
  f->timestamp = h2k_be32 (b + 24);
  memcpy (f->creator_app, b + 28, 4);
  f->creator_version = h2k_be32 (b + 32);
  memcpy (f->creator_os, b + 36, 4);
  f->original_size = h2k_be64 (b + 40);
  f->current_size = h2k_be64 (b + 48);
  f->disk_type = h2k_be32 (b + 60);
  memcpy (f->uuid, b + 68, 16);
  f->saved_state = b[84];
  sum = checksum (b, H2K_VHD_FOOTER_SIZE, 64);
  if (sum != h2k_be32 (b + 64)) {
    h2k_error ("%s: footer: checksum: %08" PRIx32 " recorded, %08" PRIx32
               " computed", name, h2k_be32 (b + 64), sum);
    return -1;
  }
  if (f->version >> 16 != 1) {
    h2k_error ("%s: footer: version: %08" PRIx32 " is not 1.x", name, f->version);
    return -1;
  }
  if (f->disk_type != H2K_VHD_FIXED && f->disk_type != H2K_VHD_DYNAMIC &&
      f->disk_type != H2K_VHD_DIFFERENCING) {
    h2k_error ("%s: footer: disk type: %" PRIu32 " is not 2 (fixed), 3 "
               "(dynamic) or 4 (differencing)", name, f->disk_type);
    return -1;
  }
  if (f->current_size > (uint64_t) INT64_MAX) {
    h2k_error ("%s: footer: current size: too large", name);
    return -1;
  }
  return 0;
}

/* UTF-16 (FROM is "UTF-16BE" or "UTF-16LE") to a NUL-terminated UTF-8
 * string in OUT (OUTLEN bytes), stopping at the first U+0000.
 */
int
h2k_vhd_utf16_to_utf8 (const char *from, const unsigned char *in, size_t inlen,
                       char *out, size_t outlen, const char *name, const char *field)
{
  iconv_t cd;
  char *ip = (char *) in, *op = out;
  size_t il, ol = outlen - 1, r;

  for (il = 0; il + 1 < inlen && (in[il] || in[il + 1]); il += 2)
    ;
  cd = iconv_open ("UTF-8", from);
  if (cd == (iconv_t) -1) {
    h2k_error ("%s: %s: iconv %s: %m", name, field, from);
    return -1;
  }
  r = iconv (cd, &ip, &il, &op, &ol);
  iconv_close (cd);
  if (r == (size_t) -1) {
    h2k_error ("%s: %s: not valid %s text", name, field, from);
    return -1;
  }
  *op = '\0';
  return 0;
}

int
h2k_vhd_parse_dyn_header (const void *buf, size_t len, const char *name,
                          struct h2k_vhd_dyn_header *h)
{
  const unsigned char *b = buf;
  uint32_t sum;

  memset (h, 0, sizeof *h);
  if (len < H2K_VHD_DYN_HEADER_SIZE || memcmp (b, "cxsparse", 8) != 0) {
    h2k_error ("%s: dynamic header: cookie: no \"cxsparse\"", name);
    return -1;
  }
  sum = checksum (b, H2K_VHD_DYN_HEADER_SIZE, 36);
  if (sum != h2k_be32 (b + 36)) {
    h2k_error ("%s: dynamic header: checksum: %08" PRIx32 " recorded, %08"
               PRIx32 " computed", name, h2k_be32 (b + 36), sum);
    return -1;
  }
  h->table_offset = h2k_be64 (b + 16);
  h->header_version = h2k_be32 (b + 24);
  h->max_table_entries = h2k_be32 (b + 28);
  h->block_size = h2k_be32 (b + 32);
  memcpy (h->parent_uuid, b + 40, 16);
  h->parent_timestamp = h2k_be32 (b + 56);
  if (h->block_size < 512 || (h->block_size & (h->block_size - 1)) != 0) {
    h2k_error ("%s: dynamic header: block size: %" PRIu32 " is not a power "
               "of two of at least 512", name, h->block_size);
    return -1;
  }
  if (h2k_vhd_utf16_to_utf8 ("UTF-16BE", b + 64, 512, h->parent_name,
                             sizeof h->parent_name, name,
                             "dynamic header: parent name") == -1)
    return -1;
  for (int i = 0; i < H2K_VHD_NR_LOCATORS; ++i) {
    const unsigned char *e = b + 576 + 24 * i;
    struct h2k_vhd_locator *l = &h->locators[i];

    if (h2k_be32 (e) == 0)
      continue;
    memcpy (l->code, e, 4);
    l->code[4] = '\0';
    if (memcmp (e, "MacX", 4) == 0)
      strcpy (l->code, "Mac X");
    l->data_space = h2k_be32 (e + 4);
    l->data_length = h2k_be32 (e + 8);
    l->data_offset = h2k_be64 (e + 16);
  }
  return 0;
}

/* Percent-decode a file:// URL's path in place. */
static void
url_decode (char *s)
{
  char *o = s;

  for (; *s; ++s) {
    unsigned v;
    if (*s == '%' && sscanf (s + 1, "%2x", &v) == 1 && v != 0 &&
        s[1] && s[2]) {
      *o++ = (char) v;
      s += 2;
    }
    else
      *o++ = *s;
  }
  *o = '\0';
}

char *
h2k_vhd_decode_locator (const struct h2k_vhd_locator *l, const void *data,
                        size_t len, const char *name)
{
  CLEANUP_FREE char *out = NULL;
  char field[32];
  char *p;

  snprintf (field, sizeof field, "parent locator %s", l->code);
  if (len == 0 || len > H2K_VHD_MAX_LOCATOR) {
    h2k_error ("%s: %s: data length %zu out of range", name, field, len);
    return NULL;
  }
  out = malloc (len * 2 + 1);
  if (out == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  if (strcmp (l->code, "W2ku") == 0 || strcmp (l->code, "W2ru") == 0) {
    if (h2k_vhd_utf16_to_utf8 ("UTF-16LE", data, len, out, len * 2 + 1, name, field) == -1)
      return NULL;
  }
  else if (strcmp (l->code, "Mac X") == 0) {
    memcpy (out, data, len);
    out[len] = '\0';
    if (strncmp (out, "file://", 7) != 0) {
      h2k_error ("%s: %s: not a file:// URL", name, field);
      return NULL;
    }
    memmove (out, out + 7, strlen (out + 7) + 1);
    if (strncmp (out, "localhost/", 10) == 0)
      memmove (out, out + 9, strlen (out + 9) + 1);
    url_decode (out);
  }
  else {
    h2k_error ("%s: %s: unsupported platform code", name, field);
    return NULL;
  }
  if (out[0] == '\0') {
    h2k_error ("%s: %s: empty path", name, field);
    return NULL;
  }
  p = out;
  out = NULL;
  return p;
}

void
h2k_vhd_info_free (struct h2k_vhd_info *info)
{
  if (info == NULL)
    return;
  for (int i = 0; i < H2K_VHD_NR_LOCATORS; ++i)
    free (info->locator_paths[i]);
  memset (info, 0, sizeof *info);
}

int
h2k_vhd_read_at (int fd, void *buf, size_t len, uint64_t off, uint64_t file_size,
                 const char *path, const char *what)
{
  ssize_t r;

  if (off > file_size || len > file_size - off) {
    h2k_error ("%s: %s: offset %" PRIu64 " lies beyond the end of the file "
               "(truncated?)", path, what, off);
    return -1;
  }
  r = pread (fd, buf, len, off);
  if (r != (ssize_t) len) {
    h2k_error ("%s: %s: %s", path, what, r == -1 ? strerror (errno) : "short read");
    return -1;
  }
  return 0;
}

static int
read_footer (int fd, const char *path, uint64_t size, struct h2k_vhd_footer *f)
{
  unsigned char buf[H2K_VHD_FOOTER_SIZE];

  if (size < H2K_VHD_FOOTER_SIZE) {
    h2k_error ("%s: footer: file too small for a VHD", path);
    return -1;
  }
  if (h2k_vhd_read_at (fd, buf, sizeof buf, size - sizeof buf, size, path, "footer") == -1)
    return -1;
  if (memcmp (buf, "conectix", 8) != 0) {
    /* A damaged or missing end footer: dynamic disks keep a copy at 0. */
    if (h2k_vhd_read_at (fd, buf, sizeof buf, 0, size, path, "footer") == -1)
      return -1;
    if (memcmp (buf, "conectix", 8) == 0)
      h2k_warning ("%s: footer: none at the end, using the copy at offset 0", path);
  }
  return h2k_vhd_parse_footer (buf, sizeof buf, path, f);
}

static int
read_locators (int fd, const char *path, uint64_t size, struct h2k_vhd_info *info)
{
  for (int i = 0; i < H2K_VHD_NR_LOCATORS; ++i) {
    const struct h2k_vhd_locator *l = &info->dyn.locators[i];
    CLEANUP_FREE unsigned char *data = NULL;

    if (strcmp (l->code, "W2ku") != 0 && strcmp (l->code, "W2ru") != 0 &&
        strcmp (l->code, "Mac X") != 0)
      continue;
    if (l->data_length == 0 || l->data_length > H2K_VHD_MAX_LOCATOR) {
      h2k_error ("%s: parent locator %s: data length %" PRIu32 " out of range",
                 path, l->code, l->data_length);
      return -1;
    }
    data = malloc (l->data_length);
    if (data == NULL) {
      h2k_error ("%s: %m", path);
      return -1;
    }
    if (h2k_vhd_read_at (fd, data, l->data_length, l->data_offset, size, path,
                         "parent locator") == -1)
      return -1;
    info->locator_paths[i] = h2k_vhd_decode_locator (l, data, l->data_length, path);
    if (info->locator_paths[i] == NULL)
      return -1;
  }
  return 0;
}

static int
read_all (int fd, const char *path, uint64_t size, struct h2k_vhd_info *info)
{
  unsigned char buf[H2K_VHD_DYN_HEADER_SIZE];

  if (read_footer (fd, path, size, &info->footer) == -1)
    return -1;
  if (info->footer.disk_type == H2K_VHD_FIXED)
    return 0;
  info->has_dyn = 1;
  if (h2k_vhd_read_at (fd, buf, sizeof buf, info->footer.data_offset, size, path,
                       "dynamic header") == -1 ||
      h2k_vhd_parse_dyn_header (buf, sizeof buf, path, &info->dyn) == -1)
    return -1;
  if (info->footer.disk_type != H2K_VHD_DIFFERENCING)
    return 0;
  return read_locators (fd, path, size, info);
}

int
h2k_vhd_read (const char *path, struct h2k_vhd_info *info)
{
  CLEANUP_CLOSE int fd = -1;
  struct stat st;

  memset (info, 0, sizeof *info);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", path);
    return -1;
  }
  if (read_all (fd, path, st.st_size, info) == -1) {
    h2k_vhd_info_free (info);
    return -1;
  }
  return 0;
}

uint32_t
h2k_vhd_bitmap_size (uint32_t block_size)
{
  uint32_t bytes = (block_size / 512 + 7) / 8;

  return (bytes + 511) & ~511u;
}

/* Block size and table size: within the limits, covering the disk. */
static int
check_bat_geometry (const struct h2k_vhd_dyn_header *h, uint64_t virtual_size,
                    const char *name)
{
  uint32_t bs = h->block_size;

  if (bs < H2K_VHD_MIN_BLOCK || bs > H2K_VHD_MAX_BLOCK || (bs & (bs - 1)) != 0) {
    h2k_error ("%s: dynamic header: block size: %" PRIu32 " is not a power of "
               "two from %u to %u", name, bs, H2K_VHD_MIN_BLOCK, H2K_VHD_MAX_BLOCK);
    return -1;
  }
  if (h->max_table_entries > H2K_VHD_MAX_BAT_ENTRIES) {
    h2k_error ("%s: dynamic header: max table entries: %" PRIu32 " (at most %u)",
               name, h->max_table_entries, H2K_VHD_MAX_BAT_ENTRIES);
    return -1;
  }
  if ((uint64_t) h->max_table_entries * bs < virtual_size) {
    h2k_error ("%s: dynamic header: max table entries: %" PRIu32 " blocks of %"
               PRIu32 " bytes do not cover the virtual size %" PRIu64, name,
               h->max_table_entries, bs, virtual_size);
    return -1;
  }
  return 0;
}

int
h2k_vhd_parse_bat (const void *buf, size_t len, const char *name,
                   const struct h2k_vhd_dyn_header *h, uint64_t virtual_size,
                   uint64_t file_size, uint32_t *bat)
{
  const unsigned char *b = buf;
  uint64_t span;

  if (check_bat_geometry (h, virtual_size, name) == -1)
    return -1;
  if (len / 4 < h->max_table_entries) {
    h2k_error ("%s: BAT: %zu bytes for %" PRIu32 " entries", name, len,
               h->max_table_entries);
    return -1;
  }
  span = (uint64_t) h2k_vhd_bitmap_size (h->block_size) + h->block_size;
  for (uint32_t i = 0; i < h->max_table_entries; ++i) {
    uint64_t off;

    bat[i] = h2k_be32 (b + 4 * i);
    if (bat[i] == H2K_VHD_BAT_UNUSED)
      continue;
    off = (uint64_t) bat[i] * 512;
    if (off > file_size || span > file_size - off) {
      h2k_error ("%s: BAT: entry %" PRIu32 ": block at offset %" PRIu64
                 " lies beyond the end of the file (truncated?)", name, i, off);
      return -1;
    }
  }
  return 0;
}

uint32_t *
h2k_vhd_read_bat (int fd, const char *path, uint64_t file_size,
                  const struct h2k_vhd_info *info)
{
  const struct h2k_vhd_dyn_header *h = &info->dyn;
  CLEANUP_FREE unsigned char *buf = NULL;
  CLEANUP_FREE uint32_t *bat = NULL;
  size_t len;
  uint32_t *r;

  if (!info->has_dyn) {
    h2k_error ("%s: BAT: a fixed disk has none", path);
    return NULL;
  }
  /* Bound the allocations before making them. */
  if (check_bat_geometry (h, info->footer.current_size, path) == -1)
    return NULL;
  len = (size_t) h->max_table_entries * 4;
  buf = malloc (len ? len : 1);
  bat = malloc (len ? len : 1);
  if (buf == NULL || bat == NULL) {
    h2k_error ("%s: %m", path);
    return NULL;
  }
  if (h2k_vhd_read_at (fd, buf, len, h->table_offset, file_size, path, "BAT") == -1 ||
      h2k_vhd_parse_bat (buf, len, path, h, info->footer.current_size,
                         file_size, bat) == -1)
    return NULL;
  r = bat;
  bat = NULL;
  return r;
}
