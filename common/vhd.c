/* h2k: VHD footers, dynamic headers and parent locators. */

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "vhd.h"

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 |
         (uint32_t) p[3];
}

static uint64_t
be64 (const unsigned char *p)
{
  return (uint64_t) be32 (p) << 32 | be32 (p + 4);
}

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
  f->features = be32 (b + 8);
  f->version = be32 (b + 12);
  f->data_offset = be64 (b + 16);
  f->timestamp = be32 (b + 24);
  memcpy (f->creator_app, b + 28, 4);
  f->creator_version = be32 (b + 32);
  memcpy (f->creator_os, b + 36, 4);
  f->original_size = be64 (b + 40);
  f->current_size = be64 (b + 48);
  f->disk_type = be32 (b + 60);
  memcpy (f->uuid, b + 68, 16);
  f->saved_state = b[84];
  sum = checksum (b, H2K_VHD_FOOTER_SIZE, 64);
  if (sum != be32 (b + 64)) {
    h2k_error ("%s: footer: checksum: %08" PRIx32 " recorded, %08" PRIx32
               " computed", name, be32 (b + 64), sum);
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
static int
utf16_to_utf8 (const char *from, const unsigned char *in, size_t inlen,
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
  if (sum != be32 (b + 36)) {
    h2k_error ("%s: dynamic header: checksum: %08" PRIx32 " recorded, %08"
               PRIx32 " computed", name, be32 (b + 36), sum);
    return -1;
  }
  h->table_offset = be64 (b + 16);
  h->header_version = be32 (b + 24);
  h->max_table_entries = be32 (b + 28);
  h->block_size = be32 (b + 32);
  memcpy (h->parent_uuid, b + 40, 16);
  h->parent_timestamp = be32 (b + 56);
  if (h->block_size < 512 || (h->block_size & (h->block_size - 1)) != 0) {
    h2k_error ("%s: dynamic header: block size: %" PRIu32 " is not a power "
               "of two of at least 512", name, h->block_size);
    return -1;
  }
  if (utf16_to_utf8 ("UTF-16BE", b + 64, 512, h->parent_name,
                     sizeof h->parent_name, name,
                     "dynamic header: parent name") == -1)
    return -1;
  for (int i = 0; i < H2K_VHD_NR_LOCATORS; ++i) {
    const unsigned char *e = b + 576 + 24 * i;
    struct h2k_vhd_locator *l = &h->locators[i];

    if (be32 (e) == 0)
      continue;
    memcpy (l->code, e, 4);
    l->code[4] = '\0';
    if (memcmp (e, "MacX", 4) == 0)
      strcpy (l->code, "Mac X");
    l->data_space = be32 (e + 4);
    l->data_length = be32 (e + 8);
    l->data_offset = be64 (e + 16);
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
    if (utf16_to_utf8 ("UTF-16LE", data, len, out, len * 2 + 1, name, field) == -1)
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

static int
read_at (int fd, void *buf, size_t len, uint64_t off, uint64_t file_size,
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
  if (read_at (fd, buf, sizeof buf, size - sizeof buf, size, path, "footer") == -1)
    return -1;
  if (memcmp (buf, "conectix", 8) != 0) {
    /* A damaged or missing end footer: dynamic disks keep a copy at 0. */
    if (read_at (fd, buf, sizeof buf, 0, size, path, "footer") == -1)
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
    if (read_at (fd, data, l->data_length, l->data_offset, size, path,
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
  if (read_at (fd, buf, sizeof buf, info->footer.data_offset, size, path,
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

    bat[i] = be32 (b + 4 * i);
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
  if (read_at (fd, buf, len, h->table_offset, file_size, path, "BAT") == -1 ||
      h2k_vhd_parse_bat (buf, len, path, h, info->footer.current_size,
                         file_size, bat) == -1)
    return NULL;
  r = bat;
  bat = NULL;
  return r;
}

/* VHDX. */

#define KiB 1024u
#define VHDX_MAX_METADATA (32u << 20)

#define GUID_METADATA_REGION "{8b7ca206-4790-4b9a-b8fe-575f050f886e}"
#define GUID_FILE_PARAMETERS "{caa16737-fa36-4d43-b3b6-33f0aa44e76b}"
#define GUID_VIRTUAL_SIZE    "{2fa54224-cd1b-4876-b211-5dbed83bf4b8}"
#define GUID_LOGICAL_SECTOR  "{8141bf1d-a96f-4709-ba47-f233a8faab5f}"
#define GUID_PARENT_LOCATOR  "{a8d35f2d-b30b-454d-abf7-d3d84834ab0c}"
#define GUID_VHDX_LOCATOR    "{b04aefb7-d19e-4a81-b789-25b8e9445913}"

static uint32_t
le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
         (uint32_t) p[3] << 24;
}

static uint64_t
le64 (const unsigned char *p)
{
  return (uint64_t) le32 (p + 4) << 32 | le32 (p);
}

static uint16_t
le16 (const unsigned char *p)
{
  return p[0] | p[1] << 8;
}

static uint32_t
crc32c_update (uint32_t crc, const unsigned char *p, size_t len)
{
  while (len--) {
    crc ^= *p++;
    for (int k = 0; k < 8; ++k)
      crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
  }
  return crc;
}

uint32_t
h2k_crc32c (const void *buf, size_t len)
{
  return ~crc32c_update (0xffffffff, buf, len);
}

/* The CRC-32C of B with its checksum field (4 bytes at 4) as zero. */
static uint32_t
vhdx_checksum (const unsigned char *b, size_t len)
{
  static const unsigned char zero[4];
  uint32_t crc = crc32c_update (0xffffffff, b, 4);

  crc = crc32c_update (crc, zero, 4);
  return ~crc32c_update (crc, b + 8, len - 8);
}

void
h2k_vhdx_guid_string (const uint8_t g[16], char buf[39])
{
  snprintf (buf, 39,
            "{%08" PRIx32 "-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
            le32 (g), le16 (g + 4), le16 (g + 6), g[8], g[9],
            g[10], g[11], g[12], g[13], g[14], g[15]);
}

int
h2k_vhdx_parse_header (const void *buf, size_t len, const char *name,
                       int report, uint64_t *seq, uint8_t dwg[16])
{
  const unsigned char *b = buf;

  if (len < 4 * KiB || memcmp (b, "head", 4) != 0 ||
      vhdx_checksum (b, 4 * KiB) != le32 (b + 4)) {
    if (report)
      h2k_error ("%s: header: bad signature or checksum", name);
    return -1;
  }
  *seq = le64 (b + 8);
  memcpy (dwg, b + 32, 16);
  return 0;
}

int
h2k_vhdx_parse_region_table (const void *buf, size_t len, const char *name,
                             int report, uint64_t *meta_offset,
                             uint32_t *meta_length)
{
  const unsigned char *b = buf;
  uint32_t n;

  if (len < 64 * KiB || memcmp (b, "regi", 4) != 0 ||
      vhdx_checksum (b, 64 * KiB) != le32 (b + 4)) {
    if (report)
      h2k_error ("%s: region table: bad signature or checksum", name);
    return -1;
  }
  n = le32 (b + 8);
  if (n > H2K_VHDX_MAX_ENTRIES) {
    h2k_error ("%s: region table: %" PRIu32 " entries (at most %d)", name, n,
               H2K_VHDX_MAX_ENTRIES);
    return -1;
  }
  if (h2k_vhdx_find_region (b, len, GUID_METADATA_REGION, meta_offset,
                            meta_length) == 0)
    return 0;
  h2k_error ("%s: region table: no metadata region", name);
  return -1;
}

int
h2k_vhdx_find_region (const void *buf, size_t len, const char *guid,
                      uint64_t *offset, uint32_t *length)
{
  const unsigned char *b = buf;
  uint32_t n = len >= 16 ? le32 (b + 8) : 0;
  char g[39];

  for (uint32_t i = 0; i < n && 16 + 32 * (size_t) (i + 1) <= len; ++i) {
    const unsigned char *e = b + 16 + 32 * i;
    h2k_vhdx_guid_string (e, g);
    if (strcmp (g, guid) == 0) {
      *offset = le64 (e + 16);
      *length = le32 (e + 24);
      return 0;
    }
  }
  return -1;
}

void
h2k_vhdx_info_free (struct h2k_vhdx_info *info)
{
  if (info == NULL)
    return;
  free (info->parent_linkage);
  free (info->parent_linkage2);
  free (info->relative_path);
  free (info->volume_path);
  free (info->absolute_win32_path);
  memset (info, 0, sizeof *info);
}

/* UTF-16LE at B (LEN bytes) as a new UTF-8 string; NULL reported. */
static char *
utf16le_dup (const unsigned char *b, size_t len, const char *name,
             const char *field)
{
  char *s = malloc (len * 2 + 1);

  if (s == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  if (utf16_to_utf8 ("UTF-16LE", b, len, s, len * 2 + 1, name, field) == -1) {
    free (s);
    return NULL;
  }
  return s;
}

static char **
locator_slot (struct h2k_vhdx_info *info, const char *key)
{
  if (strcmp (key, "parent_linkage") == 0) return &info->parent_linkage;
  if (strcmp (key, "parent_linkage2") == 0) return &info->parent_linkage2;
  if (strcmp (key, "relative_path") == 0) return &info->relative_path;
  if (strcmp (key, "volume_path") == 0) return &info->volume_path;
  if (strcmp (key, "absolute_win32_path") == 0) return &info->absolute_win32_path;
  return NULL;
}

static int
parse_locator_entry (const unsigned char *b, size_t len, const unsigned char *e,
                     const char *name, struct h2k_vhdx_info *info)
{
  uint32_t ko = le32 (e), vo = le32 (e + 4);
  uint16_t kl = le16 (e + 8), vl = le16 (e + 10);
  CLEANUP_FREE char *key = NULL;
  char **slot;

  if (ko == 0 || vo == 0 || kl == 0 || vl == 0 ||
      ko > len || kl > len - ko || vo > len || vl > len - vo) {
    h2k_error ("%s: parent locator: entry out of bounds", name);
    return -1;
  }
  key = utf16le_dup (b + ko, kl, name, "parent locator key");
  if (key == NULL)
    return -1;
  slot = locator_slot (info, key);
  if (slot == NULL)
    return 0;
  if (*slot) {
    h2k_error ("%s: parent locator: %s: given twice", name, key);
    return -1;
  }
  *slot = utf16le_dup (b + vo, vl, name, "parent locator value");
  return *slot ? 0 : -1;
}

static int
parse_locator (const unsigned char *b, size_t len, const char *name,
               struct h2k_vhdx_info *info)
{
  char g[39];
  uint16_t n;

  if (len < 20) {
    h2k_error ("%s: parent locator: too short", name);
    return -1;
  }
  h2k_vhdx_guid_string (b, g);
  if (strcmp (g, GUID_VHDX_LOCATOR) != 0) {
    h2k_error ("%s: parent locator: type %s is not a VHDX parent", name, g);
    return -1;
  }
  n = le16 (b + 18);
  if (20 + 12 * (size_t) n > len) {
    h2k_error ("%s: parent locator: %u entries do not fit", name, n);
    return -1;
  }
  for (uint16_t i = 0; i < n; ++i)
    if (parse_locator_entry (b, len, b + 20 + 12 * i, name, info) == -1)
      return -1;
  return 0;
}

static int
parse_item (const unsigned char *b, size_t len, const unsigned char *e,
            const char *name, struct h2k_vhdx_info *info, unsigned *seen)
{
  uint32_t off = le32 (e + 16), n = le32 (e + 20);
  const unsigned char *p = b + off;
  char g[39];

  if (off > len || n > len - off) {
    h2k_error ("%s: metadata: item out of bounds", name);
    return -1;
  }
  h2k_vhdx_guid_string (e, g);
  if (strcmp (g, GUID_FILE_PARAMETERS) == 0 && n >= 8) {
    info->block_size = le32 (p);
    info->has_parent = (le32 (p + 4) & 2) != 0;
    *seen |= 1;
  }
  else if (strcmp (g, GUID_VIRTUAL_SIZE) == 0 && n >= 8) {
    info->virtual_size = le64 (p);
    *seen |= 2;
  }
  else if (strcmp (g, GUID_LOGICAL_SECTOR) == 0 && n >= 4)
    info->logical_sector_size = le32 (p);
  else if (strcmp (g, GUID_PARENT_LOCATOR) == 0)
    return parse_locator (p, n, name, info);
  return 0;
}

static int
parse_items (const unsigned char *b, size_t len, const char *name,
             struct h2k_vhdx_info *info)
{
  unsigned seen = 0;
  uint16_t n;

  if (len < 32 || memcmp (b, "metadata", 8) != 0) {
    h2k_error ("%s: metadata: no \"metadata\" table", name);
    return -1;
  }
  n = le16 (b + 10);
  if (n > H2K_VHDX_MAX_ENTRIES || 32 + 32 * (size_t) n > len) {
    h2k_error ("%s: metadata: %u entries (at most %d, within the region)",
               name, n, H2K_VHDX_MAX_ENTRIES);
    return -1;
  }
  for (uint16_t i = 0; i < n; ++i)
    if (parse_item (b, len, b + 32 + 32 * i, name, info, &seen) == -1)
      return -1;
  if (seen != 3) {
    h2k_error ("%s: metadata: %s missing", name,
               seen & 1 ? "virtual disk size" : "file parameters");
    return -1;
  }
  if (info->virtual_size > (uint64_t) INT64_MAX) {
    h2k_error ("%s: metadata: virtual disk size too large", name);
    return -1;
  }
  if (info->has_parent && info->parent_linkage == NULL) {
    h2k_error ("%s: parent locator: parent_linkage: missing in a "
               "differencing disk", name);
    return -1;
  }
  return 0;
}

int
h2k_vhdx_parse_metadata (const void *buf, size_t len, const char *name,
                         struct h2k_vhdx_info *info)
{
  if (parse_items (buf, len, name, info) == -1) {
    h2k_vhdx_info_free (info);
    return -1;
  }
  return 0;
}

/* The header with the highest sequence number among the valid ones. */
static int
vhdx_headers (int fd, const char *path, uint64_t size, struct h2k_vhdx_info *info)
{
  CLEANUP_FREE unsigned char *b = malloc (4 * KiB);
  int found = 0;

  if (b == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  for (int i = 1; i <= 2; ++i) {
    uint64_t seq;
    uint8_t dwg[16];

    if (read_at (fd, b, 4 * KiB, i * 64 * KiB, size, path, "header") == -1)
      return -1;
    if (h2k_vhdx_parse_header (b, 4 * KiB, path, 0, &seq, dwg) == -1)
      continue;
    if (!found || seq > info->sequence) {
      static const unsigned char zero[16];
      info->sequence = seq;
      memcpy (info->data_write_guid, dwg, 16);
      info->log_pending = memcmp (b + 48, zero, 16) != 0;     /* LogGuid */
    }
    found = 1;
  }
  if (!found) {
    h2k_error ("%s: header: neither header is valid (signature or checksum)", path);
    return -1;
  }
  return 0;
}

static int
vhdx_metadata (int fd, const char *path, uint64_t size, struct h2k_vhdx_info *info)
{
  CLEANUP_FREE unsigned char *b = malloc (64 * KiB);
  CLEANUP_FREE unsigned char *m = NULL;
  uint64_t off = 0;
  uint32_t len = 0;
  int r = -1;

  if (b == NULL) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  /* The second region table is a copy, used if the first is damaged. */
  for (int i = 3; i <= 4 && r == -1; ++i) {
    if (read_at (fd, b, 64 * KiB, i * 64 * KiB, size, path, "region table") == -1)
      return -1;
    r = h2k_vhdx_parse_region_table (b, 64 * KiB, path, i == 4, &off, &len);
  }
  if (r == -1)
    return -1;
  if (h2k_vhdx_find_region (b, 64 * KiB, H2K_VHDX_GUID_BAT, &info->bat_offset,
                            &info->bat_length) == -1) {
    info->bat_offset = 0;
    info->bat_length = 0;
  }
  if (len > VHDX_MAX_METADATA || (m = malloc (len)) == NULL) {
    h2k_error ("%s: metadata region: %" PRIu32 " bytes (at most %u)", path,
               len, VHDX_MAX_METADATA);
    return -1;
  }
  if (read_at (fd, m, len, off, size, path, "metadata region") == -1)
    return -1;
  return h2k_vhdx_parse_metadata (m, len, path, info);
}

int
h2k_vhdx_read (const char *path, struct h2k_vhdx_info *info)
{
  CLEANUP_CLOSE int fd = -1;
  char ident[8];
  struct stat st;

  memset (info, 0, sizeof *info);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (read_at (fd, ident, 8, 0, st.st_size, path, "file identifier") == -1)
    return -1;
  if (memcmp (ident, "vhdxfile", 8) != 0) {
    h2k_error ("%s: file identifier: no \"vhdxfile\" (not a VHDX)", path);
    return -1;
  }
  if (vhdx_headers (fd, path, st.st_size, info) == -1 ||
      vhdx_metadata (fd, path, st.st_size, info) == -1) {
    h2k_vhdx_info_free (info);
    return -1;
  }
  return 0;
}

/* VHDX block allocation table. */

int
h2k_vhdx_geometry (const struct h2k_vhdx_info *info, const char *name,
                   struct h2k_vhdx_geometry *g)
{
  uint32_t bs = info->block_size, lss = info->logical_sector_size;
  uint64_t chunks;

  if (bs < H2K_VHDX_MIN_BLOCK || bs > H2K_VHDX_MAX_BLOCK || (bs & (bs - 1))) {
    h2k_error ("%s: metadata: block size %" PRIu32 " (a power of two from "
               "1 MiB to 256 MiB)", name, bs);
    return -1;
  }
  if (lss != 512 && lss != 4096) {
    h2k_error ("%s: metadata: logical sector size %" PRIu32 " (512 or 4096)",
               name, lss);
    return -1;
  }
  if (info->virtual_size == 0 || info->virtual_size % lss) {
    h2k_error ("%s: metadata: virtual disk size %" PRIu64 " is not a whole "
               "number of sectors", name, info->virtual_size);
    return -1;
  }
  g->chunk_ratio = (uint32_t) (((uint64_t) 1 << 23) * lss / bs);
  g->nr_blocks = (info->virtual_size + bs - 1) / bs;
  chunks = (g->nr_blocks + g->chunk_ratio - 1) / g->chunk_ratio;
  if (chunks > H2K_VHDX_MAX_BAT_ENTRIES / ((uint64_t) g->chunk_ratio + 1)) {
    h2k_error ("%s: BAT: %" PRIu64 " blocks of %" PRIu32 " bytes: too many "
               "(at most %u entries)", name, g->nr_blocks, bs,
               H2K_VHDX_MAX_BAT_ENTRIES);
    return -1;
  }
  g->nr_entries = chunks * ((uint64_t) g->chunk_ratio + 1);
  return 0;
}

/* OFF .. OFF + LEN within the file, past the headers. */
static int
vhdx_within (uint64_t off, uint64_t len, uint64_t file_size)
{
  return off >= H2K_VHDX_BITMAP_BLOCK && off <= file_size &&
         len <= file_size - off;
}

static int
check_bitmap_entry (uint64_t e, uint64_t c, const char *name, uint64_t file_size)
{
  uint64_t off = H2K_VHDX_BAT_OFFSET (e);

  switch (H2K_VHDX_BAT_STATE (e)) {
  case H2K_VHDX_SB_NOT_PRESENT:
    return 0;
  case H2K_VHDX_SB_PRESENT:
    if (vhdx_within (off, H2K_VHDX_BITMAP_BLOCK, file_size))
      return 0;
    h2k_error ("%s: BAT: chunk %" PRIu64 ": sector bitmap at offset %" PRIu64
               " lies outside the file (truncated?)", name, c, off);
    return -1;
  default:
    h2k_error ("%s: BAT: chunk %" PRIu64 ": sector bitmap state %u unknown",
               name, c, H2K_VHDX_BAT_STATE (e));
    return -1;
  }
}

static int
check_payload_entry (const uint64_t *bat, uint64_t i,
                     const struct h2k_vhdx_info *info,
                     const struct h2k_vhdx_geometry *g, const char *name,
                     uint64_t file_size)
{
  uint32_t cr = g->chunk_ratio;
  uint64_t e = bat[h2k_vhdx_payload_index (i, cr)];
  uint64_t off = H2K_VHDX_BAT_OFFSET (e);
  unsigned st = H2K_VHDX_BAT_STATE (e);

  switch (st) {
  case H2K_VHDX_PAYLOAD_NOT_PRESENT:
  case H2K_VHDX_PAYLOAD_UNDEFINED:
  case H2K_VHDX_PAYLOAD_ZERO:
  case H2K_VHDX_PAYLOAD_UNMAPPED:
    return 0;
  case H2K_VHDX_PAYLOAD_FULLY_PRESENT:
  case H2K_VHDX_PAYLOAD_PARTIALLY_PRESENT:
    if (!vhdx_within (off, info->block_size, file_size)) {
      h2k_error ("%s: BAT: block %" PRIu64 ": data at offset %" PRIu64
                 " lies outside the file (truncated?)", name, i, off);
      return -1;
    }
    if (st == H2K_VHDX_PAYLOAD_PARTIALLY_PRESENT &&
        H2K_VHDX_BAT_STATE (bat[h2k_vhdx_bitmap_index (i / cr, cr)]) !=
        H2K_VHDX_SB_PRESENT) {
      h2k_error ("%s: BAT: block %" PRIu64 ": partially present, but chunk %"
                 PRIu64 " has no sector bitmap", name, i, i / cr);
      return -1;
    }
    return 0;
  default:
    h2k_error ("%s: BAT: block %" PRIu64 ": state %u unknown", name, i, st);
    return -1;
  }
}

int
h2k_vhdx_parse_bat (const void *buf, size_t len, const char *name,
                    const struct h2k_vhdx_info *info,
                    const struct h2k_vhdx_geometry *g,
                    uint64_t file_size, uint64_t *bat)
{
  const unsigned char *b = buf;
  uint64_t chunks = g->nr_entries / ((uint64_t) g->chunk_ratio + 1);

  if (len / 8 < g->nr_entries) {
    h2k_error ("%s: BAT: %zu bytes for %" PRIu64 " entries", name, len,
               g->nr_entries);
    return -1;
  }
  for (uint64_t i = 0; i < g->nr_entries; ++i)
    bat[i] = le64 (b + 8 * i);
  for (uint64_t c = 0; c < chunks; ++c)
    if (check_bitmap_entry (bat[h2k_vhdx_bitmap_index (c, g->chunk_ratio)], c,
                            name, file_size) == -1)
      return -1;
  for (uint64_t i = 0; i < g->nr_blocks; ++i)
    if (check_payload_entry (bat, i, info, g, name, file_size) == -1)
      return -1;
  return 0;
}

uint64_t *
h2k_vhdx_read_bat (int fd, const char *path, uint64_t file_size,
                   const struct h2k_vhdx_info *info,
                   struct h2k_vhdx_geometry *g)
{
  CLEANUP_FREE unsigned char *buf = NULL;
  CLEANUP_FREE uint64_t *bat = NULL;
  size_t len;
  uint64_t *r;

  if (h2k_vhdx_geometry (info, path, g) == -1)
    return NULL;
  if (info->log_pending) {
    h2k_error ("%s: header: LogGuid set: the log holds writes not yet "
               "applied (open the disk once on the Hyper-V host)", path);
    return NULL;
  }
  if (info->bat_offset == 0) {
    h2k_error ("%s: region table: no BAT region", path);
    return NULL;
  }
  len = (size_t) g->nr_entries * 8;
  if (info->bat_length < len) {
    h2k_error ("%s: BAT: region of %" PRIu32 " bytes, %" PRIu64 " entries "
               "needed", path, info->bat_length, g->nr_entries);
    return NULL;
  }
  buf = malloc (len);
  bat = malloc (len);
  if (buf == NULL || bat == NULL) {
    h2k_error ("%s: %m", path);
    return NULL;
  }
  if (read_at (fd, buf, len, info->bat_offset, file_size, path, "BAT") == -1 ||
      h2k_vhdx_parse_bat (buf, len, path, info, g, file_size, bat) == -1)
    return NULL;
  r = bat;
  bat = NULL;
  return r;
}
