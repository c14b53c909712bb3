/* h2k: VHDX (Hyper-V 2012 and later): headers, region table, metadata
 * (parent locators, geometry) and the BAT.  Declared in vhd.h; VHD is in
 * vhd.c.
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "byteorder.h"
#include "cleanup.h"
#include "error.h"
#include "vhd.h"
#include "vhd-priv.h"

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
            h2k_le32 (g), h2k_le16 (g + 4), h2k_le16 (g + 6), g[8], g[9],
            g[10], g[11], g[12], g[13], g[14], g[15]);
}

int
h2k_vhdx_parse_header (const void *buf, size_t len, const char *name,
                       int report, uint64_t *seq, uint8_t dwg[16])
{
  const unsigned char *b = buf;

  if (len < 4 * KiB || memcmp (b, "head", 4) != 0 ||
      vhdx_checksum (b, 4 * KiB) != h2k_le32 (b + 4)) {
    if (report)
      h2k_error ("%s: header: bad signature or checksum", name);
    return -1;
  }
  *seq = h2k_le64 (b + 8);
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
      vhdx_checksum (b, 64 * KiB) != h2k_le32 (b + 4)) {
    if (report)
      h2k_error ("%s: region table: bad signature or checksum", name);
    return -1;
  }
  n = h2k_le32 (b + 8);
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
  uint32_t n = len >= 16 ? h2k_le32 (b + 8) : 0;
  char g[39];

  for (uint32_t i = 0; i < n && 16 + 32 * (size_t) (i + 1) <= len; ++i) {
    const unsigned char *e = b + 16 + 32 * i;
    h2k_vhdx_guid_string (e, g);
    if (strcmp (g, guid) == 0) {
      *offset = h2k_le64 (e + 16);
      *length = h2k_le32 (e + 24);
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
  if (h2k_vhd_utf16_to_utf8 ("UTF-16LE", b, len, s, len * 2 + 1, name, field) == -1) {
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
  uint32_t ko = h2k_le32 (e), vo = h2k_le32 (e + 4);
  uint16_t kl = h2k_le16 (e + 8), vl = h2k_le16 (e + 10);
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
  n = h2k_le16 (b + 18);
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
  uint32_t off = h2k_le32 (e + 16), n = h2k_le32 (e + 20);
  const unsigned char *p = b + off;
  char g[39];

  if (off > len || n > len - off) {
    h2k_error ("%s: metadata: item out of bounds", name);
    return -1;
  }
  h2k_vhdx_guid_string (e, g);
  if (strcmp (g, GUID_FILE_PARAMETERS) == 0 && n >= 8) {
    info->block_size = h2k_le32 (p);
    info->has_parent = (h2k_le32 (p + 4) & 2) != 0;
    *seen |= 1;
  }
  else if (strcmp (g, GUID_VIRTUAL_SIZE) == 0 && n >= 8) {
    info->virtual_size = h2k_le64 (p);
    *seen |= 2;
  }
  else if (strcmp (g, GUID_LOGICAL_SECTOR) == 0 && n >= 4)
    info->logical_sector_size = h2k_le32 (p);
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
  n = h2k_le16 (b + 10);
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

    if (h2k_vhd_read_at (fd, b, 4 * KiB, i * 64 * KiB, size, path, "header") == -1)
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
    if (h2k_vhd_read_at (fd, b, 64 * KiB, i * 64 * KiB, size, path, "region table") == -1)
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
  if (h2k_vhd_read_at (fd, m, len, off, size, path, "metadata region") == -1)
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
  if (h2k_vhd_read_at (fd, ident, 8, 0, st.st_size, path, "file identifier") == -1)
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
    bat[i] = h2k_le64 (b + 8 * i);
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
  if (h2k_vhd_read_at (fd, buf, len, info->bat_offset, file_size, path, "BAT") == -1 ||
      h2k_vhdx_parse_bat (buf, len, path, info, g, file_size, bat) == -1)
    return NULL;
  r = bat;
  bat = NULL;
  return r;
}
